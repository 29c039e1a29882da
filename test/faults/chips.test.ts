/**
 * Chip faults (issue 7 item 3) through the simulated chips, with the real drivers and a real stack:
 * SPI bit errors on reads, link flaps, receive overflow storms, corrupt receive status / W5500 length
 * headers, and a chip reset in the middle of a driver sequence. After each fault the drivers must have
 * counted what they saw, UDP echo must work again, and every ring frame must be back.
 * Time is simulated (1 ms per step); nothing here depends on the wall clock.
 */
import { rig, stackDrops, ChipKind, Rig, A_MAC as A_MAC_OF_RIG } from './rig';

const KINDS: ChipKind[] = ['enc28j60', 'w5500'];

function ringIntact(r: Rig): void {
  for (const s of [r.a.stats(), r.b.stats()]) {
    expect(s.ring.free).toBe(s.ring.size);
    expect(s.ring.doubleGive).toBe(0);
  }
}

/** Warm-up: ARP both ways and a first echo. */
function ready(kind: ChipKind, seed = 1): Rig {
  const r = rig(kind, seed);
  r.run(50);
  expect(r.echo(5)).toBe(5);
  return r;
}

describe.each(KINDS)('%s', (kind) => {
  test('SPI bit errors on reads (0.05 % of octets): drops counted by driver and stack, no throw; echo works once the bus is clean', () => {
    const r = ready(kind, 21);
    r.spi.bitErrorPct = 0.05;
    let replies = 0;
    for (let round = 0; round < 10; round++) replies += r.echo(40, 2, 200 + round * 120);
    const flips = r.spi.flips;
    r.spi.bitErrorPct = 0;
    expect(flips).toBeGreaterThan(50);
    const d = r.driverStats();
    const st = r.a.stats();
    const driverSaw = kind === 'enc28j60'
      ? d.rxRingErrors + d.rxCrcErrors + d.rxLengthErrors + d.rxNotOk + d.rxTooLong
      : d.rxBadLength + d.rxBadSize + d.tornReads + d.rxTooLong;
    // Bad octets are caught by the driver's sanity checks (ENC28J60: next-packet pointer → RXRST;
    // W5500: size registers read twice → torn read) and by the stack's checksums.
    expect(driverSaw).toBeGreaterThan(0);
    expect(stackDrops(st)).toBeGreaterThan(0);
    expect(replies).toBeGreaterThan(0);
    expect(replies).toBeLessThan(400);
    // A flipped bit in an ARP packet (which has no checksum) may have taught A a wrong MAC for B:
    // that entry ages out after arpMaxAgeMs (60 s), so give the clean bus that long at most.
    r.run(61000);
    expect(r.echo(20)).toBe(20);
    ringIntact(r);
  });

  test('link flaps during traffic: counted by the driver, frames refused while down, echo resumes', () => {
    const r = ready(kind, 2);
    for (let i = 0; i < 12; i++) {
      if (kind === 'enc28j60') r.enc!.sim.linkFlap((i % 3 === 0 ? 1500 : 30) * 1000);
      else r.w5500!.sim.setLink(false);
      r.echo(5, 2);
      if (kind === 'w5500') {
        r.run(i % 3 === 0 ? 1500 : 30);
        r.w5500!.sim.setLink(true);
      }
      r.run(1600);
    }
    r.run(2000);
    expect(r.echo(20)).toBe(20);
    const d = r.driverStats();
    expect(d.linkChanges).toBeGreaterThanOrEqual(2);
    if (kind === 'enc28j60') expect(d.txLinkDown + r.enc!.sim.rxStats.noLink).toBeGreaterThan(0);
    else expect(d.sendTimeouts + d.txLinkDown + r.w5500!.sim.counters.rxLinkDown).toBeGreaterThan(0);
    ringIntact(r);
  });

  test('receive overflow storm: 400 frames of 1000 octets while A is not polled, then a forced overflow; echo resumes', () => {
    const r = ready(kind, 3);
    const payload = new Uint8Array(1000);
    for (let i = 0; i < 400; i++) r.b.udp.send('192.0.2.2', 7, payload, 9000); // A is not polled meanwhile
    r.run(500);
    if (kind === 'enc28j60') {
      expect(r.enc!.sim.rxStats.overflow).toBeGreaterThan(300);
      expect(r.driverStats().rxOverflows).toBeGreaterThanOrEqual(1);
      r.enc!.sim.faults.rxOverflow = 50; // the next 50 arriving frames are lost as if the ring were full
    } else {
      expect(r.w5500!.sim.counters.rxOverflow).toBeGreaterThan(300);
      r.w5500!.sim.faults.rxFull = true;
    }
    const during = r.echo(50);
    if (kind === 'w5500') r.w5500!.sim.faults.rxFull = false;
    expect(during).toBe(0);
    expect(r.echo(20)).toBe(20);
    ringIntact(r);
  });

  if (kind === 'w5500') {
    test.each([0, 1, 15, 1517, 0x8000, 0xffff, 900])('corrupt MACRAW length header %i: rxBadLength, socket reopened, echo resumes', (value) => {
      const r = ready(kind, 4);
      const d0 = { ...r.driverStats() };
      r.w5500!.sim.faults.corruptHeaders = 1;
      r.w5500!.sim.faults.corruptHeaderValue = value;
      r.echo(1); // its header is the corrupt one (900 is plausible but larger than what the buffer holds)
      const d = r.driverStats();
      expect(d.rxBadLength - d0.rxBadLength).toBe(1);
      expect(d.reopens - d0.reopens).toBe(1);
      expect(r.echo(20)).toBe(20);
      expect(r.w5500!.sim.misuseTotal()).toBe(0);
      ringIntact(r);
    });
  } else {
    test.each([
      ['CRC error (RSV bit 20)', { set: 0x0010, clear: 0x0080 }, 'rxCrcErrors'],
      ['length check error (RSV bit 21)', { set: 0x0020, clear: 0x0080 }, 'rxLengthErrors'],
      ['received-OK clear (RSV bit 23)', { set: 0, clear: 0x0080 }, 'rxNotOk'],
    ])('corrupt receive status vector: %s counted, frame dropped, echo resumes', (_what, rsv, counter) => {
      const r = ready(kind, 5);
      const before = r.driverStats()[counter as string];
      r.enc!.sim.faults.rsv = rsv;
      expect(r.echo(1)).toBe(0);
      expect(r.driverStats()[counter as string] - before).toBe(1);
      expect(r.echo(20)).toBe(20);
      expect(r.enc!.sim.driverErrors).toBe(0);
      ringIntact(r);
    });

    test('corrupt next-packet pointer in the ring (errata 14 model): ring error counted, receive logic reset, echo resumes', () => {
      const r = ready(kind, 6);
      const sim = r.enc!.sim;
      // Spoil the next-packet pointer of the next stored packet: the header is at ERXWRPT when it arrives.
      const wr = sim.peekReg(0, 0x0e) | (sim.peekReg(0, 0x0f) << 8);
      r.b.udp.send('192.0.2.2', 7, new Uint8Array(30), 9000);
      sim.mem[wr] ^= 0x40;
      r.run(50);
      const d = r.driverStats();
      expect(d.rxRingErrors).toBe(1);
      expect(d.rxResets).toBe(1);
      expect(r.echo(20)).toBe(20);
      ringIntact(r);
    });
  }

  /*
   * A chip reset in the middle of a driver sequence (ENC28J60: SRC between the packet-header RBM and the
   * frame RBM; W5500: MR.RST between the length-header read and the frame read). The reset returns the
   * chip's registers to their reset values (DS39662E §3, Table 3-2 / W5500 datasheet §4.1): ENC28J60 ECON1.RXEN, MACON1/MACON3,
   * EIE and the PHY interrupt enables are cleared, so A would receive nothing again; W5500 socket 0 is
   * closed and SHAR, SIMR and the buffer sizes are cleared. The frame being read is lost (its octets come
   * from a reset chip, so the stack drops it; W5500: see below). The ENC28J60 driver finds ECON1 without
   * RXEN at the stack's next linkUp call (every linkCheckMs); the W5500 driver finds Sn_SR = 0x00 when the
   * reply's SEND times out. Each re-runs the init sequence once (reinits = 1) and the chip is configured
   * as before: echo works again, the chip sees no driver misuse after the recovery, and every ring frame
   * is back.
   */
  test('chip reset in the middle of a receive: the driver re-initialises within one link check and echo resumes', () => {
    const r = ready(kind, 7);
    let armed = true;
    let sawHeader = false;
    r.spi.beforeTransaction = (mosi) => {
      if (!armed) return;
      if (sawHeader) {
        armed = false;
        if (kind === 'enc28j60') r.enc!.sim.spi.write(Uint8Array.of(0xff)); // SRC
        else r.w5500!.sim.spi.write(Uint8Array.of(0x00, 0x00, 0x04, 0x80)); // MR = RST
        return;
      }
      // ENC28J60: the RBM of the packet header (and the frame); W5500: the read in the socket 0 RX block (header and frame).
      if (kind === 'enc28j60') sawHeader = mosi[0] === 0x3a;
      else sawHeader = mosi[2] === 0x18;
    };
    const timeouts0 = r.driverStats().sendTimeouts;
    r.echo(1);
    expect(armed).toBe(false);
    if (kind === 'w5500') {
      // The frame itself survived (it lies below 2 KB, where the reset buffer size maps it the same), so
      // A replies into the closed socket: the SEND times out, its last poll reads Sn_SR = 0x00, re-init.
      expect(r.driverStats().sendTimeouts - timeouts0).toBe(1);
      expect(r.driverStats().reinits).toBe(1);
    } else {
      // The reset leaves ERXWRPT away from the driver's next-packet pointer: the next receive reads a bad
      // header there, reads ECON1 back without RXEN and re-initialises; at the latest the stack's next
      // link check (linkCheckMs = 1000) does.
      expect(r.driverStats().reinits).toBeLessThanOrEqual(1);
    }
    r.run(1100);
    const d = r.driverStats();
    expect(d.reinits).toBe(1);
    expect(d.reinitFailures).toBe(0);
    const misuse = () => (kind === 'enc28j60' ? r.enc!.sim.driverErrors : r.w5500!.sim.misuseTotal());
    const misuseAfter = misuse();
    r.run(3900);
    expect(r.echo(20)).toBe(20);
    expect(r.driverStats().reinits).toBe(1);
    expect(misuse()).toBe(misuseAfter);
    if (kind === 'enc28j60') {
      // Configuration back as init left it: MAC address, receive and MAC enables.
      expect(Array.from(r.enc!.sim.macAddress())).toEqual(Array.from(A_MAC_OF_RIG));
      expect(r.enc!.sim.peekReg(0, 0x1f) & 0x04).toBe(0x04);
    } else {
      expect(Array.from(r.w5500!.sim.common.subarray(0x09, 0x0f))).toEqual(Array.from(A_MAC_OF_RIG));
      expect(r.w5500!.sim.sockets[0].regs[0x03]).toBe(0x42);
    }
    ringIntact(r);
  });
});
