/**
 * The simulated W5500 at the SPI-frame level, without the driver: frame format, VDM/FDM, reset values,
 * memory mapping, MACRAW receive format, commands, interrupts, filters, misuse counting.
 * Expected values come from the W5500 datasheet v1.0.9.
 */
import { W5500Sim, RESET_LOW_MIN_US, PLL_LOCK_US } from '../../src/sim/w5500';
import { Hub, HubDevice } from '../../src/sim/hub';
import * as R from '../../src/drivers/w5500-regs';

const CS = 'W5500_CS';
const S0 = 0x01, S0TX = 0x02, S0RX = 0x03;

function ctl(bsb: number, write: boolean, om = 0): number { return (bsb << 3) | (write ? 4 : 0) | om; }
function rd(sim: W5500Sim, bsb: number, off: number, n: number, om = 0): number[] {
  const out = sim.spi.send([off >> 8, off & 0xff, ctl(bsb, false, om), ...new Array(n).fill(0)], CS);
  return Array.from(out.subarray(3));
}
function wr(sim: W5500Sim, bsb: number, off: number, data: number[], om = 0): void {
  sim.spi.write([off >> 8, off & 0xff, ctl(bsb, true, om), ...data], CS);
}
function u16(b: number[]): number { return (b[0] << 8) | b[1]; }

/** Opens socket 0 in MACRAW with 16 KB buffers, the way datasheet §4.2 Sn_MR describes. */
function openMacraw(sim: W5500Sim, mode = R.Sn_MR_MACRAW | R.Sn_MR_MFEN, mac = [2, 0, 0, 0, 0, 1]): void {
  wr(sim, 0, R.SHAR, mac);
  for (let n = 1; n < 8; n++) wr(sim, 4 * n + 1, R.Sn_RXBUF_SIZE, [0, 0]);
  wr(sim, S0, R.Sn_RXBUF_SIZE, [16, 16]);
  wr(sim, S0, R.Sn_MR, [mode]);
  wr(sim, S0, R.Sn_CR, [R.Sn_CR_OPEN]);
}

describe('SPI frame (datasheet §2.2)', () => {
  test('MISO carries 0x01 0x02 0x03 during the header, then the data; send returns a new array', () => {
    const sim = new W5500Sim();
    const tx = new Uint8Array([0, R.VERSIONR, ctl(0, false), 0]);
    const out = sim.spi.send(tx, CS);
    expect(out).not.toBe(tx);
    expect(Array.from(out)).toEqual([1, 2, 3, 0x04]);
  });

  test('VDM bursts auto-increment; FDM reads 1, 2 or 4 octets and ignores (and counts) the rest', () => {
    const sim = new W5500Sim();
    wr(sim, 0, R.GAR, [192, 0, 2, 1]);
    expect(rd(sim, 0, R.GAR, 4)).toEqual([192, 0, 2, 1]);
    expect(rd(sim, 0, R.GAR, 1, R.CTRL_OM_FDM1)).toEqual([192]);
    expect(rd(sim, 0, R.GAR, 2, R.CTRL_OM_FDM2)).toEqual([192, 0]);
    expect(rd(sim, 0, R.GAR, 4, R.CTRL_OM_FDM4)).toEqual([192, 0, 2, 1]);
    expect(sim.misuse.fdmOverrun).toBe(0);
    expect(rd(sim, 0, R.GAR, 3, R.CTRL_OM_FDM2)).toEqual([192, 0, 0]);
    wr(sim, 0, R.SUBR, [255, 255, 255, 0], R.CTRL_OM_FDM1);
    expect(rd(sim, 0, R.SUBR, 4)).toEqual([255, 0, 0, 0]);
    expect(sim.misuse.fdmOverrun).toBe(2);
  });

  test('short frames, reserved blocks and a foreign CS are counted as misuse', () => {
    const sim = new W5500Sim();
    sim.spi.send([0, 0], CS);
    rd(sim, 4, 0, 1);                 // BSB 4 = 4·0+4, reserved
    expect(Array.from(sim.spi.send([0, R.VERSIONR, 0, 0], 'OTHER'))).toEqual([0, 0, 0, 0]);
    expect(sim.misuse.shortFrame).toBe(1);
    expect(sim.misuse.badBlock).toBe(1);
    expect(sim.misuse.wrongCs).toBe(1);
    expect(sim.counters.spiCalls).toBe(3);
  });
});

describe('registers and reset (datasheet §3)', () => {
  test('reset values of common and socket registers', () => {
    const sim = new W5500Sim();
    expect(rd(sim, 0, R.MR, 1)).toEqual([0]);
    expect(u16(rd(sim, 0, R.RTR, 2))).toBe(0x07d0);
    expect(rd(sim, 0, R.RCR, 1)).toEqual([0x08]);
    expect(rd(sim, 0, R.PTIMER, 1)).toEqual([0x28]);
    expect(u16(rd(sim, 0, R.PMRU, 2))).toBe(0xffff);
    expect(rd(sim, 0, R.PHYCFGR, 1)).toEqual([0xbf]);          // RST=1, OPMDC=111, full duplex, 100M, link
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([0x04]);
    for (let n = 0; n < 8; n++) {
      const r = rd(sim, 4 * n + 1, 0, 0x30);
      expect(r[R.Sn_MR]).toBe(0);
      expect(r[R.Sn_SR]).toBe(R.SOCK_CLOSED);
      expect(r.slice(R.Sn_DHAR, R.Sn_DHAR + 6)).toEqual([255, 255, 255, 255, 255, 255]);
      expect(r[R.Sn_TTL]).toBe(0x80);
      expect(r[R.Sn_RXBUF_SIZE]).toBe(2);
      expect(r[R.Sn_TXBUF_SIZE]).toBe(2);
      expect(u16(r.slice(R.Sn_TX_FSR))).toBe(0x0800);
      expect(r[R.Sn_IMR]).toBe(0xff);
      expect(u16(r.slice(R.Sn_FRAG))).toBe(0x4000);
    }
  });

  test('MR.RST restores defaults, reads 1 for resetLatency calls, then VERSIONR may read 0 a few times', () => {
    const sim = new W5500Sim();
    sim.faults.resetLatency = 2;
    sim.faults.versionZeroReads = 1;
    wr(sim, 0, R.SHAR, [2, 0, 0, 0, 0, 9]);
    wr(sim, 0, R.RTR, [0x12, 0x34]);
    wr(sim, 0, R.MR, [R.MR_RST]);
    expect(rd(sim, 0, R.MR, 1)).toEqual([0x80]);
    expect(rd(sim, 0, R.MR, 1)).toEqual([0x80]);
    expect(rd(sim, 0, R.MR, 1)).toEqual([0x00]);
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([0]);
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([4]);
    expect(rd(sim, 0, R.SHAR, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(u16(rd(sim, 0, R.RTR, 2))).toBe(0x07d0);
  });

  test('RSTn low: SPI is ignored (counted); the rising edge restores the defaults', () => {
    const sim = new W5500Sim();
    wr(sim, 0, R.GAR, [192, 0, 2, 1]);
    sim.setRstn(0);
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([0]);
    expect(sim.misuse.spiDuringReset).toBe(1);
    sim.advance(RESET_LOW_MIN_US);
    sim.setRstn(1);
    sim.advance(PLL_LOCK_US);
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([4]);
    expect(rd(sim, 0, R.GAR, 4)).toEqual([0, 0, 0, 0]);
    expect(sim.counters.resets).toBe(1);
    expect(sim.misuse.shortResetPulse + sim.misuse.spiBeforeReady).toBe(0);
  });

  test('RSTn timing (datasheet §5.5.1): a pulse under 500 µs resets nothing; SPI within 1 ms of the rise reads 0', () => {
    const sim = new W5500Sim();
    wr(sim, 0, R.GAR, [192, 0, 2, 1]);
    sim.setRstn(0);
    sim.advance(RESET_LOW_MIN_US - 1);
    sim.setRstn(1);
    expect(sim.misuse.shortResetPulse).toBe(1);
    expect(sim.counters.resets).toBe(0);
    expect(rd(sim, 0, R.GAR, 4)).toEqual([192, 0, 2, 1]);
    sim.setRstn(0);
    sim.advance(RESET_LOW_MIN_US);
    sim.setRstn(1);
    expect(sim.counters.resets).toBe(1);
    sim.advance(PLL_LOCK_US - 10);
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([0]); // PLL not locked yet
    expect(sim.misuse.spiBeforeReady).toBe(1);
    sim.advance(10);
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([4]);
    expect(rd(sim, 0, R.GAR, 4)).toEqual([0, 0, 0, 0]);
  });

  test('writes to read-only registers are ignored and counted; Sn_IR and IR clear on 1', () => {
    const sim = new W5500Sim();
    wr(sim, S0, R.Sn_SR, [0x42]);
    wr(sim, S0, R.Sn_TX_FSR, [0, 0]);
    wr(sim, 0, R.VERSIONR, [7]);
    expect(rd(sim, S0, R.Sn_SR, 1)).toEqual([0]);
    expect(rd(sim, 0, R.VERSIONR, 1)).toEqual([4]);
    expect(sim.misuse.readOnlyWrite).toBe(4);
  });

  test('PHYCFGR.LNK follows the link; SPD and DPX read 0 while it is down', () => {
    const sim = new W5500Sim({ link: false });
    expect(rd(sim, 0, R.PHYCFGR, 1)[0] & 0x07).toBe(0);
    sim.setLink(true);
    expect(rd(sim, 0, R.PHYCFGR, 1)[0] & 0x07).toBe(0x07);
  });
});

describe('memory (datasheet §5, datasheet §3.3)', () => {
  test('offsets map modulo the socket buffer size, per byte of a burst, from the socket base', () => {
    const sim = new W5500Sim();
    // Reset sizes: 2 KB each. Socket 1 TX starts at 2048 in the 16 KB TX memory.
    wr(sim, 4 * 1 + 2, 0x07fe, [1, 2, 3, 4]);               // crosses the 2 KB end: 2 at the end, 2 at 0
    expect(Array.from(sim.txMem.subarray(2048 + 0x7fe, 2048 + 0x800))).toEqual([1, 2]);
    expect(Array.from(sim.txMem.subarray(2048, 2050))).toEqual([3, 4]);
    expect(rd(sim, 4 * 1 + 2, 0x0ffe, 4)).toEqual([1, 2, 3, 4]); // 0x0FFE mod 0x800 = 0x7FE
    openMacraw(sim);
    wr(sim, S0TX, 0xfffe, [9, 8, 7]);                         // 16-bit offset wraps to 0
    expect(sim.txMem[0x3ffe]).toBe(9);
    expect(sim.txMem[0x3fff]).toBe(8);
    expect(sim.txMem[0]).toBe(7);
    expect(rd(sim, S0TX, 0x7ffe, 3)).toEqual([9, 8, 7]);       // 0x7FFE mod 0x4000 = 0x3FFE
  });

  test('access to a socket with a 0 KB buffer is counted', () => {
    const sim = new W5500Sim();
    openMacraw(sim);
    rd(sim, 4 * 3 + 3, 0, 2);
    expect(sim.misuse.zeroSizeBuffer).toBe(2);
  });
});

describe('MACRAW socket 0 (datasheet §4.2, §2.5)', () => {
  test('OPEN enters 0x42 and resets pointers; MACRAW on socket 1 stays closed; oversubscribed buffers counted', () => {
    const sim = new W5500Sim();
    wr(sim, 4 * 1 + 1, R.Sn_MR, [R.Sn_MR_MACRAW]);
    wr(sim, 4 * 1 + 1, R.Sn_CR, [R.Sn_CR_OPEN]);
    expect(rd(sim, 4 * 1 + 1, R.Sn_SR, 1)).toEqual([0]);
    expect(sim.misuse.macrawNotSocket0).toBe(1);
    wr(sim, S0, R.Sn_RXBUF_SIZE, [16, 16]);                    // others still 2 KB: 30 KB in all
    wr(sim, S0, R.Sn_MR, [R.Sn_MR_MACRAW]);
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_OPEN]);
    expect(sim.misuse.bufferTotalOver16k).toBe(1);
    expect(rd(sim, S0, R.Sn_SR, 1)).toEqual([0x42]);
    expect(rd(sim, S0, R.Sn_CR, 1)).toEqual([0]);
    expect(u16(rd(sim, S0, R.Sn_TX_FSR, 2))).toBe(16384);
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_CLOSE]);
    expect(rd(sim, S0, R.Sn_SR, 1)).toEqual([0]);
  });

  test('Sn_CR reads the command for commandLatency calls; a command written meanwhile is counted', () => {
    const sim = new W5500Sim();
    sim.faults.commandLatency = 2;
    openMacraw(sim);
    expect(rd(sim, S0, R.Sn_CR, 1)).toEqual([R.Sn_CR_OPEN]);
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_RECV]);
    expect(sim.misuse.commandWhileBusy).toBe(1);
    expect(rd(sim, S0, R.Sn_CR, 1)).toEqual([R.Sn_CR_RECV]);
    expect(rd(sim, S0, R.Sn_CR, 1)).toEqual([R.Sn_CR_RECV]);
    expect(rd(sim, S0, R.Sn_CR, 1)).toEqual([0]);
  });

  test('receive format: a 2-octet big-endian length that counts itself, then the frame; space freed only at RECV', () => {
    const sim = new W5500Sim();
    openMacraw(sim);
    const f = new Uint8Array(100); f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]); f[99] = 0xaa;
    sim.deliver(f, 100);
    sim.deliver(f, 100);
    expect(u16(rd(sim, S0, R.Sn_RX_RSR, 2))).toBe(204);
    expect(u16(rd(sim, S0, R.Sn_RX_WR, 2))).toBe(204);
    expect(rd(sim, S0, R.Sn_IR, 1)[0] & R.Sn_IR_RECV).toBe(R.Sn_IR_RECV);
    const b = rd(sim, S0RX, 0, 2 + 100 + 2);
    expect(u16(b)).toBe(102);
    expect(b.slice(2, 102)).toEqual(Array.from(f));
    expect(u16(b.slice(102))).toBe(102);
    wr(sim, S0, R.Sn_RX_RD, [0, 102]);
    expect(u16(rd(sim, S0, R.Sn_RX_RSR, 2))).toBe(204);       // not freed before RECV (datasheet p. 55)
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_RECV]);
    expect(u16(rd(sim, S0, R.Sn_RX_RSR, 2))).toBe(102);
    wr(sim, S0, R.Sn_RX_RD, [0x10, 0]);                       // past RX_WR
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_RECV]);
    expect(sim.misuse.recvPastWrite).toBe(1);
  });

  test('a frame is stored whole or not at all; RSR never exceeds the buffer', () => {
    const sim = new W5500Sim();
    openMacraw(sim);
    const f = new Uint8Array(1514); f.set([2, 0, 0, 0, 0, 1]);
    for (let i = 0; i < 12; i++) sim.deliver(f, f.length);
    expect(sim.counters.rxAccepted).toBe(10);                 // 10 × 1516 = 15160; 11 would be 16676
    expect(sim.counters.rxOverflow).toBe(2);
    expect(sim.rsr()).toBe(15160);
  });

  test('SEND transmits [TX_RD, TX_WR) as one frame padded to 60 octets and sets SEND_OK; FSR follows', () => {
    const hub = new Hub();
    const sim = new W5500Sim().attach(hub);
    const peer = new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2]));
    openMacraw(sim);
    const f = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 1, 2, 3];
    wr(sim, S0TX, 0, f);
    wr(sim, S0, R.Sn_TX_WR, [0, f.length]);
    expect(u16(rd(sim, S0, R.Sn_TX_FSR, 2))).toBe(16384);      // FSR changes at SEND, not at the TX_WR write
    sim.faults.sendLatency = 2;                                // in progress during the next 2 SPI calls
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_SEND]);
    expect(u16(rd(sim, S0, R.Sn_TX_FSR, 2))).toBe(16384 - f.length);
    expect(rd(sim, S0, R.Sn_IR, 1)[0] & R.Sn_IR_SEND_OK).toBe(0);
    expect(rd(sim, S0, R.Sn_IR, 1)[0] & R.Sn_IR_SEND_OK).toBe(R.Sn_IR_SEND_OK);
    expect(u16(rd(sim, S0, R.Sn_TX_RD, 2))).toBe(f.length);
    const got = new Uint8Array(1514);
    expect(peer.receive(got)).toBe(60);
    expect(Array.from(got.subarray(0, 60))).toEqual([...f, ...new Array(60 - f.length).fill(0)]);
    wr(sim, S0, R.Sn_IR, [R.Sn_IR_SEND_OK]);
    expect(rd(sim, S0, R.Sn_IR, 1)[0]).toBe(0);
  });

  test('SEND while the link is down stays pending (no SEND_OK); a later SEND merges both, as the chip would', () => {
    const sim = new W5500Sim();
    const sent: number[] = [];
    sim.onTransmit = (_f, n) => sent.push(n);
    openMacraw(sim);
    sim.setLink(false);
    wr(sim, S0TX, 0, new Array(100).fill(1));
    wr(sim, S0, R.Sn_TX_WR, [0, 100]);
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_SEND]);
    expect(rd(sim, S0, R.Sn_IR, 1)[0]).toBe(0);
    expect(sim.counters.txStalled).toBe(1);
    sim.setLink(true);
    wr(sim, S0TX, 100, new Array(100).fill(2));
    wr(sim, S0, R.Sn_TX_WR, [0, 200]);
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_SEND]);
    expect(sim.misuse.sendWhileSending).toBe(1);
    expect(sent).toEqual([200]);
  });

  test('Sn_IR/SIR/INTn: INTn falls when RECV is set and enabled, rises when cleared; listeners see edges', () => {
    const sim = new W5500Sim();
    const edges: number[] = [];
    sim.onInt((l) => edges.push(l));
    openMacraw(sim);
    const f = new Uint8Array(60); f.set([2, 0, 0, 0, 0, 1]);
    sim.deliver(f, 60);
    expect(sim.intLevel).toBe(1);                             // SIMR = 0: nothing enabled
    expect(rd(sim, 0, R.SIR, 1)).toEqual([1]);                // Sn_IMR resets to 0xFF
    wr(sim, 0, R.SIMR, [1]);
    expect(sim.intLevel).toBe(0);
    wr(sim, S0, R.Sn_IR, [R.Sn_IR_RECV]);
    expect(sim.intLevel).toBe(1);
    wr(sim, S0, R.Sn_IMR, [0]);
    sim.deliver(f, 60);
    expect(sim.intLevel).toBe(1);                             // bit set, but masked
    expect(rd(sim, S0, R.Sn_IR, 1)[0] & R.Sn_IR_RECV).toBe(R.Sn_IR_RECV);
    expect(edges).toEqual([0, 1]);
  });
});

describe('MACRAW filtering (datasheet §4.2 Sn_MR)', () => {
  const ME = [2, 0, 0, 0, 0, 1];
  function mk(dst: number[], type = 0x0800): Uint8Array {
    const f = new Uint8Array(60); f.set(dst); f.set([2, 0, 0, 0, 0, 9], 6); f[12] = type >> 8; f[13] = type & 0xff; return f;
  }
  const frames: Record<string, Uint8Array> = {
    mine: mk(ME), other: mk([2, 0, 0, 0, 0, 3]), bcast: mk([255, 255, 255, 255, 255, 255], 0x0806),
    v4mc: mk([1, 0, 0x5e, 0, 0, 1]), l2mc: mk([1, 0x80, 0xc2, 0, 0, 0]), v6mc: mk([0x33, 0x33, 0, 0, 0, 1], 0x86dd),
    v6uni: mk(ME, 0x86dd),
  };
  function accepted(mode: number): string[] {
    const sim = new W5500Sim();
    openMacraw(sim, mode, ME);
    const out: string[] = [];
    for (const [k, f] of Object.entries(frames)) {
      const before = sim.counters.rxAccepted;
      sim.deliver(f, f.length);
      if (sim.counters.rxAccepted > before) out.push(k);
    }
    return out.sort();
  }
  const M = R.Sn_MR_MACRAW;
  test.each([
    ['MFEN = 0: everything', M, ['bcast', 'l2mc', 'mine', 'other', 'v4mc', 'v6mc', 'v6uni']],
    ['MFEN: own MAC, broadcast, 01:00:5e, 33:33', M | R.Sn_MR_MFEN, ['bcast', 'mine', 'v4mc', 'v6mc', 'v6uni']],
    ['MFEN | BCASTB', M | R.Sn_MR_MFEN | R.Sn_MR_BCASTB, ['mine', 'v4mc', 'v6mc', 'v6uni']],
    ['MFEN | MMB', M | R.Sn_MR_MFEN | R.Sn_MR_MMB, ['bcast', 'mine', 'v6mc', 'v6uni']],
    ['MFEN | MIP6B', M | R.Sn_MR_MFEN | R.Sn_MR_MIP6B, ['bcast', 'mine', 'v4mc']],
    ['MFEN | MMB | MIP6B (the driver default)', M | R.Sn_MR_MFEN | R.Sn_MR_MMB | R.Sn_MR_MIP6B, ['bcast', 'mine']],
  ])('%s', (_n, mode, want) => {
    expect(accepted(mode)).toEqual(want);
  });

  test('Sn_MR is latched at OPEN: a write while open changes nothing until the next OPEN', () => {
    const sim = new W5500Sim();
    openMacraw(sim, M | R.Sn_MR_MFEN | R.Sn_MR_MMB, ME);
    wr(sim, S0, R.Sn_MR, [M | R.Sn_MR_MFEN]);
    sim.deliver(frames.v4mc, 60);
    expect(sim.counters.rxFilteredMulticast).toBe(1);
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_CLOSE]);
    wr(sim, S0, R.Sn_CR, [R.Sn_CR_OPEN]);
    sim.deliver(frames.v4mc, 60);
    expect(sim.counters.rxAccepted).toBe(1);
  });

  test('frames are dropped while the socket is closed, the link is down, or they are runts/giants', () => {
    const sim = new W5500Sim();
    sim.deliver(frames.mine, 60);
    expect(sim.counters.rxClosed).toBe(1);
    openMacraw(sim, M, ME);
    sim.setLink(false);
    sim.deliver(frames.mine, 60);
    expect(sim.counters.rxLinkDown).toBe(1);
    sim.setLink(true);
    sim.deliver(frames.mine, 13);
    sim.deliver(new Uint8Array(1515), 1515);
    expect(sim.counters.rxRunt).toBe(1);
    expect(sim.counters.rxGiant).toBe(1);
    expect(sim.counters.rxAccepted).toBe(0);
  });
});
