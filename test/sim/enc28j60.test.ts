/** The simulated ENC28J60 at SPI-command level, driven by raw opcodes (no driver), per the datasheet DS39662E. */
import * as zlib from 'zlib';
import { Enc28j60Sim, simHashIndex, fcs32, MII_BUSY_US } from '../../src/sim/enc28j60';
import { Hub } from '../../src/sim/hub';

const RCR = (a: number) => a & 0x1f, WCR = (a: number) => 0x40 | (a & 0x1f), BFS = (a: number) => 0x80 | (a & 0x1f), BFC = (a: number) => 0xa0 | (a & 0x1f);
const ECON1 = 0x1f, ECON2 = 0x1e, EIR = 0x1c, EIE = 0x1b;

/** A fresh chip after SRC and the 1 ms wait. */
function chip(): Enc28j60Sim {
  const sim = new Enc28j60Sim();
  sim.spi.write([0xff]);
  sim.advance(1000);
  return sim;
}
function bank(sim: Enc28j60Sim, b: number) { sim.spi.write([BFC(ECON1), 3]); if (b) sim.spi.write([BFS(ECON1), b]); }
function w(sim: Enc28j60Sim, a: number, v: number) { sim.spi.write([WCR(a), v]); }
function w16(sim: Enc28j60Sim, a: number, v: number) { w(sim, a, v & 0xff); w(sim, a + 1, v >> 8); }
function r(sim: Enc28j60Sim, a: number) { return sim.spi.send([RCR(a), 0])[1]; }

describe('simulated ENC28J60: SPI opcodes (DS39662E §4.2)', () => {
  test('reset values and bank switching', () => {
    const sim = chip();
    expect(r(sim, ECON2)).toBe(0x80);
    expect(r(sim, 0x1d) & 1).toBe(1); // CLKRDY
    expect(r(sim, 0x00) | (r(sim, 0x01) << 8)).toBe(0x05fa); // ERDPT
    bank(sim, 1);
    expect(r(sim, 0x18)).toBe(0xa1); // ERXFCON
    bank(sim, 3);
    expect(r(sim, 0x12)).toBe(0x06); // EREVID
    expect(sim.driverErrors).toBe(0);
  });

  test('MAC/MII registers answer after a dummy octet; a two-octet RCR of one is flagged', () => {
    const sim = chip();
    bank(sim, 2);
    sim.spi.write([WCR(0x0a), 0xee]); // MAMXFLL
    expect(sim.spi.send([RCR(0x0a), 0, 0])[2]).toBe(0xee);
    expect(sim.driverErrors).toBe(0);
    sim.spi.send([RCR(0x0a), 0]);
    expect(sim.driverErrors).toBe(1);
    expect(sim.driverErrorLog[0]).toMatch(/dummy/);
  });

  test('BFS/BFC on a MAC/MII register is flagged as a driver bug and has no effect', () => {
    const sim = chip();
    bank(sim, 2);
    sim.spi.write([BFS(0x00), 0x01]); // MACON1
    expect(sim.driverErrors).toBe(1);
    expect(sim.spi.send([RCR(0x00), 0, 0])[2]).toBe(0);
  });

  test('access within 1 ms of SRC is flagged, except reading ESTAT', () => {
    const sim = new Enc28j60Sim();
    sim.spi.write([0xff]);
    sim.spi.send([RCR(0x1d), 0]);
    expect(sim.driverErrors).toBe(0);
    sim.spi.write([WCR(ECON1), 0]);
    expect(sim.driverErrors).toBe(1);
  });

  test('RBM wraps from ERXND to ERXST; WBM does not wrap', () => {
    const sim = chip();
    w16(sim, 0x08, 0x0100); // ERXST
    w16(sim, 0x0a, 0x0103); // ERXND
    w16(sim, 0x02, 0x0100); // EWRPT
    sim.spi.write([0x7a, 1, 2, 3, 4, 5]);
    expect(sim.mem[0x104]).toBe(5); // no wrap on write
    w16(sim, 0x00, 0x0102); // ERDPT
    expect(Array.from(sim.spi.send([0x3a, 0, 0, 0, 0, 0]).subarray(1))).toEqual([3, 4, 1, 2, 3]);
  });

  test('ERXRDPTL is latched until ERXRDPTH is written; an even value is flagged (errata 14)', () => {
    const sim = chip();
    w(sim, 0x0c, 0x33);
    expect(r(sim, 0x0c)).toBe(0xfa); // still the committed reset value
    w(sim, 0x0d, 0x02);
    expect(r(sim, 0x0c) | (r(sim, 0x0d) << 8)).toBe(0x0233);
    expect(sim.driverErrors).toBe(0);
    w(sim, 0x0c, 0x34); w(sim, 0x0d, 0x02);
    expect(sim.driverErrors).toBe(1);
  });

  test('ERXST write moves ERXWRPT; with the B7 errata it goes to 0', () => {
    const sim = chip();
    w16(sim, 0x08, 0x0400);
    expect(r(sim, 0x0e) | (r(sim, 0x0f) << 8)).toBe(0x0400);
    sim.errata.erxwrptZeroOnErxstWrite = true;
    w16(sim, 0x08, 0x0600);
    expect(r(sim, 0x0e) | (r(sim, 0x0f) << 8)).toBe(0);
  });

  test('EIR: only DMAIF/TXIF/TXERIF/RXERIF are writable', () => {
    const sim = chip();
    sim.spi.write([BFS(EIR), 0xff]);
    expect(r(sim, EIR)).toBe(0x2b);
    sim.spi.write([BFC(EIR), 0xff]);
    expect(r(sim, EIR)).toBe(0);
  });
});

describe('simulated ENC28J60: MII timing (DS39662E §3.3)', () => {
  test('BUSY holds for 10.24 µs of simulated time, which SPI traffic advances', () => {
    const sim = new Enc28j60Sim({ baud: 1e6 }); // 8 µs per octet
    sim.spi.write([0xff]); sim.advance(1000);
    bank(sim, 2);
    sim.spi.write([WCR(0x14), 0x02]); // MIREGADR = PHID1
    const t0 = sim.nowUs;
    sim.spi.write([WCR(0x12), 0x01]); // MICMD = MIIRD
    bank(sim, 3);
    let polls = 0;
    while (sim.spi.send([RCR(0x0a), 0, 0])[2] & 1) if (++polls > 100) throw new Error('MISTAT.BUSY never cleared in 100 polls');
    expect(sim.nowUs - t0).toBeGreaterThanOrEqual(MII_BUSY_US);
    expect(polls).toBeLessThan(3);
    bank(sim, 2);
    sim.spi.write([WCR(0x12), 0]);
    expect(sim.spi.send([RCR(0x18), 0, 0])[2] | (sim.spi.send([RCR(0x19), 0, 0])[2] << 8)).toBe(0x0083);
    expect(sim.driverErrors).toBe(0);
  });

  test('reading MIRD while BUSY is flagged', () => {
    const sim = chip();
    bank(sim, 2);
    sim.spi.write([WCR(0x14), 0x11]);
    sim.spi.write([WCR(0x12), 0x01]);
    sim.spi.send([RCR(0x18), 0, 0]);
    expect(sim.driverErrors).toBe(1);
  });
});

/** Minimal chip set-up by raw commands: ring 0..0x19FF, RX on, given ERXFCON. */
function receiver(fcon: number, mac = [2, 0, 0, 0, 0, 1]): Enc28j60Sim {
  const sim = chip();
  w16(sim, 0x08, 0); w16(sim, 0x0c, 0x19ff); w16(sim, 0x0a, 0x19ff);
  bank(sim, 1); w(sim, 0x18, fcon);
  bank(sim, 2); w(sim, 0x00, 0x01); w(sim, 0x02, 0x32); w(sim, 0x0a, 0xee); w(sim, 0x0b, 0x05);
  bank(sim, 3);
  [0x04, 0x05, 0x02, 0x03, 0x00, 0x01].forEach((a, i) => w(sim, a, mac[i]));
  sim.spi.write([BFS(ECON1), 0x04]);
  bank(sim, 0);
  return sim;
}
function frameTo(da: number[], len = 64, fill = 0): Uint8Array {
  const f = new Uint8Array(len).fill(fill);
  f.set(da, 0); f.set([2, 0, 0, 0, 0, 9], 6); f[12] = 0x08; f[13] = 0x00;
  return f;
}

describe('simulated ENC28J60: receive ring, RSV and filters (DS39662E §7.2, §8)', () => {
  test('a stored packet: next pointer, byte count with FCS, RSV bits, the FCS itself', () => {
    const sim = receiver(0xa1);
    const f = frameTo([2, 0, 0, 0, 0, 1], 61, 0x5a);
    sim.deliver(f, f.length);
    expect(sim.packetCount).toBe(1);
    const m = sim.mem;
    const next = m[0] | (m[1] << 8), cnt = m[2] | (m[3] << 8), st = m[4] | (m[5] << 8);
    expect(cnt).toBe(65);
    expect(next).toBe(6 + 65 + 1); // padded to even
    expect(st & 0x80).toBe(0x80); // received OK
    expect(st & 0x40).toBe(0x40); // length out of range: EtherType
    const fcs = (zlib as any).crc32 ? (zlib as any).crc32(f) >>> 0 : fcs32(f, 0, 61);
    expect((m[6 + 61] | (m[6 + 62] << 8) | (m[6 + 63] << 16) | (m[6 + 64] << 24)) >>> 0).toBe(fcs);
    expect(sim.int).toBe(1); // PKTIE not enabled
    sim.spi.write([WCR(EIE), 0xc0]);
    expect(sim.int).toBe(0);
    sim.spi.write([BFS(ECON2), 0x40]); // PKTDEC
    expect(sim.packetCount).toBe(0);
    expect(r(sim, EIR) & 0x40).toBe(0);
    expect(sim.int).toBe(1);
  });

  test('the hash filter uses CRC bits 28:23 (checked against zlib crc32)', () => {
    const da = [0x01, 0x00, 0x5e, 0x12, 0x34, 0x56];
    const crc = (zlib as any).crc32 ? (zlib as any).crc32(Uint8Array.from(da)) >>> 0 : fcs32(Uint8Array.from(da), 0, 6);
    let rev = 0;
    const inv = ~crc >>> 0;
    for (let i = 0; i < 32; i++) if (inv & (1 << i)) rev |= 1 << (31 - i);
    const k = (rev >>> 23) & 0x3f;
    expect(simHashIndex(Uint8Array.from(da))).toBe(k);
    const sim = receiver(0x04); // HTEN only
    sim.deliver(frameTo(da), 64);
    expect(sim.packetCount).toBe(0);
    bank(sim, 1);
    w(sim, k >> 3, 1 << (k & 7));
    sim.spi.write([BFC(ECON1), 0x04]); w(sim, 0x18, 0x04); sim.spi.write([BFS(ECON1), 0x04]);
    sim.deliver(frameTo(da), 64);
    expect(sim.packetCount).toBe(1);
  });

  test('ANDOR = 1 needs every enabled filter; ERXFCON = 0 is promiscuous', () => {
    const sim = receiver(0x40 | 0x80 | 0x01); // AND of unicast and broadcast: nothing matches both
    sim.deliver(frameTo([2, 0, 0, 0, 0, 1]), 64);
    sim.deliver(frameTo([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 64);
    expect(sim.packetCount).toBe(0);
    const p = receiver(0x00);
    p.deliver(frameTo([2, 9, 9, 9, 9, 9]), 64);
    expect(p.packetCount).toBe(1);
  });

  test('pattern match and magic packet filters', () => {
    const sim = receiver(0x10); // PMEN
    bank(sim, 1);
    w(sim, 0x14, 14); w(sim, 0x15, 0); // EPMO = 14
    w(sim, 0x08, 0x03); // EPMM: octets 0 and 1 of the window
    // checksum of 0xAB 0xCD = ~0xABCD
    w(sim, 0x10, ~0xabcd & 0xff); w(sim, 0x11, (~0xabcd >> 8) & 0xff);
    const f = frameTo([2, 9, 9, 9, 9, 9], 100);
    f[14] = 0xab; f[15] = 0xcd;
    sim.deliver(f, f.length);
    f[15] = 0xce;
    sim.deliver(f, f.length);
    expect(sim.packetCount).toBe(1);
    const mp = receiver(0x08); // MPEN
    const g = frameTo([2, 0, 0, 0, 0, 1], 140);
    g.fill(0xff, 20, 26);
    for (let i = 0; i < 16; i++) g.set([2, 0, 0, 0, 0, 1], 26 + i * 6);
    mp.deliver(g, g.length);
    g[30] = 7;
    mp.deliver(g, g.length);
    expect(mp.packetCount).toBe(1);
  });

  test('the ring never writes onto ERXRDPT: a full ring sets RXERIF and drops', () => {
    const sim = receiver(0x00);
    for (let n = 0; n < 10 && !(r(sim, EIR) & 1); n++) sim.deliver(frameTo([2, 0, 0, 0, 0, 1], 1000), 1000);
    expect(sim.packetCount).toBe(6); // 6 × (6 + 1004) ≤ 6655 free octets < 7 × 1010
    const wr = r(sim, 0x0e) | (r(sim, 0x0f) << 8);
    expect(wr).toBe(6 * 1010);
    expect(sim.rxStats.overflow).toBe(1);
  });
});

describe('simulated ENC28J60: transmit (DS39662E §7.1)', () => {
  function txChip(macon3 = 0x32) {
    const hub = new Hub();
    const sim = chip();
    const heard: Uint8Array[] = [];
    sim.attach(hub);
    hub.attach({ deliver: (f, n) => heard.push(f.slice(0, n)) });
    bank(sim, 2); w(sim, 0x02, macon3); w(sim, 0x0a, 0xee); w(sim, 0x0b, 0x05);
    bank(sim, 0);
    sim.spi.write([WCR(0x04), 0x00]); sim.spi.write([WCR(0x05), 0x1a]);
    const load = (data: number[], ctrl = 0) => {
      w16(sim, 0x02, 0x1a00);
      sim.spi.write([0x7a, ctrl, ...data]);
      w16(sim, 0x06, 0x1a00 + data.length);
    };
    return { sim, heard, load };
  }

  test('PADCFG 001 pads to 60; the TSV lands at ETXND+1; TXIF after the wire time', () => {
    const { sim, heard, load } = txChip();
    load([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 1, 2]);
    sim.spi.write([BFS(ECON1), 0x08]);
    expect(heard.length).toBe(0); // still on the wire
    sim.advance(100);
    expect(heard.length).toBe(1);
    expect(heard[0].length).toBe(60);
    expect(r(sim, EIR) & 0x08).toBe(0x08);
    expect(r(sim, ECON1) & 0x08).toBe(0);
    const t = 0x1a00 + 16 + 1;
    expect(sim.mem[t] | (sim.mem[t + 1] << 8)).toBe(64);
    expect(sim.mem[t + 3] & 0x02).toBe(0x02); // bit 25 broadcast
  });

  test('control byte POVERRIDE without PPADEN sends the frame unpadded', () => {
    const { sim, heard, load } = txChip();
    load(new Array(30).fill(7), 0x01 | 0x02); // override, CRC, no padding
    sim.spi.write([BFS(ECON1), 0x08]);
    sim.advance(100);
    expect(heard[0].length).toBe(30);
  });

  test('TXRTS stuck after an abort (errata 12) until TXRST; clearing TXRTS early cancels', () => {
    const { sim, heard, load } = txChip();
    sim.errata.txrtsStuckAfterAbort = true;
    sim.faults.txAbort = 1;
    load(new Array(60).fill(1));
    sim.spi.write([BFS(ECON1), 0x08]);
    sim.advance(100);
    expect(r(sim, EIR) & 0x02).toBe(0x02);
    expect(r(sim, 0x1d) & 0x02).toBe(0x02); // ESTAT.TXABRT
    sim.spi.write([BFC(ECON1), 0x08]);
    expect(r(sim, ECON1) & 0x08).toBe(0x08); // stuck
    sim.spi.write([BFS(ECON1), 0x80]); sim.spi.write([BFC(ECON1), 0x80]);
    expect(r(sim, ECON1) & 0x08).toBe(0);
    sim.spi.write([BFS(ECON1), 0x08]);
    sim.spi.write([BFC(ECON1), 0x08]); // cancel at once
    sim.advance(1000);
    expect(heard.length).toBe(0);
    sim.spi.write([BFS(ECON1), 0x08]);
    sim.advance(1000);
    expect(heard.length).toBe(1);
  });

  test('half duplex without HDLDIS loops the frame back into the receiver', () => {
    const { sim, load } = txChip();
    w16(sim, 0x08, 0); w16(sim, 0x0c, 0x19ff); w16(sim, 0x0a, 0x19ff);
    bank(sim, 1); w(sim, 0x18, 0);
    bank(sim, 2); w(sim, 0x00, 0x01);
    sim.spi.write([BFS(ECON1), 0x04]);
    bank(sim, 0);
    load(new Array(60).fill(3));
    sim.spi.write([BFS(ECON1), 0x08]);
    sim.advance(100);
    expect(sim.packetCount).toBe(1);
  });
});

describe('simulated ENC28J60: interrupts and link (DS39662E §3.3, §12)', () => {
  test('INT pin follows EIR & EIE with INTIE; listeners hear the edges; PHIR read clears LINKIF', () => {
    const sim = chip();
    const levels: number[] = [];
    sim.onInt((l) => levels.push(l));
    // PHIE = PGEIE | PLNKIE through MII write
    bank(sim, 2);
    sim.spi.write([WCR(0x14), 0x12]); sim.spi.write([WCR(0x16), 0x12]); sim.spi.write([WCR(0x17), 0x00]);
    sim.advance(20);
    sim.spi.write([WCR(EIE), 0x90]); // INTIE | LINKIE
    sim.setLink(false);
    expect(sim.int).toBe(0);
    expect(sim.peekPhy(0x11) & 0x0400).toBe(0);
    expect(sim.peekPhy(0x01) & 0x0004).toBe(0); // LLSTAT latched low
    sim.spi.write([WCR(0x14), 0x13]); sim.spi.write([WCR(0x12), 0x01]);
    sim.advance(20);
    sim.spi.write([WCR(0x12), 0x00]);
    expect(sim.int).toBe(1);
    expect(levels).toEqual([0, 1]);
    sim.linkFlap(50);
    sim.advance(60);
    expect(sim.linkUp).toBe(true);
    expect(sim.int).toBe(0);
  });

  test('DMA checksum over buffer memory', () => {
    const sim = chip();
    sim.mem.set([0x45, 0x00, 0x00, 0x1c], 0x100);
    w16(sim, 0x10, 0x100); w16(sim, 0x12, 0x103);
    sim.spi.write([BFS(ECON1), 0x10]); sim.spi.write([BFS(ECON1), 0x20]);
    expect(r(sim, EIR) & 0x20).toBe(0x20);
    expect(r(sim, 0x16) | (r(sim, 0x17) << 8)).toBe(~(0x4500 + 0x001c) & 0xffff);
  });
});

describe('the hold after SRC on a separate clock (a bench board on a real interpreter)', () => {
  test('judged on holdClock when one is given: the driver\'s own 1 ms counts even if the chip\'s clock saw less, and too short a wait is still caught', () => {
    let driverUs = 0;
    const sim = new Enc28j60Sim();
    sim.holdClock = () => driverUs;
    sim.spi.write([0xff]);            // SRC at driver time 0
    sim.advance(300);                 // the chip's clock saw only 300 µs (the writes reached it late)
    driverUs = 1000;                  // the driver waited its full millisecond
    sim.spi.send([RCR(ECON1), 0]);
    expect(sim.driverErrorLog).toEqual([]);
    sim.spi.write([0xff]);            // SRC again at driver time 1000
    sim.advance(2000);                // the chip's clock ran ahead; the driver waited only 400 µs
    driverUs = 1400;
    sim.spi.send([RCR(ECON1), 0]);
    expect(sim.driverErrorLog).toEqual(['SPI command 0x1f 400.0 µs after SRC (wait 1 ms)']);
  });
});
