/** Shared rig for the ENC28J60 driver tests: a hub, simulated chips, drivers, and a plain wire peer. */
import { Hub, WirePort } from '../../src/sim/hub';
import { Enc28j60Sim, Enc28j60SimOptions } from '../../src/sim/enc28j60';
import { connect, Enc28j60, Enc28j60Options } from '../../src/drivers/enc28j60';

export const MAC_A = Uint8Array.of(0x02, 0x4d, 0x4e, 0x00, 0x00, 0x0a);
export const MAC_B = Uint8Array.of(0x02, 0x4d, 0x4e, 0x00, 0x00, 0x0b);
export const MAC_PEER = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x99);
export const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** A station on the hub that records what it hears and can transmit raw frames. */
export class WirePeer implements WirePort {
  heard: Uint8Array[] = [];
  constructor(private hub: Hub) { hub.attach(this); }
  deliver(frame: Uint8Array, length: number): void { this.heard.push(frame.slice(0, length)); }
  send(frame: Uint8Array): void { this.hub.transmit(this, frame, frame.length); }
}

/** Deterministic pseudo-random numbers (xorshift32). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

/** An Ethernet II frame of `length` octets: dst, src, EtherType 0x88B5 (local experimental), then a
 *  payload pattern derived from `seed` (so every frame's content is distinct and checkable). */
export function makeFrame(dst: Uint8Array, src: Uint8Array, length: number, seed: number): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88; f[13] = 0xb5;
  for (let i = 14; i < length; i++) f[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff;
  if (length >= 18) { f[14] = seed >>> 24; f[15] = (seed >>> 16) & 0xff; f[16] = (seed >>> 8) & 0xff; f[17] = seed & 0xff; }
  return f;
}

/** The frame as it will be received: padded to 60 octets by the sending MAC. */
export function padded(f: Uint8Array): Uint8Array {
  if (f.length >= 60) return f;
  const p = new Uint8Array(60);
  p.set(f);
  return p;
}

export interface Rig { hub: Hub; sim: Enc28j60Sim; drv: Enc28j60; peer: WirePeer; links: boolean[] }

export function rig(simOpts: Enc28j60SimOptions = {}, drvOpts: Enc28j60Options = {}): Rig {
  const hub = new Hub();
  const sim = new Enc28j60Sim(simOpts);
  sim.attach(hub);
  const peer = new WirePeer(hub);
  const links: boolean[] = [];
  const drv = connect(sim.spi, 'CS', { mac: MAC_A, delayMs: sim.delayMs, onLink: (up) => links.push(up), ...drvOpts });
  return { hub, sim, drv, peer, links };
}

/** Drains the driver: every frame it returns, copied. */
export function drain(drv: Enc28j60, max = 10000): Uint8Array[] {
  const out: Uint8Array[] = [];
  const buf = new Uint8Array(1518);
  for (let i = 0; i < max; i++) {
    const n = drv.receive(buf);
    if (n === 0) break;
    out.push(buf.slice(0, n));
  }
  return out;
}
