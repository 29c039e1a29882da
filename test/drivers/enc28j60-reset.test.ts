/**
 * ENC28J60 driver: recovery from a chip reset (RESET pin glitch / brown-out modelled by
 * Enc28j60Sim.pulseReset, an SRC command on the bus). A reset returns ECON1 to 0 (DS §11; Table 3-2),
 * so the driver's read-back of ECON1 (in linkUp, after a failed transmission, on a ring error) finds RXEN
 * clear and runs the init sequence again. Real driver against the simulated chip; time is simulated.
 */
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { spiOctets } from '../../src/sim/spi';
import type { SpiBus } from '../../src/drivers/device';
import { connect, hashIndex } from '../../src/drivers/enc28j60';
import { Hub } from '../../src/sim/hub';
import { rig, drain, makeFrame, padded, WirePeer, MAC_A, MAC_PEER, BROADCAST } from './enc28j60-harness';

const hex = (f: Uint8Array) => Buffer.from(f).toString('hex');
const GROUP_IN = Uint8Array.of(0x01, 0x00, 0x5e, 0x01, 0x02, 0x03);

/** Registers by bank and address (DS Table 3-2), read from the sim without side effects. */
const ECON1 = (sim: Enc28j60Sim) => sim.peekReg(0, 0x1f);
const ERXFCON = (sim: Enc28j60Sim) => sim.peekReg(1, 0x18);
const MACON1 = (sim: Enc28j60Sim) => sim.peekReg(2, 0x00);
const MACON3 = (sim: Enc28j60Sim) => sim.peekReg(2, 0x02);
const EIE = (sim: Enc28j60Sim) => sim.peekReg(0, 0x1b);

/** Another multicast MAC whose hash-table bit (DS39662E §8) differs from GROUP_IN's. */
function otherGroup(): Uint8Array {
  const k = hashIndex(GROUP_IN);
  for (let b = 4; b < 256; b++) {
    const g = Uint8Array.of(0x01, 0x00, 0x5e, 0x01, 0x02, b);
    if (hashIndex(g) !== k) return g;
  }
  throw new Error('no other group');
}

function resetRig(drvOpts = {}) {
  const resets: boolean[] = [];
  const r = rig({}, { onReset: (ok: boolean) => resets.push(ok), ...drvOpts });
  return { ...r, resets };
}

describe('ENC28J60 driver: chip reset recovery', () => {
  test('reset while idle: linkUp reads ECON1 without RXEN, re-runs init once; frames flow both ways again', () => {
    const { sim, drv, peer, resets, links } = resetRig();
    const before = makeFrame(MAC_A, MAC_PEER, 100, 1);
    peer.send(before);
    expect(drain(drv).map(hex)).toEqual([hex(before)]);
    expect(drv.linkUp()).toBe(true);
    expect(drv.stats().reinits).toBe(0);

    sim.pulseReset();
    sim.advance(2000); // past the 1 ms start-up hold
    expect(ECON1(sim)).toBe(0);
    const lost = makeFrame(MAC_A, MAC_PEER, 80, 2);
    peer.send(lost); // RXEN = 0: the chip ignores it
    expect(sim.rxStats.disabled).toBe(1);
    expect(drain(drv)).toEqual([]);

    expect(drv.linkUp()).toBe(true);
    const s = drv.stats();
    expect(s.reinits).toBe(1);
    expect(s.reinitFailures).toBe(0);
    expect(resets).toEqual([true]);
    expect(links).toEqual([]); // the link never went down
    // Configuration as init left it: RX enabled, MAC enables, padding + FCS, interrupts, MAC address.
    expect(ECON1(sim) & 0x04).toBe(0x04);
    expect(MACON1(sim) & 0x01).toBe(0x01);
    expect(MACON3(sim) & 0x30).toBe(0x30);
    expect(EIE(sim) & 0x80).toBe(0x80);
    expect(hex(sim.macAddress())).toBe(hex(MAC_A));
    expect(ERXFCON(sim)).toBe(0xa1);

    const after = [makeFrame(MAC_A, MAC_PEER, 60, 3), makeFrame(BROADCAST, MAC_PEER, 42, 4)];
    for (const f of after) peer.send(f);
    expect(drain(drv).map(hex)).toEqual(after.map((f) => hex(padded(f))));
    const out = makeFrame(MAC_PEER, MAC_A, 42, 5);
    expect(drv.send(out, out.length)).toBe(true);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map(hex)).toEqual([hex(padded(out))]);
    // A second look finds nothing wrong.
    expect(drv.linkUp()).toBe(true);
    expect(drv.stats().reinits).toBe(1);
    expect(sim.driverErrors).toBe(0);
  });

  test('an SRC command on the bus is recovered from the same way', () => {
    const { sim, drv, peer } = resetRig();
    sim.spi.write(Uint8Array.of(0xff));
    sim.advance(2000);
    expect(drv.linkUp()).toBe(true);
    expect(drv.stats().reinits).toBe(1);
    const f = makeFrame(MAC_A, MAC_PEER, 200, 6);
    peer.send(f);
    expect(drain(drv).map(hex)).toEqual([hex(f)]);
    expect(sim.resets).toBe(3); // the driver's SRC at connect, the injected one, the driver's SRC at re-init
    expect(sim.driverErrors).toBe(0);
  });

  test.each([
    ['a joined group list (hash table, HTEN)', [GROUP_IN]],
    ['all multicast (MCEN)', null],
    ['no multicast (empty list)', []],
  ] as [string, Uint8Array[] | null][])('the multicast setting survives the reset: %s', (_what, macs) => {
    const { sim, drv, peer } = resetRig();
    drv.setMulticast!(macs);
    const fconBefore = ERXFCON(sim);
    const ehtBefore = Array.from({ length: 8 }, (_, i) => sim.peekReg(1, i));
    sim.pulseReset();
    sim.advance(2000);
    expect(ERXFCON(sim)).toBe(0xa1); // the reset value
    drv.linkUp();
    expect(drv.stats().reinits).toBe(1);
    expect(ERXFCON(sim)).toBe(fconBefore);
    expect(Array.from({ length: 8 }, (_, i) => sim.peekReg(1, i))).toEqual(ehtBefore);
    const inGroup = makeFrame(GROUP_IN, MAC_PEER, 64, 7);
    const otherG = makeFrame(otherGroup(), MAC_PEER, 64, 8);
    peer.send(inGroup);
    peer.send(otherG);
    const want = macs === null ? [inGroup, otherG] : macs.length ? [inGroup] : [];
    expect(drain(drv).map(hex)).toEqual(want.map(hex));
    expect(sim.driverErrors).toBe(0);
  });

  test('normal path unchanged: linkUp costs one 2-octet RCR of ECON1, receive and send no more calls than before the reset', () => {
    const { sim, drv, peer } = resetRig();
    const f = makeFrame(MAC_A, MAC_PEER, 300, 9);
    const cost = () => {
      const t0 = sim.spiStats.transactions;
      peer.send(f);
      expect(drain(drv).length).toBe(1);
      const rx = sim.spiStats.transactions - t0;
      const t1 = sim.spiStats.transactions;
      expect(drv.send(f, f.length)).toBe(true);
      const tx = sim.spiStats.transactions - t1;
      drv.flush();
      return [rx, tx];
    };
    cost(); // the first frame of a new length costs a second RBM and the ETXND writes
    const normal = cost();
    const t = sim.spiStats.transactions, o = sim.spiStats.octets;
    for (let i = 0; i < 10; i++) expect(drv.linkUp()).toBe(true);
    expect(sim.spiStats.transactions - t).toBe(10);
    expect(sim.spiStats.octets - o).toBe(20);
    sim.pulseReset();
    sim.advance(2000);
    drv.linkUp();
    expect(drv.stats().reinits).toBe(1);
    cost();
    expect(cost()).toEqual(normal);
  });

  test('reset during a transmission: the flush times out, ECON1 is read back and init runs again', () => {
    const { sim, drv, peer } = resetRig({ txPolls: 50 });
    const f = makeFrame(MAC_PEER, MAC_A, 1000, 10);
    expect(drv.send(f, f.length)).toBe(true);
    sim.pulseReset(); // cancels the transmission in progress: TXIF never comes
    sim.advance(2000);
    expect(drv.flush()).toBe(false);
    const s = drv.stats();
    expect(s.txTimeouts).toBe(1);
    expect(s.reinits).toBe(1);
    expect(peer.heard).toEqual([]);
    expect(drv.send(f, f.length)).toBe(true);
    sim.advance(2000); // the frame's 0.8 ms on the wire (50 polls of EIR are only 0.1 ms)
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map(hex)).toEqual([hex(f)]);
    expect(sim.driverErrors).toBe(0);
  });

  test('reset between two sends: the next send aborts (ETXST 0, no padding), the abort triggers the check, nothing bad reaches the wire', () => {
    const { sim, drv, peer } = resetRig();
    const f = makeFrame(MAC_PEER, MAC_A, 60, 11);
    sim.pulseReset();
    sim.advance(2000);
    expect(drv.send(f, f.length)).toBe(true); // the driver does not know yet
    sim.advance(10000);
    expect(drv.flush()).toBe(false);
    const s = drv.stats();
    expect(s.txAborts).toBe(1);
    expect(s.reinits).toBe(1);
    expect(peer.heard).toEqual([]);
    expect(sim.txLog[sim.txLog.length - 1].aborted).toBe(true);
    expect(drv.send(f, f.length)).toBe(true);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map(hex)).toEqual([hex(f)]);
    expect(sim.driverErrors).toBe(0);
  });

  test('reset just before the packet-header read: the ring error path checks ECON1 and re-initialises instead of RXRST', () => {
    const sim = new Enc28j60Sim();
    const hub = new Hub();
    sim.attach(hub);
    const peer = new WirePeer(hub);
    let armed = false;
    const bus: SpiBus = {
      send: (d, cs) => {
        const b = spiOctets(d);
        if (armed && b[0] === 0x3a) { armed = false; sim.pulseReset(); } // the RBM of the next packet's header
        return sim.spi.send(d, cs);
      },
      write: (d, cs) => sim.spi.write(d, cs),
    };
    const drv = connect(bus, 'CS', { mac: MAC_A, delayMs: sim.delayMs });
    // Frames at the start of the ring; 0x05FA (ERDPT after reset) still holds zeros: an impossible header.
    peer.send(makeFrame(MAC_A, MAC_PEER, 100, 12));
    armed = true;
    expect(drain(drv)).toEqual([]);
    expect(armed).toBe(false);
    const s = drv.stats();
    expect(s.rxRingErrors).toBe(1);
    expect(s.rxResets).toBe(0);
    expect(s.reinits).toBe(1);
    const errorsAfter = sim.driverErrors; // the ECON1 reads fell inside the 1 ms hold after the reset
    const f = makeFrame(MAC_A, MAC_PEER, 100, 13);
    peer.send(f);
    expect(drain(drv).map(hex)).toEqual([hex(f)]);
    expect(sim.driverErrors).toBe(errorsAfter);
  });

  test('one bit error on the ECON1 read-back does not start a re-initialisation (a second read confirms)', () => {
    const sim = new Enc28j60Sim();
    let flipNext = false;
    const bus: SpiBus = {
      send: (d, cs) => {
        const r = sim.spi.send(d, cs);
        const b = spiOctets(d);
        if (flipNext && b.length === 2 && b[0] === 0x1f) { flipNext = false; r[1] ^= 0x04; }
        return r;
      },
      write: (d, cs) => sim.spi.write(d, cs),
    };
    const drv = connect(bus, 'CS', { mac: MAC_A, delayMs: sim.delayMs });
    const t = sim.spiStats.transactions;
    flipNext = true;
    expect(drv.linkUp()).toBe(true);
    expect(sim.spiStats.transactions - t).toBe(2);
    expect(drv.stats().reinits).toBe(0);
    expect(sim.resets).toBe(1);
  });

  test('chip gone after a reset: re-init fails (counted), link reported down, no SPI in receive, sends refused; it comes back', () => {
    const { sim, drv, peer, resets, links } = resetRig();
    sim.pulseReset();
    sim.absentMiso = 0xff; // nothing drives MISO now
    sim.advance(2000);
    expect(drv.linkUp()).toBe(false);
    let s = drv.stats();
    expect(s.reinits).toBe(1);
    expect(s.reinitFailures).toBe(1);
    expect(resets).toEqual([false]);
    expect(links).toEqual([false]);
    const t = sim.spiStats.transactions;
    const buf = new Uint8Array(1518);
    expect(drv.receive(buf)).toBe(0);
    expect(sim.spiStats.transactions).toBe(t);
    const f = makeFrame(MAC_PEER, MAC_A, 60, 14);
    expect(drv.send(f, f.length)).toBe(false);
    expect(drv.stats().txLinkDown).toBe(1);
    // Each linkUp tries again (bounded: SRC, 1 ms, a few writes, EREVID).
    expect(drv.linkUp()).toBe(false);
    expect(drv.stats().reinitFailures).toBe(2);
    sim.absentMiso = null;
    expect(drv.linkUp()).toBe(true);
    s = drv.stats();
    expect(s.reinits).toBe(3);
    expect(s.reinitFailures).toBe(2);
    expect(resets).toEqual([false, false, true]);
    expect(links).toEqual([false, true]);
    const g = makeFrame(MAC_A, MAC_PEER, 120, 15);
    peer.send(g);
    expect(drain(drv).map(hex)).toEqual([hex(g)]);
    expect(drv.send(f, f.length)).toBe(true);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map(hex)).toEqual([hex(f)]);
  });
});
