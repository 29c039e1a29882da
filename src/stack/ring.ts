/**
 * The frame ring (every frame buffer the stack uses, allocated once at createStack) and the interface's
 * transmit path. A frame taken is given back exactly once; `free === size` whenever the stack is idle
 * (tests check it).
 */
import { StackState, Iface } from './types';
import { RING_EXHAUSTED, RING_DOUBLE_GIVE, IP_NO_FRAME, ETH_TX, ETH_TX_FAIL } from './stats';

/**
 * Takes a free frame (contents undefined), or returns null when none is free (counted ring.exhausted
 * and ip.noFrame: every caller wanted it to send something).
 */
export function take(s: StackState): Uint8Array | null {
  if (s.free === 0) { s.c[RING_EXHAUSTED]++; s.c[IP_NO_FRAME]++; return null; }
  return s.pool[--s.free];
}

/** Gives a frame back. The caller must not use it afterwards. */
export function give(s: StackState, frame: Uint8Array): void {
  if (s.free === s.pool.length) { s.c[RING_DOUBLE_GIVE]++; return; }
  s.pool[s.free++] = frame;
}

/**
 * Hands frame[0..len) to the interface's device and counts it (eth.tx or eth.txFail, and the
 * interface's own). The frame stays the caller's. Returns what Device.send returned.
 */
export function ifaceSend(s: StackState, iface: Iface, frame: Uint8Array, len: number): boolean {
  var k = iface.counters;
  if (iface.device.send(frame, len)) { s.c[ETH_TX]++; k.tx++; return true; }
  s.c[ETH_TX_FAIL]++;
  k.txFail++;
  return false;
}
