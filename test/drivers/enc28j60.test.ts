import * as zlib from 'zlib';
import { rig, drain, makeFrame, padded, MAC_A, MAC_B, MAC_PEER, BROADCAST, rng, WirePeer } from './enc28j60-harness';
import { Hub } from '../../src/sim/hub';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { connect, hashIndex } from '../../src/drivers/enc28j60';

const B0 = 0, B1 = 1, B2 = 2, B3 = 3;
const reg16 = (sim: Enc28j60Sim, bank: number, addr: number) => sim.peekReg(bank, addr) | (sim.peekReg(bank, addr + 1) << 8);

describe('ENC28J60 driver: init (DS39662E §6)', () => {
  test('half duplex: buffers, filters, MAC, PHY and interrupts programmed; no driver errors', () => {
    const { sim, drv } = rig();
    expect(sim.driverErrors).toBe(0);
    expect(drv.revision).toBe(0x06);
    expect(reg16(sim, B0, 0x08)).toBe(0x0000); // ERXST
    expect(reg16(sim, B0, 0x0a)).toBe(0x19ff); // ERXND
    expect(reg16(sim, B0, 0x0c) & 1).toBe(1); // ERXRDPT odd
    expect(reg16(sim, B0, 0x04)).toBe(0x1a00); // ETXST
    expect(sim.peekReg(B1, 0x18)).toBe(0xa1); // ERXFCON
    expect(sim.peekReg(B2, 0x00)).toBe(0x0d); // MACON1 MARXEN|RXPAUS|TXPAUS
    expect(sim.peekReg(B2, 0x02)).toBe(0x32); // MACON3 PADCFG0|TXCRCEN|FRMLNEN
    expect(sim.peekReg(B2, 0x03)).toBe(0x40); // MACON4 DEFER
    expect(reg16(sim, B2, 0x0a)).toBe(1518); // MAMXFL
    expect(Array.from(sim.macAddress())).toEqual(Array.from(MAC_A));
    expect(sim.peekPhy(0x10)).toBe(0x0100); // PHCON2 HDLDIS
    expect(sim.peekPhy(0x00)).toBe(0); // PHCON1
    expect(sim.peekPhy(0x12)).toBe(0x12); // PHIE
    expect(sim.peekReg(B0, 0x1b)).toBe(0xd3); // EIE: INTIE|PKTIE|LINKIE|TXERIE|RXERIE (no TXIE)
    expect(sim.peekReg(B0, 0x1f) & 0x04).toBe(0x04); // RXEN
    expect(drv.linkUp!()).toBe(true);
  });

  test('full duplex sets MACON3.FULDPX and PHCON1.PDPXMD together', () => {
    const { sim } = rig({}, { fullDuplex: true });
    expect(sim.peekReg(B2, 0x02) & 1).toBe(1);
    expect(sim.peekPhy(0x00)).toBe(0x0100);
    expect(sim.peekPhy(0x10)).toBe(0);
    expect(sim.driverErrors).toBe(0);
  });

  test.each([0xff, 0x00])('no chip (MISO stuck at 0x%s) throws a clear error', (miso) => {
    const sim = new Enc28j60Sim({ absentMiso: miso });
    expect(() => connect(sim.spi, 'CS', { delayMs: sim.delayMs })).toThrow(/no chip answers on SPI/);
  });

  test('default delay (no delayMs hook) waits 1 ms of wall-clock time after SRC', () => {
    // A real chip's time is the wall clock: move the model's time with it on every SPI call (its own
    // SPI-timed clock alone would depend on how many polls a loaded host manages in 1 ms).
    const sim = new Enc28j60Sim();
    let last = process.hrtime.bigint();
    const follow = () => { const now = process.hrtime.bigint(); sim.advance(Number(now - last) / 1000); last = now; };
    const spi = {
      send: (d: Uint8Array | number[], cs?: unknown) => { follow(); return sim.spi.send(d, cs); },
      write: (d: Uint8Array | number[], cs?: unknown) => { follow(); sim.spi.write(d, cs); },
    };
    connect(spi, 'CS');
    expect(sim.driverErrors).toBe(0);
  });

  test('bad options throw errors naming the option', () => {
    const sim = new Enc28j60Sim();
    expect(() => connect(sim.spi, 'CS', { mac: '02:00:00' })).toThrow(/options.mac/);
    expect(() => connect(sim.spi, 'CS', { rxBurst: 0 })).toThrow(/options.rxBurst/);
    const d = connect(sim.spi, 'CS', { mac: '02:4d:4e:00:00:01', delayMs: sim.delayMs });
    expect(Array.from(d.mac)).toEqual([2, 0x4d, 0x4e, 0, 0, 1]);
    expect(() => d.send(new Uint8Array(1600), 1515)).toThrow(/length/);
    expect(() => d.send(new Uint8Array(20), 30)).toThrow(/length/);
  });
});

describe('ENC28J60 driver: receive (DS39662E §7.2)', () => {
  test('unicast and broadcast frames arrive intact; other unicast is filtered by the chip', () => {
    const { sim, drv, peer } = rig();
    const a = makeFrame(MAC_A, MAC_PEER, 100, 1);
    const b = makeFrame(BROADCAST, MAC_PEER, 42, 2);
    const c = makeFrame(MAC_B, MAC_PEER, 100, 3);
    peer.send(a); peer.send(b); peer.send(c);
    const got = drain(drv);
    expect(got.map((f) => Buffer.from(f).toString('hex'))).toEqual([a, padded(b)].map((f) => Buffer.from(f).toString('hex')));
    expect(sim.rxStats.filtered).toBe(1);
    expect(drv.stats().rxFrames).toBe(2);
    expect(sim.packetCount).toBe(0);
    expect(sim.driverErrors).toBe(0);
  });

  test('ring wrap-around: 800 frames of mixed sizes in random bursts, every octet checked', () => {
    // Space given back after every packet, so that 5 full-size frames always fit.
    const { sim, drv, peer } = rig({}, { rxReleaseOctets: 0 });
    const rand = rng(12345);
    let sent = 0, received = 0, wraps = 0;
    let lastWr = 0;
    const buf = new Uint8Array(1518);
    const expected: Uint8Array[] = [];
    // Bounded: a round sends a frame unless 5 are outstanding, so 800 frames take under 4000 rounds; a
    // driver that stops receiving leaves more than 5 outstanding and fails the check at once.
    for (let round = 0; sent < 800; round++) {
      if (round >= 4000 || sent - received > 5) throw new Error(`ring test stuck: round ${round}, sent ${sent}, received ${received}`);
      // at most 4 frames outstanding: 4 × (6 + 1518) octets always fit in the 6656-octet ring
      const burst = 1 + Math.floor(rand() * (4 - (sent - received)));
      for (let k = 0; k < burst && sent < 800; k++) {
        const len = rand() < 0.3 ? 14 + Math.floor(rand() * 60) : 60 + Math.floor(rand() * 1455);
        const f = makeFrame(MAC_A, MAC_PEER, len, sent);
        expected.push(padded(f));
        peer.send(f);
        sent++;
        const wr = reg16(sim, B0, 0x0e);
        if (wr < lastWr) wraps++;
        lastWr = wr;
      }
      // drain a random number of frames, leaving some in the ring across bursts
      const take = Math.floor(rand() * (sent - received + 1));
      for (let k = 0; k < take; k++) {
        const n = drv.receive(buf);
        if (n === 0) break;
        expect(Buffer.from(buf.subarray(0, n)).equals(Buffer.from(expected[received]))).toBe(true);
        received++;
      }
    }
    for (const f of drain(drv)) {
      expect(Buffer.from(f).equals(Buffer.from(expected[received]))).toBe(true);
      received++;
    }
    expect(sim.rxStats.overflow).toBe(0);
    expect(received).toBe(800);
    expect(wraps).toBeGreaterThan(20);
    expect(drv.stats().rxRingErrors).toBe(0);
    expect(sim.driverErrors).toBe(0);
  });

  test('ring overflow: the chip drops and flags RXERIF; the driver counts it and keeps receiving', () => {
    const { sim, drv, peer } = rig();
    let n = 0;
    for (; sim.rxStats.overflow === 0; ) {
      if (n >= 20) throw new Error('no overflow after 20 frames of 1000 octets (the ring holds 6)');
      peer.send(makeFrame(MAC_A, MAC_PEER, 1000, n++));
    }
    peer.send(makeFrame(MAC_A, MAC_PEER, 1000, n++));
    const stored = sim.rxStats.stored;
    expect(stored).toBe(6); // 6 × (6 + 1004) octets fit in 6655
    const got = drain(drv);
    expect(got.length).toBe(stored);
    got.forEach((f, i) => expect(f[17]).toBe(i & 0xff));
    expect(drv.stats().rxOverflows).toBe(1);
    // after draining, reception resumes
    const f = makeFrame(MAC_A, MAC_PEER, 300, 777);
    peer.send(f);
    expect(drain(drv).map((x) => Buffer.from(x).equals(Buffer.from(f)))).toEqual([true]);
    expect(sim.peekReg(B0, 0x1c) & 0x01).toBe(0); // RXERIF cleared
    expect(sim.driverErrors).toBe(0);
  });

  test('forced overflow (fault knob) loses exactly those frames', () => {
    const { sim, drv, peer } = rig();
    peer.send(makeFrame(MAC_A, MAC_PEER, 64, 1));
    sim.faults.rxOverflow = 2;
    peer.send(makeFrame(MAC_A, MAC_PEER, 64, 2));
    peer.send(makeFrame(MAC_A, MAC_PEER, 64, 3));
    peer.send(makeFrame(MAC_A, MAC_PEER, 64, 4));
    expect(drain(drv).map((f) => f[17])).toEqual([1, 4]);
    expect(drv.stats().rxOverflows).toBe(1);
  });

  test('a bad receive status vector is dropped and counted; the next frame is fine', () => {
    const { sim, drv, peer } = rig();
    sim.faults.rsv = { set: 0x0010, clear: 0x0080 }; // CRC error, not OK
    peer.send(makeFrame(MAC_A, MAC_PEER, 200, 1));
    sim.faults.rsv = null;
    peer.send(makeFrame(MAC_A, MAC_PEER, 200, 2));
    let got = drain(drv);
    expect(got.map((f) => f[17])).toEqual([2]);
    expect(drv.stats().rxCrcErrors).toBe(1);
    sim.faults.rsv = { set: 0x0020, clear: 0x0080 }; // length check error
    peer.send(makeFrame(MAC_A, MAC_PEER, 200, 3));
    sim.faults.rsv = { set: 0, clear: 0x0080 }; // not OK, no reason
    peer.send(makeFrame(MAC_A, MAC_PEER, 200, 4));
    peer.send(makeFrame(MAC_A, MAC_PEER, 200, 5));
    got = drain(drv);
    expect(got.map((f) => f[17])).toEqual([5]);
    expect(drv.stats().rxLengthErrors).toBe(1);
    expect(drv.stats().rxNotOk).toBe(1);
    expect(sim.driverErrors).toBe(0);
  });

  test('bad FCS: with CRCEN the chip drops it; promiscuous it is stored with RSV bit 20 and the driver drops it', () => {
    const { sim, drv, peer } = rig();
    sim.faults.badFcs = 1;
    peer.send(makeFrame(MAC_A, MAC_PEER, 80, 1));
    expect(sim.rxStats.filtered).toBe(1);
    expect(drain(drv)).toEqual([]);
  });

  test('a frame longer than the caller buffer is dropped and counted', () => {
    const { drv, peer } = rig();
    peer.send(makeFrame(MAC_A, MAC_PEER, 600, 1));
    peer.send(makeFrame(MAC_A, MAC_PEER, 100, 2));
    const small = new Uint8Array(512);
    expect(drv.receive(small)).toBe(100);
    expect(small[17]).toBe(2);
    expect(drv.stats().rxTooLong).toBe(1);
  });

  test('rxBurst bounds the packets examined per call', () => {
    const { sim, drv, peer } = rig({}, { rxBurst: 2 });
    for (let i = 0; i < 3; i++) { sim.faults.rsv = { set: 0x10, clear: 0x80 }; peer.send(makeFrame(MAC_A, MAC_PEER, 80, i)); }
    peer.send(makeFrame(MAC_A, MAC_PEER, 80, 9));
    const buf = new Uint8Array(1518);
    expect(drv.receive(buf)).toBe(0);
    expect(drv.stats().rxBurstLimits).toBe(1);
    expect(drv.receive(buf)).toBe(80);
    expect(buf[17]).toBe(9);
  });
});

describe('ENC28J60 driver: transmit (DS39662E §7.1)', () => {
  test('frames reach the wire padded to 60 octets; the TSV is written after ETXND', () => {
    const { sim, drv, peer } = rig();
    const f = makeFrame(MAC_PEER, MAC_A, 42, 5);
    expect(drv.send(f, 42)).toBe(true);
    expect(drv.flush()).toBe(true);
    const big = makeFrame(MAC_PEER, MAC_A, 1514, 6);
    expect(drv.send(big, 1514)).toBe(true);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.length).toBe(2);
    expect(Buffer.from(peer.heard[0]).equals(Buffer.from(padded(f)))).toBe(true);
    expect(Buffer.from(peer.heard[1]).equals(Buffer.from(big))).toBe(true);
    const tsv = 0x1a00 + 1514 + 1;
    expect(sim.mem[tsv] | (sim.mem[tsv + 1] << 8)).toBe(1518); // byte count incl. FCS
    expect(sim.mem[tsv + 2] & 0x80).toBe(0x80); // bit 23 done
    expect(drv.stats().txFrames).toBe(2);
    expect(sim.driverErrors).toBe(0);
  });

  test('a finished transmission does not hold INT low (TXIE off); the next idle receive() clears TXIF', () => {
    const { sim, drv } = rig();
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 1), 100);
    sim.advance(2000);
    expect(sim.int).toBe(1); // TXIF set, TXIE off: INT stays released for the next RX edge
    expect(sim.peekReg(0, 0x1c) & 0x08).toBe(0x08);
    drv.receive(new Uint8Array(1518)); // the first idle poll after a send leaves EIR alone
    drv.receive(new Uint8Array(1518));
    expect(sim.peekReg(0, 0x1c) & 0x08).toBe(0);
    expect(drv.flush()).toBe(true); // nothing pending any more
    expect(drv.stats().txAborts + drv.stats().txTimeouts).toBe(0);
  });

  test('back-to-back sends wait (bounded) for the previous frame', () => {
    const { sim, drv, peer } = rig();
    for (let i = 0; i < 50; i++) expect(drv.send(makeFrame(MAC_PEER, MAC_A, 1514, i), 1514)).toBe(true);
    drv.flush();
    expect(peer.heard.map((f) => f[17])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(drv.stats().txTimeouts).toBe(0);
    expect(sim.driverErrors).toBe(0);
  });

  test('an aborted transmission is counted and the next one goes out', () => {
    const { sim, drv, peer } = rig();
    sim.faults.txAbort = 1;
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 1), 100);
    expect(drv.flush()).toBe(false);
    expect(drv.stats().txAborts).toBe(1);
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 2), 100);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map((f) => f[17])).toEqual([2]);
    expect(sim.driverErrors).toBe(0);
  });

  test('late collisions are retried; exhausted retries abort', () => {
    const { sim, drv, peer } = rig({}, { lateCollisionRetries: 3 });
    sim.faults.lateCollision = 2;
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 1), 100);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map((f) => f[17])).toEqual([1]);
    expect(drv.stats().txLateCollisions).toBe(2);
    expect(drv.stats().txRetries).toBe(2);
    sim.faults.lateCollision = 10;
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 2), 100);
    expect(drv.flush()).toBe(false);
    expect(drv.stats().txAborts).toBe(1);
    expect(drv.stats().txRetries).toBe(5);
    expect(peer.heard.length).toBe(1);
    sim.faults.lateCollision = 0;
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 3), 100);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map((f) => f[17])).toEqual([1, 3]);
  });

  test('a transmission that never ends times out (bounded), counted; TXRST of the next send recovers', () => {
    const { sim, drv, peer } = rig({}, { txPolls: 5 });
    drv.send(makeFrame(MAC_PEER, MAC_A, 1514, 1), 1514);
    expect(drv.flush()).toBe(false); // 5 polls are far less than 1.2 ms of wire time
    expect(drv.stats().txTimeouts).toBe(1);
    sim.advance(5000);
    drv.send(makeFrame(MAC_PEER, MAC_A, 60, 2), 60);
    sim.advance(5000);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map((f) => f[17])).toEqual([1, 2]);
  });
});

describe('ENC28J60 driver: link (DS39662E §3.3)', () => {
  test('link down and up are reported through LINKIF; send refuses while down', () => {
    const { sim, drv, links } = rig();
    const buf = new Uint8Array(1518);
    sim.setLink(false);
    expect(sim.int).toBe(0); // INT asserted by LINKIF
    drv.receive(buf);
    expect(links).toEqual([false]);
    expect(drv.linkUp!()).toBe(false);
    expect(sim.int).toBe(1); // PHIR read cleared it
    expect(drv.send(makeFrame(MAC_PEER, MAC_A, 60, 1), 60)).toBe(false);
    expect(drv.stats().txLinkDown).toBe(1);
    sim.linkFlap(0); // already down; comes up at once on the next event
    sim.advance(1);
    drv.receive(buf);
    expect(links).toEqual([false, true]);
    expect(drv.linkUp!()).toBe(true);
    expect(drv.stats().linkChanges).toBe(2);
    expect(sim.driverErrors).toBe(0);
  });

  test('a flap while frames are pending: frames still drain, link reported down then up', () => {
    const { sim, drv, peer, links } = rig();
    peer.send(makeFrame(MAC_A, MAC_PEER, 100, 1));
    sim.linkFlap(500);
    peer.send(makeFrame(MAC_A, MAC_PEER, 100, 2)); // lost: no link
    expect(drain(drv).map((f) => f[17])).toEqual([1]);
    expect(links).toEqual([false]);
    sim.advance(600);
    peer.send(makeFrame(MAC_A, MAC_PEER, 100, 3));
    expect(drain(drv).map((f) => f[17])).toEqual([3]);
    expect(links).toEqual([false, true]);
    expect(drv.checkLink()).toBe(true);
  });
});

/** Reflected CRC-32 of `data`, independently of the driver: Node's zlib when present, else bitwise. */
function zlibCrc32(data: Uint8Array): number {
  const z = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (z) return z(data) >>> 0;
  let c = 0xffffffff;
  for (const b of data) { c ^= b; for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1; }
  return (c ^ 0xffffffff) >>> 0;
}
/** Hash index from the standard CRC-32: the ENC28J60 register equals bit-reverse(~crc32). */
function expectedHash(mac: Uint8Array): number {
  const inv = ~zlibCrc32(mac) >>> 0;
  let r = 0;
  for (let i = 0; i < 32; i++) if (inv & (1 << i)) r |= 1 << (31 - i);
  return ((r >>> 0) >>> 23) & 0x3f;
}

describe('ENC28J60 driver: multicast hash filter (DS39662E §8)', () => {
  const groups = [
    Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01),
    Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb),
    Uint8Array.of(0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa),
    Uint8Array.of(0x33, 0x33, 0x00, 0x00, 0x00, 0x01),
  ];

  test('hashIndex agrees with an independent CRC-32 for many addresses', () => {
    const rand = rng(99);
    for (let i = 0; i < 500; i++) {
      const m = Uint8Array.from({ length: 6 }, () => Math.floor(rand() * 256));
      expect(hashIndex(m)).toBe(expectedHash(m));
    }
    for (const g of groups) expect(hashIndex(g)).toBe(expectedHash(g));
  });

  test('setMulticast programs EHT0–7 and the chip accepts exactly the hashed groups', () => {
    const { sim, drv, peer } = rig();
    drv.setMulticast!(groups.slice(0, 2));
    const eht = Array.from({ length: 8 }, (_, i) => sim.peekReg(B1, i));
    const want = new Array(8).fill(0);
    for (const g of groups.slice(0, 2)) { const k = expectedHash(g); want[k >> 3] |= 1 << (k & 7); }
    expect(eht).toEqual(want);
    expect(sim.peekReg(B1, 0x18)).toBe(0xa5); // UCEN|CRCEN|HTEN|BCEN
    // pick a group whose hash bit is not set
    let other = groups[2];
    for (let x = 0; (want[expectedHash(other) >> 3] >> (expectedHash(other) & 7)) & 1; x++) other = Uint8Array.of(1, 0, 0x5e, 1, 2, x);
    peer.send(makeFrame(groups[0], MAC_PEER, 60, 1));
    peer.send(makeFrame(groups[1], MAC_PEER, 60, 2));
    peer.send(makeFrame(other, MAC_PEER, 60, 3));
    expect(drain(drv).map((f) => f[17])).toEqual([1, 2]);
    drv.setMulticast!(null);
    expect(sim.peekReg(B1, 0x18)).toBe(0xa3); // MCEN
    peer.send(makeFrame(other, MAC_PEER, 60, 4));
    expect(drain(drv).map((f) => f[17])).toEqual([4]);
    drv.setMulticast!([]);
    peer.send(makeFrame(groups[0], MAC_PEER, 60, 5));
    peer.send(makeFrame(BROADCAST, MAC_PEER, 60, 6));
    expect(drain(drv).map((f) => f[17])).toEqual([6]);
    expect(() => drv.setMulticast!([new Uint8Array(3)])).toThrow(/macs\[0\]/);
    expect(sim.driverErrors).toBe(0);
  });
});

describe('ENC28J60 driver with errata switched on', () => {
  test('errata 14 (even ERXRDPT corrupts the ring): the driver never writes an even value', () => {
    const { sim, drv, peer } = rig();
    sim.errata.evenRdptCorruption = true;
    for (let i = 0; i < 300; i++) {
      peer.send(makeFrame(MAC_A, MAC_PEER, 60 + ((i * 97) % 1400), i));
      const got = drain(drv);
      expect(got.length).toBe(1);
      expect(got[0][17]).toBe(i & 0xff);
    }
    expect(drv.stats().rxRingErrors).toBe(0);
    expect(sim.driverErrors).toBe(0);
  });

  test('errata 14: a corrupted next pointer (even ERXRDPT forced) is detected, RX is reset, reception resumes', () => {
    const { sim, drv, peer } = rig();
    sim.errata.evenRdptCorruption = true;
    // a buggy write of an even ERXRDPT (bank 0 is selected after init's last receive-side writes)
    sim.spi.write(Uint8Array.of(0x40 | 0x1f, 0x04)); // ECON1 = RXEN, bank 0
    sim.spi.write(Uint8Array.of(0x40 | 0x0c, 0x00));
    sim.spi.write(Uint8Array.of(0x40 | 0x0d, 0x10)); // ERXRDPT = 0x1000 (even)
    expect(sim.driverErrors).toBe(1);
    peer.send(makeFrame(MAC_A, MAC_PEER, 100, 1));
    expect(drain(drv)).toEqual([]);
    expect(drv.stats().rxRingErrors).toBe(1);
    expect(drv.stats().rxResets).toBe(1);
    peer.send(makeFrame(MAC_A, MAC_PEER, 100, 2));
    expect(drain(drv).map((f) => f[17])).toEqual([2]);
  });

  test('errata 12 (TXRTS stuck after an abort): the TXRST before each send recovers', () => {
    const { sim, drv, peer } = rig();
    sim.errata.txrtsStuckAfterAbort = true;
    sim.faults.txAbort = 1;
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 1), 100);
    expect(drv.flush()).toBe(false);
    // The abort is handled at once (errata 12's conditional workaround: TXRST on TXERIF), so TXRTS is
    // already released here; the TXRST before the next send would release it too.
    expect(sim.peekReg(0, 0x1f) & 0x08).toBe(0);
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 2), 100);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map((f) => f[17])).toEqual([2]);
    expect(sim.driverErrors).toBe(0);
  });

  test('unreliable PKTIF: the driver counts on EPKTCNT and misses nothing', () => {
    const { sim, drv, peer } = rig();
    sim.errata.unreliablePktif = true;
    let pktifMissing = 0;
    for (let i = 0; i < 40; i++) {
      peer.send(makeFrame(MAC_A, MAC_PEER, 70, i));
      if (!(sim.peekReg(0, 0x1c) & 0x40)) pktifMissing++;
      expect(drain(drv).map((f) => f[17])).toEqual([i]);
    }
    expect(pktifMissing).toBe(20);
  });

  test('ERXWRPT = 0 after an ERXST write: harmless because the ring starts at 0', () => {
    const sim = new Enc28j60Sim();
    sim.errata.erxwrptZeroOnErxstWrite = true;
    const hub = new Hub();
    sim.attach(hub);
    const peer = new WirePeer(hub);
    const drv = connect(sim.spi, 'CS', { mac: MAC_A, delayMs: sim.delayMs });
    for (let i = 0; i < 30; i++) peer.send(makeFrame(MAC_A, MAC_PEER, 500, i));
    expect(drain(drv).map((f) => f[17])).toEqual(Array.from({ length: 30 }, (_, i) => i).slice(0, sim.rxStats.stored));
    expect(sim.driverErrors).toBe(0);
  });
});

describe('ENC28J60 driver: SPI economy', () => {
  test('steady state: receive = ERXWRPTL + one RBM + PKTDEC, idle = ERXWRPTL/H + EIR, send = EWRPTL + WBM + TXRTS', () => {
    const { sim, drv, peer } = rig({}, { rxReleaseOctets: 4096 }); // the release is tested below
    const log: number[][] = [];
    sim.onTransaction = (mosi) => log.push(Array.from(mosi.subarray(0, 2)).concat(mosi.length));
    const buf = new Uint8Array(1518);
    const f = makeFrame(MAC_A, MAC_PEER, 1000, 1);
    const out = makeFrame(MAC_PEER, MAC_A, 100, 2);
    // Warm up: the first frame of a size costs a second RBM, the first send the EWRPT/ETXND writes.
    peer.send(f);
    expect(drv.receive(buf)).toBe(1000);
    drv.send(out, 100);
    drv.flush();
    expect(drv.receive(buf)).toBe(0);
    log.length = 0;
    peer.send(f);
    expect(drv.receive(buf)).toBe(1000);
    // RCR ERXWRPTL; one RBM of the header and the whole frame (6 + 1004 octets + the opcode); PKTDEC.
    expect(log).toEqual([[0x0e, 0, 2], [0x3a, 0, 1 + 6 + 1004], [0x9e, 0x40, 2]]);
    expect(Buffer.from(buf.subarray(0, 1000)).equals(Buffer.from(f))).toBe(true);
    log.length = 0;
    sim.advance(2000); // the previous transmission has long ended
    expect(drv.receive(buf)).toBe(0);
    expect(log.map((t) => t[0])).toEqual([0x0e, 0x0f, 0x1c]); // ERXWRPTL, ERXWRPTH, EIR: nothing waiting
    log.length = 0;
    expect(drv.send(out, 100)).toBe(true);
    // EWRPTL (EWRPTH unchanged for a frame this short), WBM control byte + frame, BFS TXRTS; ETXND unchanged.
    expect(log).toEqual([[0x42, 0x00, 2], [0x7a, 0x00, 2 + 100], [0x9f, 0x08, 2]]);
    log.length = 0;
    expect(drv.receive(buf)).toBe(0);
    expect(log.map((t) => t[0])).toEqual([0x0e, 0x0f]); // right after a send: no EIR read (still on the wire)
    log.length = 0;
    sim.advance(2000);
    expect(drv.receive(buf)).toBe(0);
    expect(log.map((t) => t[0])).toEqual([0x0e, 0x0f, 0x1c, 0xbc]); // then EIR, and BFC EIR.TXIF for the ended send
    expect(drv.stats().txFrames).toBe(2);
    expect(sim.driverErrors).toBe(0);
  });

  test('the ring space goes back to the chip (ERXRDPT, odd, L then H) once rxReleaseOctets have been read', () => {
    const { sim, drv, peer } = rig({}, { rxReleaseOctets: 1000 });
    const buf = new Uint8Array(1518);
    const rd = () => sim.peekReg(0, 0x0c) | (sim.peekReg(0, 0x0d) << 8);
    const start = rd();
    peer.send(makeFrame(MAC_A, MAC_PEER, 400, 1)); // 6 + 404 octets
    expect(drv.receive(buf)).toBe(400);
    expect(rd()).toBe(start);
    peer.send(makeFrame(MAC_A, MAC_PEER, 700, 2)); // 6 + 704: 1120 read
    expect(drv.receive(buf)).toBe(700);
    expect(rd()).toBe(410 + 710 - 1);
    expect(rd() & 1).toBe(1);
    expect(sim.driverErrors).toBe(0);
  });
});

describe('two drivers on two simulated chips on one hub', () => {
  test('exchange unicast and broadcast frames both ways', () => {
    const hub = new Hub();
    const simA = new Enc28j60Sim(), simB = new Enc28j60Sim();
    simA.attach(hub); simB.attach(hub);
    const a = connect(simA.spi, 'CSA', { mac: MAC_A, delayMs: simA.delayMs });
    const b = connect(simB.spi, 'CSB', { mac: MAC_B, delayMs: simB.delayMs, fullDuplex: true });
    for (let i = 0; i < 100; i++) {
      const fa = makeFrame(i % 10 === 0 ? BROADCAST : MAC_B, MAC_A, 14 + ((i * 131) % 1500), i);
      expect(a.send(fa, fa.length)).toBe(true);
      expect(a.flush()).toBe(true);
      const gotB = drain(b);
      expect(gotB.length).toBe(1);
      expect(Buffer.from(gotB[0]).equals(Buffer.from(padded(fa)))).toBe(true);
      const fb = makeFrame(MAC_A, MAC_B, 60 + i, 1000 + i);
      expect(b.send(fb, fb.length)).toBe(true);
      b.flush();
      const gotA = drain(a);
      expect(gotA.length).toBe(1);
      expect(Buffer.from(gotA[0]).equals(Buffer.from(fb))).toBe(true);
    }
    expect(simA.driverErrors + simB.driverErrors).toBe(0);
    expect(a.stats().rxFrames).toBe(100);
    expect(b.stats().rxFrames).toBe(100);
  });
});
