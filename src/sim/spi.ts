/** SPI helpers for the simulators and test buses (Node only; never shipped to boards). */
import type { SpiData } from '../drivers/device';

/** Octets `data` stands for, as Espruino's SPI.send/write and E.toUint8Array count them. */
function octetCount(d: any): number {
  if (typeof d === 'number') return 1;
  if (ArrayBuffer.isView(d)) return (d as Uint8Array).length;
  if (Array.isArray(d)) { let n = 0; for (let i = 0; i < d.length; i++) n += octetCount(d[i]); return n; }
  if (d && typeof d === 'object' && 'count' in d) return (Number(d.count) || 0) * octetCount(d.data);
  throw new Error('SPI: cannot send ' + String(d));
}

function fill(d: any, out: Uint8Array, at: number): number {
  if (typeof d === 'number') { out[at] = d & 0xff; return at + 1; }
  if (ArrayBuffer.isView(d)) { out.set(d as Uint8Array, at); return at + (d as Uint8Array).length; }
  if (Array.isArray(d)) { for (let i = 0; i < d.length; i++) at = fill(d[i], out, at); return at; }
  const n = Number(d.count) || 0;
  if (typeof d.data === 'number') { out.fill(d.data & 0xff, at, at + n); return at + n; }
  for (let i = 0; i < n; i++) at = fill(d.data, out, at);
  return at;
}

/**
 * Flattens SPI data as Espruino does (see SpiData in src/drivers/device.ts): numbers, typed arrays,
 * nested arrays of these and `{data, count}`. A Uint8Array is returned as it is.
 */
export function spiOctets(data: SpiData | number[]): Uint8Array {
  if (data instanceof Uint8Array) return data;
  // Typed arrays from another realm (a bench sandbox) are views too; numbers, arrays and {data, count}.
  const out = new Uint8Array(octetCount(data));
  fill(data, out, 0);
  return out;
}
