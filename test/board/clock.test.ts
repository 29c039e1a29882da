/**
 * The bench board's chip clocks never run ahead of the board loop's (virtual clock). A flood of
 * full-size broadcast frames makes the script read hundreds of kilobytes over SPI; a chip that kept its
 * own SPI-octet clock ran ahead of the loop by the difference between its octet time and what the loop
 * charged for the same transfers (at 20 MHz: 1 µs against 0.4 µs per octet), so a transmission started
 * after the flood ended only when the loop caught up, a wire time plus that lead later. Here the echo
 * reply to a ping sent after the flood must leave within the wire time and the board's own processing,
 * and the chip's time must equal the loop's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBoard } from '../../src/host/board';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { W5500Sim } from '../../src/sim/w5500';
import { Hub } from '../../src/sim/hub';
import { udpFrame, randomBytes } from '../helpers/frames';
import { ScriptedHost } from './lan-peer';

const ROOT = path.join(__dirname, '..', '..');

/** A board script from boards/ with its SPI clock set to `baud`, in a temporary file. */
function withBaud(file: string, baud: number): string {
  const orig = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const text = orig.replace(/\b8000000\b/, String(baud));
  if (text === orig) throw new Error(file + ': no 8000000 (the SPI clock) to change');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-clock-'));
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, text);
  return out;
}

describe.each([
  { file: 'boards/pico-enc28j60.js', ip: '192.0.2.2', mac: '02:4d:4e:00:00:02' },
  { file: 'boards/espruino-w5500.js', ip: '192.0.2.3', mac: '02:4d:4e:00:55:03' },
])('$file at 20 MHz SPI, virtual clock', ({ file, ip, mac }) => {
  test('after a flood of 300 full-size frames a ping is answered within wire time plus processing', async () => {
    const hub = new Hub();
    const host = new ScriptedHost(hub);
    const heardAt: number[] = [];
    const script = withBaud(file, 20000000);
    const board = await startBoard(script, { clock: 'virtual', hub });
    try {
      hub.attach({ deliver: () => { heardAt.push(board.loop.nowUs()); } });
      board.loop.tickHooks.push(() => host.flush());
      board.advance(300);
      const sim = board.chips[0].sim;
      // The flood: 300 broadcast UDP datagrams of 1472 octets to an unbound port (no ICMP error for
      // a broadcast, RFC 1122 §3.2.2), 4 per millisecond of board time (a full ENC28J60 ring).
      const f = udpFrame({ dstPort: 9, dst: '192.0.2.255', ethDst: 'ff:ff:ff:ff:ff:ff', data: randomBytes(1472, 1) });
      for (let i = 0; i < 300; i += 4) {
        for (let k = 0; k < 4; k++) host.send(f);
        board.advance(1);
      }
      board.advance(50);
      expect(sim.nowUs).toBeLessThanOrEqual(board.loop.nowUs());
      // The ping (56 octets of data, a 98-octet frame): request and reply take about 90 µs each on a
      // 10 Mb/s wire; the board reads, answers and writes it within a few ms of board time.
      host.whoHas(ip);
      board.advance(20);
      heardAt.length = 0;
      const t0 = board.loop.nowUs();
      host.ping(ip, mac, 0x1234, 1, randomBytes(56, 2));
      board.advance(20);
      const replies = host.echoReplies(ip);
      expect(replies.map((r) => r.seq)).toEqual([1]);
      const replyAt = heardAt.find((t) => t > t0);
      expect(replyAt).toBeDefined();
      expect(replyAt! - t0).toBeLessThan(10000);
      expect(sim.nowUs).toBeLessThanOrEqual(board.loop.nowUs());
      if (sim instanceof Enc28j60Sim) expect(sim.driverErrorLog).toEqual([]);
      if (sim instanceof W5500Sim) expect(sim.misuseTotal()).toBe(0);
      expect(board.errors).toEqual([]);
    } finally {
      board.stop();
      fs.rmSync(path.dirname(script), { recursive: true, force: true });
    }
  });
});

describe('the ENC28J60 SPI clock rule (errata DS80349C item 1: 8 MHz or more)', () => {
  test('the bench board warns when a script sets up an ENC28J60 bus below 8 MHz; the driver refuses options.baud below it', async () => {
    const script = withBaud('boards/pico-enc28j60.js', 4000000);
    const board = await startBoard(script, { clock: 'virtual' });
    try {
      expect(board.output.filter((l) => /WARNING SPI1\.setup baud 4000000 is below 8000000/.test(l)).length).toBe(1);
      // The script also passes baud to connect, which throws naming the option and the rule.
      expect(board.errors.join('\n')).toMatch(/options\.baud 4000000 must be 8000000\.\.20000000/);
    } finally {
      board.stop();
      fs.rmSync(path.dirname(script), { recursive: true, force: true });
    }
    const ok = await startBoard(path.join(ROOT, 'boards/pico-enc28j60.js'), { clock: 'virtual' });
    try {
      expect(ok.output.filter((l) => /WARNING/.test(l))).toEqual([]);
      expect(ok.errors).toEqual([]);
    } finally {
      ok.stop();
    }
  });
});
