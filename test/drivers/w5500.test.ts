/**
 * The real W5500 MACRAW driver (src/drivers/w5500.ts) against the register-level simulated W5500
 * (src/sim/w5500.ts): init, ring and 16-bit pointer wrap, full buffer, corrupt length recovery, torn
 * reads, SEND_OK timeout, link flap, MFEN/MMB/MIP6B filtering, SPI call counts, two chips on one hub.
 */
import { connect, W5500, W5500Options } from '../../src/drivers/w5500';
import { spiOctets } from '../../src/sim/spi';
import { W5500Sim } from '../../src/sim/w5500';
import { Hub } from '../../src/sim/hub';
import * as R from '../../src/drivers/w5500-regs';
import type { SpiBus } from '../../src/drivers/device';

const MAC_A = Uint8Array.from([0x02, 0, 0, 0, 0x55, 0x0a]);
const MAC_B = Uint8Array.from([0x02, 0, 0, 0, 0x55, 0x0b]);
const MAC_PEER = Uint8Array.from([0x02, 0, 0, 0, 0x55, 0xee]);
const BCAST = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Deterministic xorshift32. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

/** An Ethernet II frame: dst, src, EtherType, then `len - 14` payload octets from `seed`. */
function frame(dst: Uint8Array, src: Uint8Array, type: number, len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0); f.set(src, 6); f[12] = type >> 8; f[13] = type & 0xff;
  const r = rng(seed);
  for (let i = 14; i < len; i++) f[i] = r() & 0xff;
  return f;
}

/** What the wire carries: the frame zero-padded to 60 octets. */
function onWire(f: Uint8Array): Uint8Array {
  if (f.length >= 60) return f;
  const p = new Uint8Array(60); p.set(f); return p;
}

function setup(opts: W5500Options = {}, sim = new W5500Sim()): { sim: W5500Sim; eth: W5500; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  sim.onTransmit = (f, n) => { sent.push(f.slice(0, n)); };
  const eth = connect(sim.spi, sim.cs, { mac: MAC_A, ...opts });
  return { sim, eth, sent };
}

function same(a: Uint8Array, b: Uint8Array): boolean { return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0; }

/** Drains the driver the way the stack does: receive() until it returns 0. */
function drain(eth: W5500, max = 10000): Uint8Array[] {
  const out: Uint8Array[] = [];
  const buf = new Uint8Array(1514);
  for (let i = 0; i < max; i++) {
    const n = eth.receive(buf);
    if (!n) break;
    out.push(buf.slice(0, n));
  }
  return out;
}

let sims: W5500Sim[] = [];
function track(s: W5500Sim): W5500Sim { sims.push(s); return s; }
beforeEach(() => { sims = []; });
afterEach(() => {
  // The driver never misuses the chip in any scenario.
  for (const s of sims) expect(s.misuse).toEqual(Object.fromEntries(Object.keys(s.misuse).map((k) => [k, 0])));
});

describe('reset and init (datasheet §4.2 Sn_MR, Sn_CR)', () => {
  test('resets the chip, programs SHAR, gives socket 0 all 16 KB and opens it in MACRAW with MFEN, MMB, MIP6B', () => {
    const sim = track(new W5500Sim());
    sim.faults.resetLatency = 5;       // MR.RST reads 1 for 5 SPI calls
    sim.faults.versionZeroReads = 3;   // VERSIONR reads 0 just after reset
    const { eth } = setup({}, sim);
    expect(sim.counters.resets).toBe(1);
    expect(Array.from(sim.common.subarray(R.SHAR, R.SHAR + 6))).toEqual(Array.from(MAC_A));
    expect(Array.from(eth.mac)).toEqual(Array.from(MAC_A));
    expect(sim.sockets[0].regs[R.Sn_SR]).toBe(R.SOCK_MACRAW);
    expect(sim.openMode()).toBe(R.Sn_MR_MACRAW | R.Sn_MR_MFEN | R.Sn_MR_MMB | R.Sn_MR_MIP6B);
    expect(sim.sockets[0].regs[R.Sn_RXBUF_SIZE]).toBe(16);
    expect(sim.sockets[0].regs[R.Sn_TXBUF_SIZE]).toBe(16);
    for (let n = 1; n < 8; n++) {
      expect(sim.sockets[n].regs[R.Sn_RXBUF_SIZE]).toBe(0);
      expect(sim.sockets[n].regs[R.Sn_TXBUF_SIZE]).toBe(0);
    }
    expect(sim.common[R.SIMR]).toBe(0x01);
    expect(sim.sockets[0].regs[R.Sn_IMR]).toBe(R.Sn_IR_RECV);
    expect(sim.fsr()).toBe(16384);
    expect(eth.counters.commandTimeouts).toBe(0);
  });

  test('a bus where no chip answers gives a clear Error (MISO low and MISO high)', () => {
    const low: SpiBus = { send: (d) => new Uint8Array(spiOctets(d).length), write: () => {} };
    const high: SpiBus = { send: (d) => new Uint8Array(spiOctets(d).length).fill(0xff), write: () => {} };
    expect(() => connect(low, 'CS', { mac: MAC_A })).toThrow(/no chip answers on SPI.*VERSIONR reads 0x00/);
    expect(() => connect(high, 'CS', { mac: MAC_A })).toThrow(/no chip answers on SPI.*MR reads 0xff/);
  });

  test('MR.RST that never clears within resetPolls is reported, not waited on forever', () => {
    const sim = new W5500Sim();
    sim.faults.resetLatency = 1000;
    const before = sim.counters.spiCalls;
    expect(() => connect(sim.spi, sim.cs, { mac: MAC_A, resetPolls: 20 })).toThrow(/MR reads 0x80/);
    expect(sim.counters.spiCalls - before).toBeLessThanOrEqual(2 + 20);
  });

  test('the MAC comes from options, or from a preset SHAR (WIZ550io), else connect throws naming options.mac', () => {
    const preset = track(new W5500Sim({ shar: MAC_B }));
    const eth = connect(preset.spi, preset.cs);
    expect(Array.from(eth.mac)).toEqual(Array.from(MAC_B));
    expect(Array.from(preset.common.subarray(R.SHAR, R.SHAR + 6))).toEqual(Array.from(MAC_B));
    const bare = new W5500Sim();
    expect(() => connect(bare.spi, bare.cs)).toThrow(/options\.mac is required/);
    expect(() => connect(bare.spi, bare.cs, { mac: '01:00:5e:00:00:01' })).toThrow(/unicast/);
    expect(() => connect(bare.spi, bare.cs, { mac: '02:00:00' })).toThrow(/options\.mac/);
    const s = track(new W5500Sim());
    expect(Array.from(connect(s.spi, s.cs, { mac: '02:00:00:00:55:0b' }).mac)).toEqual(Array.from(MAC_B));
  });

  test('invalid options and send lengths throw errors naming the argument', () => {
    const sim = track(new W5500Sim());
    expect(() => connect(sim.spi, sim.cs, { mac: MAC_A, sendPolls: 0 })).toThrow(/options\.sendPolls/);
    expect(() => connect({} as SpiBus, sim.cs, { mac: MAC_A })).toThrow(/spi must have send/);
    const { eth } = setup({}, track(new W5500Sim()));
    expect(() => eth.send(new Uint8Array(2000), 1515)).toThrow(/length must be 14\.\.1514/);
    expect(() => eth.send(new Uint8Array(10), 10)).toThrow(/length/);
    expect(() => eth.send(new Uint8Array(20), 60)).toThrow(/within the frame/);
  });

  test('the RSTn pin is pulsed low then high through writePin', () => {
    const sim = track(new W5500Sim());
    const pins: Array<[string, number | boolean]> = [];
    const delays: number[] = [];
    connect(sim.spi, sim.cs, { mac: MAC_A, reset: 'RST', writePin: (p, v) => { pins.push([p, v]); }, delayMs: (ms) => { delays.push(ms); } });
    expect(pins).toEqual([['RST', 0], ['RST', 1]]);
    expect(delays.slice(0, 2)).toEqual([1, 2]);
  });

  test('RSTn with delayMs from the simulated chip: the pulse and the PLL wait are timed on the chip\'s clock', () => {
    const sim = track(new W5500Sim());
    const eth = connect(sim.spi, sim.cs, { mac: MAC_A, reset: 'RST', writePin: (_p, v) => sim.setRstn(v), delayMs: sim.delayMs });
    expect(sim.misuse.shortResetPulse + sim.misuse.spiBeforeReady).toBe(0);
    expect(sim.counters.resets).toBe(2);
    expect(eth.counters.waitBounds).toBe(0);
  });

  test('RSTn wired to the simulated chip, no delayMs: RSTn low ≥ 500 µs, SPI only after the PLL lock; then MR.RST and the socket opens', () => {
    // The chip's time is the wall clock the driver's default busy-wait reads (Date.now()).
    const t0 = process.hrtime.bigint();
    const sim = track(new W5500Sim({ clock: () => Number(process.hrtime.bigint() - t0) / 1000 }));
    // Leave state behind that only a reset clears.
    sim.spi.write([0, R.RTR, 0x04, 0x12, 0x34], sim.cs);
    const eth = connect(sim.spi, sim.cs, { mac: MAC_A, reset: 'RST', writePin: (_p, v) => sim.setRstn(v) });
    expect(sim.misuse.shortResetPulse).toBe(0); // the datasheet's 500 µs were kept
    expect(sim.misuse.spiBeforeReady).toBe(0); // and the 1 ms PLL lock
    expect(eth.counters.waitBounds).toBe(0);
    expect(sim.counters.resets).toBe(2); // RSTn, then MR.RST
    expect(Array.from(sim.spi.send([0, R.RTR, 0x00, 0, 0], sim.cs).subarray(3))).toEqual([0x07, 0xd0]);
    expect(sim.sockets[0].regs[R.Sn_SR]).toBe(R.SOCK_MACRAW);
    expect(eth.counters.commandTimeouts).toBe(0);
  });
});

describe('receive path', () => {
  test('hundreds of frames of random length: contents intact across ring and 16-bit pointer wrap', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({ rxCommitBytes: 1 }, sim); // RECV after every frame: RSR back to 0 each time
    const r = rng(7);
    const buf = new Uint8Array(1514);
    let total = 0, k = 0;
    for (let round = 0; k < 700; round++) {
      if (round >= 700) throw new Error('700 rounds did not deliver 700 frames');
      // Batches of 1..6 frames, so the driver sees single frames and runs of frames.
      const batch: Uint8Array[] = [];
      const m = 1 + (r() % 6);
      for (let j = 0; j < m; j++, k++) {
        const f = frame(MAC_A, MAC_PEER, 0x0800, 60 + (r() % (1514 - 60 + 1)), k);
        batch.push(f);
        sim.deliver(f, f.length);
      }
      for (const f of batch) {
        const n = eth.receive(buf);
        expect(n).toBe(f.length);
        expect(Buffer.compare(Buffer.from(buf.subarray(0, n)), Buffer.from(f))).toBe(0);
        total += f.length + 2;
      }
      expect(eth.receive(buf)).toBe(0);
    }
    expect(total).toBeGreaterThan(3 * 65536); // the 16-bit pointers wrapped at least three times
    expect(sim.counters.rxAccepted).toBe(k);
    expect(sim.counters.rxOverflow).toBe(0);
    expect(sim.rsr()).toBe(0);
    expect(eth.counters.rxFrames).toBe(k);
    expect(eth.counters.rxBadLength + eth.counters.reopens).toBe(0);
  });

  test('short frames arrive padded to 60 octets, as the wire carries them', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({}, sim);
    const f = frame(MAC_A, MAC_PEER, 0x0806, 42, 1);
    sim.deliver(f, f.length);
    expect(drain(eth)).toEqual([onWire(f)]);
  });

  test('full buffer: the chip drops what does not fit; the driver drains every stored frame, then traffic resumes', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({}, sim);
    const offered: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) { const f = frame(MAC_A, MAC_PEER, 0x0800, 1000, i); offered.push(f); sim.deliver(f, f.length); }
    expect(sim.counters.rxAccepted).toBe(16);           // 16 × 1002 octets fit in 16384
    expect(sim.counters.rxOverflow).toBe(24);
    const got = drain(eth);
    expect(got).toEqual(offered.slice(0, 16));
    for (let i = 0; i < 5; i++) { const f = frame(MAC_A, MAC_PEER, 0x0800, 1500, 100 + i); sim.deliver(f, f.length); }
    expect(drain(eth).length).toBe(5);
    sim.faults.rxFull = true;
    const f = frame(MAC_A, MAC_PEER, 0x0800, 100, 9);
    sim.deliver(f, f.length);
    expect(sim.counters.rxOverflow).toBe(25);
    expect(drain(eth)).toEqual([]);
    expect(eth.counters.reopens).toBe(0);
  });

  test('frames are released with RECV once consumed (RSR falls), even while the stack stops mid-batch', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({ rxCommitBytes: 2000 }, sim);
    for (let i = 0; i < 6; i++) { const f = frame(MAC_A, MAC_PEER, 0x0800, 998, i); sim.deliver(f, f.length); }
    expect(sim.rsr()).toBe(6000);
    const buf = new Uint8Array(1514);
    expect(eth.receive(buf)).toBe(998);
    expect(sim.rsr()).toBe(6000);            // 1000 consumed, below rxCommitBytes
    expect(eth.receive(buf)).toBe(998);
    expect(sim.rsr()).toBe(4000);            // 2000 consumed: RX_RD written, RECV issued
    expect(drain(eth).length).toBe(4);
    expect(sim.rsr()).toBe(0);
  });

  test('a frame longer than the caller buffer is skipped and counted; the next one is delivered', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({ rxCommitBytes: 1 }, sim);
    const big = frame(MAC_A, MAC_PEER, 0x0800, 1200, 1);
    const small = frame(MAC_A, MAC_PEER, 0x0800, 200, 2);
    sim.deliver(big, big.length); sim.deliver(small, small.length);
    const buf = new Uint8Array(600);
    expect(eth.receive(buf)).toBe(200);
    expect(Array.from(buf.subarray(0, 200))).toEqual(Array.from(small));
    expect(eth.counters.rxTooLong).toBe(1);
    expect(sim.rsr()).toBe(0);
  });

  test.each([
    ['0 (esp-idf #6572)', 0],
    ['1', 1],
    ['0xFFFF', 0xffff],
    ['1517 (MTU + 1)', 1517],
    ['larger than RSR', 900],
  ])('corrupt length header %s: the socket is reopened and counted, later frames flow', (_name, value) => {
    const sim = track(new W5500Sim());
    const { eth } = setup({}, sim);
    const f1 = frame(MAC_A, MAC_PEER, 0x0800, 100, 1);
    const f2 = frame(MAC_A, MAC_PEER, 0x0800, 100, 2);
    sim.deliver(f1, f1.length);
    sim.faults.corruptHeaders = 1;
    sim.faults.corruptHeaderValue = value;
    sim.deliver(f2, f2.length);
    const got = drain(eth);
    expect(got).toEqual([f1]);
    expect(eth.counters.rxBadLength).toBe(1);
    expect(eth.counters.reopens).toBe(1);
    expect(sim.counters.resets).toBe(1); // recovery reopens the socket, it does not reset the chip
    expect(sim.sockets[0].regs[R.Sn_SR]).toBe(R.SOCK_MACRAW);
    const later = [frame(MAC_A, MAC_PEER, 0x0800, 300, 3), frame(MAC_A, MAC_PEER, 0x0800, 1514, 4)];
    for (const f of later) sim.deliver(f, f.length);
    expect(drain(eth)).toEqual(later);
    const out = frame(MAC_PEER, MAC_A, 0x0800, 80, 5);
    expect(eth.send(out, out.length)).toBe(true);
  });

  test('torn read of Sn_RX_RSR (a frame lands between the two octets) is caught by the double read', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({}, sim);
    const first = [1, 2, 3].map((i) => frame(MAC_A, MAC_PEER, 0x0800, 64, i));   // RSR = 3 × 66 = 0x00C6
    for (const f of first) sim.deliver(f, f.length);
    const late = frame(MAC_A, MAC_PEER, 0x0800, 100, 4);                        // RSR becomes 0x012C
    let tornValue = -1;
    sim.armTear('RSR', () => { sim.deliver(late, late.length); tornValue = 0x0000 | (sim.rsr() & 0xff); });
    expect(drain(eth)).toEqual([...first, late]);
    expect(tornValue).toBe(0x2c);                   // the first read saw 0x002C = 44 octets, less than one frame
    expect(eth.counters.tornReads).toBe(1);
    expect(eth.counters.rxBadLength).toBe(0);
    expect(eth.counters.reopens).toBe(0);
  });
});

describe('transmit path', () => {
  test('hundreds of frames: what reaches the wire is what was sent, across TX pointer wrap', () => {
    const sim = track(new W5500Sim());
    const { eth, sent } = setup({}, sim);
    const r = rng(11);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) {
      const f = frame(MAC_PEER, MAC_A, 0x0800, 14 + (r() % 1501), 1000 + i);
      frames.push(f);
      expect(eth.send(f, f.length)).toBe(true);
    }
    expect(sent.length).toBe(500);
    for (let i = 0; i < 500; i++) expect(same(sent[i], onWire(frames[i]))).toBe(true);
    expect(frames.reduce((a, f) => a + f.length, 0)).toBeGreaterThan(3 * 65536);
    expect(sim.fsr()).toBe(16384);
    expect(eth.counters.txFrames).toBe(500);
    expect(eth.counters.sendTimeouts).toBe(0);
  });

  test('SEND_OK slower than a few polls still succeeds; one never arriving times out within sendPolls and is counted', () => {
    const sim = track(new W5500Sim());
    const { eth, sent } = setup({ sendPolls: 10 }, sim);
    const f = frame(MAC_PEER, MAC_A, 0x0800, 100, 1);
    sim.faults.sendLatency = 6;
    expect(eth.send(f, f.length)).toBe(true);
    expect(sent.length).toBe(1);
    sim.faults.sendLatency = 0;
    sim.faults.sendOkNever = true;
    const calls = sim.counters.spiCalls;
    expect(eth.send(f, f.length)).toBe(false);
    expect(sim.counters.spiCalls - calls).toBe(3 + 10 + 1);  // frame, TX_WR, SEND, 10 bounded polls, Sn_SR
    expect(eth.counters.sendTimeouts).toBe(1);
    // Still stuck, link up: the next send reopens the socket (discarding the stuck frame) and goes out.
    sim.faults.sendOkNever = false;
    const g = frame(MAC_PEER, MAC_A, 0x0800, 120, 2);
    expect(eth.send(g, g.length)).toBe(true);
    expect(eth.counters.reopens).toBe(1);
    expect(sent).toEqual([onWire(f), g]);
  });

  test('a SEND_OK that arrives after the timeout is noticed through Sn_TX_FSR (double read, torn read caught), no reopen', () => {
    const sim = track(new W5500Sim());
    const { eth, sent } = setup({ sendPolls: 4 }, sim);
    const f = frame(MAC_PEER, MAC_A, 0x0800, 100, 1);
    sim.faults.sendOkNever = true;
    expect(eth.send(f, f.length)).toBe(false);
    expect(sim.fsr()).toBe(16384 - 100);                // 0x3F9C
    sim.faults.sendOkNever = false;
    // The stuck SEND completes between the two octets of the next FSR read: 0x3F then 0x00 = 0x3F00.
    sim.armTear('FSR', () => sim.completeStalledSend());
    const g = frame(MAC_PEER, MAC_A, 0x0800, 200, 2);
    expect(eth.send(g, g.length)).toBe(true);
    expect(eth.counters.tornReads).toBe(1);
    expect(eth.counters.reopens).toBe(0);
    expect(sent).toEqual([f, g]);
  });
});

describe('link', () => {
  test('link flap: reported once per change, sends refused while down without waiting, recovery after', () => {
    const sim = track(new W5500Sim());
    const changes: boolean[] = [];
    const { eth, sent } = setup({ onLink: (up) => changes.push(up), sendPolls: 8 }, sim);
    expect(eth.linkUp()).toBe(true);
    expect(changes).toEqual([]);
    sim.setLink(false);
    expect(eth.linkUp()).toBe(false);
    expect(eth.linkUp()).toBe(false);
    expect(changes).toEqual([false]);
    expect(eth.counters.linkChanges).toBe(1);
    const lost = frame(MAC_A, MAC_PEER, 0x0800, 100, 1);
    sim.deliver(lost, lost.length);
    expect(sim.counters.rxLinkDown).toBe(1);
    expect(drain(eth)).toEqual([]);
    const f = frame(MAC_PEER, MAC_A, 0x0800, 100, 2);
    expect(eth.send(f, f.length)).toBe(false);        // the SEND stalls, bounded wait
    expect(eth.counters.sendTimeouts).toBe(1);
    const calls = sim.counters.spiCalls;
    expect(eth.send(f, f.length)).toBe(false);        // refused at once: FSR and PHYCFGR only
    expect(sim.counters.spiCalls - calls).toBeLessThanOrEqual(3);
    expect(eth.counters.txLinkDown).toBe(1);
    sim.setLink(true);
    expect(eth.send(f, f.length)).toBe(true);
    expect(changes).toEqual([false, true]);
    expect(eth.counters.reopens).toBe(1);
    expect(sent).toEqual([f]);
    const back = frame(MAC_A, MAC_PEER, 0x0800, 100, 3);
    sim.deliver(back, back.length);
    expect(drain(eth)).toEqual([back]);
  });

  test('PHYCFGR.LNK is a level, not a latch: a flap between two looks goes unseen', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({}, sim);
    sim.flapLink();
    expect(eth.linkUp()).toBe(true);
    expect(eth.counters.linkChanges).toBe(0);
  });
});

describe('filtering (MFEN/MMB/MIP6B, datasheet §4.2 Sn_MR)', () => {
  const MCAST = Uint8Array.from([0x01, 0x00, 0x5e, 0x01, 0x02, 0x03]);
  const OTHER_MCAST = Uint8Array.from([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]);
  const V6_MCAST = Uint8Array.from([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);
  function offer(sim: W5500Sim, eth: W5500) {
    const cases: Record<string, Uint8Array> = {
      unicastMine: frame(MAC_A, MAC_PEER, 0x0800, 60, 1),
      unicastOther: frame(MAC_B, MAC_PEER, 0x0800, 60, 2),
      broadcast: frame(BCAST, MAC_PEER, 0x0806, 60, 3),
      ipv4Multicast: frame(MCAST, MAC_PEER, 0x0800, 60, 4),
      otherMulticast: frame(OTHER_MCAST, MAC_PEER, 0x88cc, 60, 5),
      ipv6Multicast: frame(V6_MCAST, MAC_PEER, 0x86dd, 60, 6),
      v6MacIPv4Type: frame(V6_MCAST, MAC_PEER, 0x0800, 60, 7),
    };
    const got = new Set<string>();
    for (const [name, f] of Object.entries(cases)) {
      sim.deliver(f, f.length);
      const r = drain(eth);
      if (r.length) { expect(r).toEqual([f]); got.add(name); }
    }
    return [...got].sort();
  }

  test('no group joined: MMB blocks IPv4 multicast; joining opens it; leaving all blocks it again', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({}, sim);
    expect(offer(sim, eth)).toEqual(['broadcast', 'unicastMine', 'v6MacIPv4Type']);
    eth.setMulticast([MCAST]);
    expect(sim.openMode() & R.Sn_MR_MMB).toBe(0);
    expect(sim.openMode() & R.Sn_MR_MFEN).toBe(R.Sn_MR_MFEN);
    expect(offer(sim, eth)).toEqual(['broadcast', 'ipv4Multicast', 'unicastMine', 'v6MacIPv4Type']);
    eth.setMulticast([MCAST, Uint8Array.from([0x01, 0, 0x5e, 0, 0, 0xfb])]);  // still open: no change
    eth.setMulticast(null);                                                  // all multicast: still open
    expect(eth.counters.modeChanges).toBe(1);
    eth.setMulticast([]);
    expect(sim.openMode() & R.Sn_MR_MMB).toBe(R.Sn_MR_MMB);
    expect(eth.counters.modeChanges).toBe(2);
    expect(offer(sim, eth)).toEqual(['broadcast', 'unicastMine', 'v6MacIPv4Type']);
    expect(sim.counters.rxFilteredUnicast).toBe(3);
    expect(sim.counters.rxFilteredIPv6).toBe(3);
    expect(() => eth.setMulticast('x' as any)).toThrow(/macs must be an array or null/);
  });

  test('options.ipv6 clears MIP6B, so 33:33 IPv6 frames pass', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({ ipv6: true }, sim);
    expect(sim.openMode() & R.Sn_MR_MIP6B).toBe(0);
    expect(offer(sim, eth)).toEqual(['broadcast', 'ipv6Multicast', 'unicastMine', 'v6MacIPv4Type']);
  });
});

describe('SPI traffic', () => {
  test('calls per received frame, per sent frame and per idle poll (one call per burst)', () => {
    const sim = track(new W5500Sim());
    const { eth } = setup({}, sim);
    const buf = new Uint8Array(1514);
    const calls = () => sim.counters.spiCalls;
    let c0 = calls();
    expect(eth.receive(buf)).toBe(0);
    expect(calls() - c0).toBe(2);              // clear Sn_IR.RECV, RSR/RX_RD/RX_WR burst
    c0 = calls();
    expect(eth.receive(buf)).toBe(0);
    expect(calls() - c0).toBe(1);              // the pointer burst only
    const f = frame(MAC_A, MAC_PEER, 0x0800, 500, 1);
    sim.deliver(f, f.length);
    c0 = calls();
    const b0 = sim.counters.spiBytes;
    expect(eth.receive(buf)).toBe(500);
    // the pointer burst, then the length header and the frame in one read; RECV waits for rxCommitBytes
    expect(calls() - c0).toBe(2);
    expect(sim.counters.spiBytes - b0).toBe((3 + 6) + (3 + 2 + 500));
    // A batch of 4: one read carries the first three (1518 octets at most), the fourth needs another.
    for (let i = 0; i < 4; i++) sim.deliver(f, f.length);
    eth.receive(buf);                          // clear Sn_IR, pointers, read: the first frame
    c0 = calls();
    for (let i = 0; i < 3; i++) expect(eth.receive(buf)).toBe(500);
    expect(calls() - c0).toBe(1);              // frames 2 and 3 from that read, one read for the fourth
    c0 = calls();
    expect(eth.send(f, 500)).toBe(true);
    expect(calls() - c0).toBe(4);              // frame, TX_WR, SEND + Sn_IR clear, one FSR/TX_RD/TX_WR read
    expect(sim.counters.spiSendCalls + sim.counters.spiWriteCalls).toBe(sim.counters.spiCalls);
  });

  test('with the INTn pin, an idle receive() costs no SPI call and frames are still seen', () => {
    const sim = track(new W5500Sim());
    const edges: number[] = [];
    sim.onInt((l) => edges.push(l));
    const { eth } = setup({ int: 'INT', readPin: () => sim.intLevel }, sim);
    const buf = new Uint8Array(1514);
    expect(eth.receive(buf)).toBe(0);
    let c0 = sim.counters.spiCalls;
    for (let i = 0; i < 10; i++) expect(eth.receive(buf)).toBe(0);
    expect(sim.counters.spiCalls - c0).toBe(0);
    const f = frame(MAC_A, MAC_PEER, 0x0800, 80, 1);
    sim.deliver(f, f.length);
    expect(sim.intLevel).toBe(0);
    expect(edges).toEqual([0]);
    expect(drain(eth)).toEqual([f]);
    expect(sim.intLevel).toBe(1);
    expect(edges).toEqual([0, 1]);
    // A frame landing after the driver cleared Sn_IR.RECV (here: during its RSR read) leaves INTn low, so
    // the next receive() looks again instead of sleeping on a pending interrupt.
    const g = frame(MAC_A, MAC_PEER, 0x0800, 90, 2);
    const h = frame(MAC_A, MAC_PEER, 0x0800, 100, 3);
    sim.deliver(g, g.length);
    sim.armTear('RSR', () => sim.deliver(h, h.length));
    expect(drain(eth)).toEqual([g, h]);
    expect(sim.intLevel).toBe(1);
    c0 = sim.counters.spiCalls;
    expect(eth.receive(buf)).toBe(0);
    expect(sim.counters.spiCalls - c0).toBe(0);
  });
});

describe('two chips on one virtual LAN', () => {
  test('two drivers on two simulated W5500s exchange unicast and broadcast frames', () => {
    const hub = new Hub();
    const simA = track(new W5500Sim({ cs: 'CS_A' }).attach(hub));
    const simB = track(new W5500Sim({ cs: 'CS_B' }).attach(hub));
    const a = connect(simA.spi, simA.cs, { mac: MAC_A });
    const b = connect(simB.spi, simB.cs, { mac: MAC_B });
    const toB = frame(MAC_B, MAC_A, 0x0800, 700, 1);
    const toA = frame(MAC_A, MAC_B, 0x0800, 64, 2);
    const bc = frame(BCAST, MAC_A, 0x0806, 42, 3);
    expect(a.send(toB, toB.length)).toBe(true);
    expect(drain(b)).toEqual([toB]);
    expect(drain(a)).toEqual([]);
    expect(b.send(toA, toA.length)).toBe(true);
    expect(drain(a)).toEqual([toA]);
    expect(a.send(bc, bc.length)).toBe(true);
    expect(drain(b)).toEqual([onWire(bc)]);
    for (let i = 0; i < 50; i++) {
      const f = frame(i & 1 ? MAC_A : MAC_B, i & 1 ? MAC_B : MAC_A, 0x0800, 60 + i * 20, 100 + i);
      expect((i & 1 ? b : a).send(f, f.length)).toBe(true);
      expect(drain(i & 1 ? a : b)).toEqual([f]);
    }
    expect(hub.framesRepeated).toBe(53);
  });

  test('a CS token that is not the chip\'s is counted as misuse and answered with nothing', () => {
    const sim = new W5500Sim({ cs: 'CS_A' });
    expect(() => connect(sim.spi, 'CS_B', { mac: MAC_A })).toThrow(/no chip answers/);
    expect(sim.misuse.wrongCs).toBeGreaterThan(0);
  });
});
