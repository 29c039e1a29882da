/**
 * A queue Device (docs/device.md) for stack tests: frames injected by the test are handed to the stack one
 * per receive(); frames the stack sends are copied into `sent`. No timing, no padding: what the stack
 * gives is exactly what the test sees.
 */
import { Device } from '../../src/drivers/device';
import { mac as macOctets, US_MAC } from './frames';

export class QueueDevice implements Device {
  readonly mac: Uint8Array;
  /** Frames waiting to be received, with the length receive() reports for each. */
  private inbox: { frame: Uint8Array; length: number }[] = [];
  /** Copies of every frame sent, oldest first (cleared by takeSent). */
  sent: Uint8Array[] = [];
  /** What send() returns; false simulates a full transmit buffer (the frame is not recorded). */
  sendResult = true;
  /** Calls of send() refused because sendResult was false. */
  refused = 0;
  /** Set to make linkUp() exist and report this state. */
  link: boolean | undefined = undefined;
  rxChecksumOffload?: boolean;
  txChecksumOffload?: boolean;

  constructor(mac: string = US_MAC) {
    this.mac = new Uint8Array(macOctets(mac));
  }

  /**
   * Queues `frame` for the stack. `reportedLength` (default frame.length) is what receive() returns: a
   * length above the stack's buffer models a device that cut a frame too long for it.
   */
  inject(frame: Uint8Array, reportedLength: number = frame.length): this {
    this.inbox.push({ frame: frame.slice(), length: reportedLength });
    return this;
  }

  /** Frames still waiting to be received. */
  get pending(): number {
    return this.inbox.length;
  }

  receive(frame: Uint8Array): number {
    const next = this.inbox.shift();
    if (!next) return 0;
    const n = Math.min(next.frame.length, frame.length);
    frame.set(next.frame.subarray(0, n));
    return next.length;
  }

  send(frame: Uint8Array, length: number): boolean {
    if (!this.sendResult) { this.refused++; return false; }
    if (!(length >= 0 && length <= frame.length)) throw new Error(`QueueDevice.send: length ${length} outside the frame (${frame.length})`);
    this.sent.push(frame.slice(0, length));
    return true;
  }

  linkUp?(): boolean;

  /** Returns and clears the frames sent so far. */
  takeSent(): Uint8Array[] {
    const s = this.sent;
    this.sent = [];
    return s;
  }
}

/** Makes `dev.linkUp()` exist and return dev.link (the Device contract's optional PHY state). */
export function withLink(dev: QueueDevice, up: boolean): QueueDevice {
  dev.link = up;
  dev.linkUp = () => !!dev.link;
  return dev;
}
