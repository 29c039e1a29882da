/**
 * ENC28J60 error paths where the simulator follows the datasheet and errata rather than what the
 * driver assumes (issue: chip error paths the simulators share). Each test failed on the driver before
 * the fix and passes after it:
 *  - late-collision retry: errata DS80349C item 12 order (TXRST pulse, then clear TXERIF/TXIF), the retry
 *    decided on the transmit status vector's bit 29, ESTAT.LATECOL never written (it is read-only);
 *  - receive logic reset: EPKTCNT survives RXRST (DS §11, Receive Only Reset), so the driver decrements it to 0.
 */
import { rig, drain, makeFrame, MAC_A, MAC_PEER } from './enc28j60-harness';

describe('ENC28J60 late-collision retry (errata 12, TSV bit 29)', () => {
  test('one late collision: the frame goes out once, on the retry; the retry is not cancelled', () => {
    const { sim, drv, peer } = rig();
    sim.faults.lateCollision = 1;
    expect(drv.send(makeFrame(MAC_PEER, MAC_A, 100, 1), 100)).toBe(true);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map((f) => f[17])).toEqual([1]);
    // Two transmissions on the chip: the collided one and the retry that reached the wire.
    expect(sim.txLog.map((t) => t.lateCollision)).toEqual([true, false]);
    const s = drv.stats();
    expect([s.txLateCollisions, s.txRetries, s.txAborts, s.txTimeouts]).toEqual([1, 1, 0, 0]);
    expect(sim.driverErrorLog).toEqual([]); // no BFC of the read-only ESTAT.LATECOL
  });

  test('a run of late collisions: every retry is the one transmission in flight, none is cut short', () => {
    const { sim, drv, peer } = rig({}, { lateCollisionRetries: 5 });
    sim.faults.lateCollision = 4;
    drv.send(makeFrame(MAC_PEER, MAC_A, 300, 7), 300);
    expect(drv.flush()).toBe(true);
    expect(peer.heard.map((f) => f[17])).toEqual([7]);
    expect(sim.txLog.length).toBe(5); // 4 collided + 1 good: no retransmission cancelled by a new TXRST
    expect(drv.stats().txRetries).toBe(4);
    expect(sim.driverErrors).toBe(0);
  });

  test('an abort that is not a late collision (TSV bit 28, excessive collisions) is not retried', () => {
    const { sim, drv, peer } = rig();
    sim.faults.txAbort = 1;
    drv.send(makeFrame(MAC_PEER, MAC_A, 100, 3), 100);
    expect(drv.flush()).toBe(false);
    expect(sim.txLog.length).toBe(1);
    const s = drv.stats();
    expect([s.txLateCollisions, s.txRetries, s.txAborts]).toEqual([0, 0, 1]);
    // The TXERIF that clearing TXRST raises (errata 12) was cleared after the reset: INT is released.
    expect(sim.peekReg(0, 0x1c) & 0x0a).toBe(0);
    expect(peer.heard.length).toBe(0);
    expect(sim.driverErrors).toBe(0);
  });
});

describe('ENC28J60 receive logic reset (DS §11, Receive Only Reset: EPKTCNT survives RXRST)', () => {
  test('a corrupted ring with packets pending: one reset, EPKTCNT brought to 0, then reception resumes', () => {
    const { sim, drv, peer } = rig();
    sim.errata.evenRdptCorruption = true;
    // A buggy even ERXRDPT (as a faulty write would leave it): the chip corrupts the next pointers.
    sim.spi.write(Uint8Array.of(0x40 | 0x1f, 0x04)); // ECON1 = RXEN, bank 0
    sim.spi.write(Uint8Array.of(0x40 | 0x0c, 0x00));
    sim.spi.write(Uint8Array.of(0x40 | 0x0d, 0x10)); // ERXRDPT = 0x1000 (even)
    sim.driverErrors = 0; // that write was ours, not the driver's
    sim.driverErrorLog.length = 0;
    for (let i = 1; i <= 3; i++) peer.send(makeFrame(MAC_A, MAC_PEER, 200, i));
    expect(sim.packetCount).toBe(3);
    expect(drain(drv)).toEqual([]);
    expect(drv.stats().rxRingErrors).toBe(1);
    expect(drv.stats().rxResets).toBe(1);
    expect(drv.stats().rxDiscarded).toBe(3);
    expect(sim.packetCount).toBe(0);
    // Fresh frames after the reset: each arrives once, intact, with no further reset.
    for (let i = 10; i < 16; i++) peer.send(makeFrame(MAC_A, MAC_PEER, 90 + i, i));
    expect(drain(drv).map((f) => f[17])).toEqual([10, 11, 12, 13, 14, 15]);
    expect(drv.stats().rxResets).toBe(1);
    expect(drv.stats().rxRingErrors).toBe(1);
    expect(sim.packetCount).toBe(0);
    expect(sim.driverErrors).toBe(0);
  });
});
