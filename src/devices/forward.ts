/**
 * What every Device wrapper passes through to the device it wraps: the optional members of the Device
 * contract (docs/device.md) — linkUp, setMulticast — and the checksum-offload flags.
 */
import { Device } from '../drivers/device';

/**
 * Gives `wrapper` the optional members `inner` has: linkUp() and setMulticast() call through, and the
 * offload flags are copied. `rxOffload` false withholds rxChecksumOffload (a wrapper that damages
 * received frames must let the stack's own checks see them). Returns `wrapper`.
 */
export function forwardOptional(wrapper: any, inner: Device, rxOffload: boolean): any {
  var d: any = inner;
  if (typeof d.linkUp === 'function') wrapper.linkUp = function (): boolean { return d.linkUp(); };
  if (typeof d.setMulticast === 'function') wrapper.setMulticast = function (macs: Uint8Array[] | null): void { d.setMulticast(macs); };
  if (d.rxChecksumOffload && rxOffload) wrapper.rxChecksumOffload = true;
  if (d.txChecksumOffload) wrapper.txChecksumOffload = true;
  return wrapper;
}
