/**
 * Rig for the chip-fault tests: micronet A behind a real chip driver over a simulated chip (ENC28J60 or
 * W5500) on a hub, micronet B behind a plain HubDevice as the clean peer. The SPI bus between driver and
 * chip goes through `FlakySpi`, which can flip bits in the data the chip returns (seeded) and run a hook
 * between transactions (to reset the chip in the middle of a driver sequence). Time is driven by hand.
 */
import { Hub, HubDevice } from '../../src/sim/hub';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { W5500Sim } from '../../src/sim/w5500';
import { connect as connectEnc, Enc28j60 } from '../../src/drivers/enc28j60';
import { connect as connectW5500, W5500 } from '../../src/drivers/w5500';
import type { SpiBus } from '../../src/drivers/device';
import { xorshift32 } from '../../src/devices/prng';
import { createStack } from '../../src/index';

export const A_IP = '192.0.2.2';
export const B_IP = '192.0.2.1';
export const A_MAC = Uint8Array.of(0x02, 0x4d, 0x4e, 0x00, 0x00, 0x22);

/**
 * An SpiBus in front of another: `send` returns the chip's answer with, for each returned octet, a
 * `bitErrorPct` percent chance of one flipped bit (seeded xorshift32; a read error on MISO). `write`
 * has no read-back, so it is passed through. `beforeTransaction(mosi, n)` runs before transaction n.
 */
export class FlakySpi implements SpiBus {
  bitErrorPct = 0;
  /** Bits flipped so far, and transactions seen. */
  flips = 0;
  transactions = 0;
  beforeTransaction: ((mosi: Uint8Array | number[], n: number) => void) | null = null;
  private rand: () => number;
  constructor(private readonly inner: SpiBus, seed = 1) {
    this.rand = xorshift32(seed);
  }
  send(data: Uint8Array | number[], cs?: unknown): Uint8Array {
    if (this.beforeTransaction) this.beforeTransaction(data, this.transactions);
    this.transactions++;
    const r = this.inner.send(data, cs);
    if (this.bitErrorPct > 0) {
      const t = Math.floor(this.bitErrorPct * 42949672.96);
      for (let i = 0; i < r.length; i++) {
        if (this.rand() < t) { r[i] ^= 1 << (this.rand() & 7); this.flips++; }
      }
    }
    return r;
  }
  write(data: Uint8Array | number[], cs?: unknown): void {
    if (this.beforeTransaction) this.beforeTransaction(data, this.transactions);
    this.transactions++;
    this.inner.write(data, cs);
  }
}

export type ChipKind = 'enc28j60' | 'w5500';

export interface Rig {
  kind: ChipKind;
  hub: Hub;
  spi: FlakySpi;
  enc?: { sim: Enc28j60Sim; drv: Enc28j60 };
  w5500?: { sim: W5500Sim; drv: W5500 };
  a: ReturnType<typeof createStack>;
  b: ReturnType<typeof createStack>;
  /** Echo replies B received, by the sequence number in them. */
  replies: number[];
  /** Advances `ms` milliseconds, 1 ms per step: chip time, then both stacks polled. */
  run(ms: number): void;
  /** B sends `count` datagrams to A's echo port (one every `gapMs`); returns the replies that came back. */
  echo(count: number, gapMs?: number, size?: number): number;
  /** Driver counters (either chip). */
  driverStats(): Record<string, number>;
  now(): number;
}

let seq = 0;

/** Builds the rig; the driver is connected through FlakySpi with no faults switched on yet. */
export function rig(kind: ChipKind, seed = 1): Rig {
  const hub = new Hub();
  let spi: FlakySpi;
  let device: any;
  const r: Partial<Rig> = { kind, hub };
  let advance: (us: number) => void = () => undefined;
  if (kind === 'enc28j60') {
    const sim = new Enc28j60Sim();
    sim.attach(hub);
    spi = new FlakySpi(sim.spi as SpiBus, seed);
    const drv = connectEnc(spi, 'CS', { mac: A_MAC, delayMs: sim.delayMs });
    r.enc = { sim, drv };
    device = drv;
    advance = (us) => sim.advance(us);
  } else {
    const sim = new W5500Sim().attach(hub);
    spi = new FlakySpi(sim.spi, seed);
    const drv = connectW5500(spi, sim.cs, { mac: A_MAC });
    r.w5500 = { sim, drv };
    device = drv;
  }
  const a = createStack();
  const b = createStack();
  a.addInterface(device, { address: A_IP, netmask: '255.255.255.0', name: 'chip0' });
  b.addInterface(new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 1), 256), { address: B_IP, netmask: '255.255.255.0', name: 'peer0' });
  a.udp.bind(7, (buf, off, len, info) => { a.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  const replies: number[] = [];
  b.udp.bind(9000, (buf, off, len) => {
    if (len >= 4) replies.push(((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0);
  });
  let t = 0;
  const run = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      t++;
      advance(1000);
      a.poll(t);
      b.poll(t);
    }
  };
  const echo = (count: number, gapMs = 2, size = 64) => {
    const before = replies.length;
    const first = seq;
    for (let i = 0; i < count; i++) {
      const p = new Uint8Array(size);
      const s = seq++;
      p[0] = s >>> 24; p[1] = (s >>> 16) & 255; p[2] = (s >>> 8) & 255; p[3] = s & 255;
      for (let k = 4; k < size; k++) p[k] = (s + k) & 255;
      b.udp.send(A_IP, 7, p, 9000);
      run(gapMs);
    }
    run(20);
    return replies.slice(before).filter((x) => x >= first && x < seq).length;
  };
  const driverStats = () => (kind === 'enc28j60' ? (r.enc!.drv.stats() as any) : (r.w5500!.drv.counters as any));
  return Object.assign(r, { spi: spi!, a, b, replies, run, echo, driverStats, now: () => t }) as Rig;
}

/** Sum of the stack's receive-side drop counters that bad octets from a chip can reach. */
export function stackDrops(s: ReturnType<ReturnType<typeof createStack>['stats']>): number {
  return s.eth.tooShort + s.eth.notForUs + s.eth.unknownType + s.eth.tooLong + s.arp.invalid + s.arp.notForUs + s.arp.badOperation +
    s.arp.badSender + s.ip.tooShort + s.ip.badVersion + s.ip.badHeaderLength + s.ip.badChecksum + s.ip.badLength + s.ip.fragments +
    s.ip.notForUs + s.ip.badSource + s.ip.unknownProtocol + s.icmp.tooShort + s.icmp.badChecksum + s.udp.tooShort + s.udp.badLength +
    s.udp.badChecksum + s.udp.noPort + s.tcp.tooShort + s.tcp.badChecksum + s.tcp.ignored + s.tcp.refused;
}
