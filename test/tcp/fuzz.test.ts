/**
 * Fuzzing micronet-tcp (fast-check): random and mutated segments into a listening port and into an
 * established connection, with application writes, pauses and time steps mixed in. Properties after
 * every step: nothing throws, the TCP counters balance (rx = the sum of the dispositions), every ring
 * frame is back, the table stays within maxConnections and every connection is in a defined state with
 * its buffers within their bounds; the data delivered to the application is exactly the peer's stream
 * (every octet at sequence number s is (s * 7) & 255, so any octet delivered out of place shows); and
 * given time, every connection ends in a defined resting state. TCP_FUZZ_RUNS sets the runs (default
 * 150 per property: a few seconds).
 */
import fc from 'fast-check';
import { ScriptedPeer, SYN, ACK, FIN, RST, PSH } from './peer';
import { STATES } from '../../src/tcp/tcp';

const RUNS = Number(process.env.TCP_FUZZ_RUNS || 150);
const PARTS = ['tooShort', 'badChecksum', 'notUnicast', 'badOptions', 'refused', 'listenDrops', 'connLimit', 'outOfWindow',
  'badAck', 'noAck', 'synChallenged', 'rstChallenged', 'accepted'];

/** The peer's octet at sequence number s. */
const octet = (s: number) => ((s >>> 0) * 7) & 255;

type Action =
  | { k: 'seg'; flags: number; dseq: number; dack: number; len: number; window: number; options: number[]; badSum: boolean; port: number }
  | { k: 'write'; n: number }
  | { k: 'time'; ms: number }
  | { k: 'app'; op: 'pause' | 'resume' | 'end' | 'read' | 'destroy' | 'nodelay' | 'keepalive' };

const optionBytes: fc.Arbitrary<number[]> = fc.oneof(
  fc.constant([] as number[]),
  fc.constant<number[]>([2, 4, 5, 180]),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }),
  fc.constant<number[]>([1, 1, 3, 3, 7, 4, 2, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0]),
);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    k: fc.constant('seg' as const),
    flags: fc.oneof(fc.constantFrom(ACK, ACK | PSH, ACK | FIN, SYN, RST, RST | ACK, SYN | ACK, FIN, 0), fc.integer({ min: 0, max: 63 })),
    dseq: fc.oneof(fc.integer({ min: -3000, max: 6000 }), fc.constant(0), fc.integer({ min: -0x7fffffff, max: 0x7fffffff })),
    dack: fc.oneof(fc.integer({ min: -3000, max: 5000 }), fc.constant(0), fc.integer({ min: -0x7fffffff, max: 0x7fffffff })),
    len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1460 })),
    window: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 65535 })),
    options: optionBytes,
    badSum: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
    port: fc.constantFrom(40000, 40000, 40000, 40001, 40002),
  }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('write' as const), n: fc.integer({ min: 1, max: 4000 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('time' as const), ms: fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.constant(100000)) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('app' as const), op: fc.constantFrom('pause', 'resume', 'end', 'read', 'destroy', 'nodelay', 'keepalive') }) },
);

function check(p: ScriptedPeer): void {
  const s = p.stats();
  expect(PARTS.reduce((n, k) => n + s[k], 0)).toBe(s.rx);
  const ring = p.stack.stats().ring;
  expect(ring.free).toBe(ring.size);
  expect(p.tcp.conns.length).toBeLessThanOrEqual(p.tcp.cfg.maxConnections);
  for (const c of p.tcp.conns) {
    const st = STATES[c.state()];
    expect(['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT']).toContain(st);
    expect(c.pending()).toBeLessThanOrEqual(p.tcp.cfg.sndBuf);
    expect(c.available()).toBeLessThanOrEqual(p.tcp.cfg.rcvBuf);
    if (c.rb) expect(c.rb.length).toBe(p.tcp.cfg.rcvBuf);
  }
}

/** Runs the actions against a connection established from `irs` (or a bare listener when established is false). */
function play(actions: Action[], established: boolean): void {
  const p = new ScriptedPeer({ tcp: { maxConnections: 4, backlog: 2 } });
  const irs = 0xfffff000; // the peer's stream crosses 2^32 within a few KB
  let iss = 0, delivered = 0;
  const handlers = {
    data: (_c: any, buf: Uint8Array, off: number, len: number) => {
      for (let i = 0; i < len; i++) if (buf[off + i] !== octet(irs + 1 + delivered + i)) throw new Error('octet ' + (delivered + i) + ' out of place');
      delivered += len;
    },
  };
  let c: any = null;
  if (established) { const e = p.accept({ irs, handlers }); iss = e.iss; c = e.c; } else p.listen(handlers);
  const base = () => (c ? c.t[13] : irs + 1); // RCV.NXT of the connection under test
  for (const a of actions) {
    if (a.k === 'seg') {
      const seq = (base() + a.dseq) >>> 0;
      const data: number[] = [];
      for (let i = 0; i < a.len; i++) data.push(octet(seq + i));
      p.inject({ flags: a.flags, seq, ack: (iss + 1 + a.dack) >>> 0, window: a.window, data, options: a.options.slice(0, 40),
        checksum: a.badSum ? 0x1234 : undefined, srcPort: a.port });
    } else if (a.k === 'write') {
      if (c && c.state() !== 0 && c.state() < 6) c.write(new Uint8Array(a.n));
    } else if (a.k === 'time') p.advance(a.ms);
    else if (c && c.state() !== 0) {
      if (a.op === 'pause') c.pause();
      else if (a.op === 'resume') c.resume();
      else if (a.op === 'end') c.end();
      else if (a.op === 'destroy') c.destroy();
      else if (a.op === 'nodelay') c.setNoDelay(true);
      else if (a.op === 'keepalive') c.setKeepAlive(true, 5000);
      else {
        const b = new Uint8Array(3000);
        const n = c.read(b, 0, 3000);
        for (let i = 0; i < n; i++) if (b[i] !== octet(irs + 1 + delivered + i)) throw new Error('read octet out of place');
        delivered += n;
      }
    }
    p.take();
    check(p);
  }
  // given time, every connection ends or rests: ESTABLISHED/CLOSE-WAIT with nothing unacknowledged
  // (the peer is silent, so anything in flight runs into R2) or probing a zero window
  p.advance(400000);
  check(p);
  for (const x of p.tcp.conns) {
    const st = STATES[x.state()];
    expect(['ESTABLISHED', 'CLOSE-WAIT']).toContain(st);
    expect(x.pending() === 0 || x.t[8] === 0).toBe(true);
  }
  p.advance(400000); // the keepalive (if set) and TIME-WAIT have ended by now too
  check(p);
}

test('random and mutated segments into a listening port', () => {
  fc.assert(fc.property(fc.array(action, { maxLength: 60 }), (acts) => { play(acts, false); }), { numRuns: RUNS });
});

test('random and mutated segments into an established connection, with writes, pauses, reads and time', () => {
  fc.assert(fc.property(fc.array(action, { maxLength: 80 }), (acts) => { play(acts, true); }), { numRuns: RUNS });
});
