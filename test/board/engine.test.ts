/**
 * The board scripts in boards/, unchanged, on the REAL interpreter: Espruino 2v29 with exactly a Pico's
 * memory and Storage (src/host/board-engine.ts), SPI wired to the simulated chips in this process, the
 * modules in Storage as `npm run upload` writes them. The same checks as lan.test.ts (the sandbox bench
 * board): ARP, ping, UDP echo for a second stack and, for the Pico and W5500 scripts, 239.1.2.3. Time on
 * the board is wall time: every wait is bounded and fails at its bound; nothing is timed.
 */
import * as path from 'path';
import { startEngineBoard, EngineBoard } from '../../src/host/board-engine';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { W5500Sim } from '../../src/sim/w5500';
import { Hub, HubDevice } from '../../src/sim/hub';
import { createStack } from '../../src/index';
import { parseEthernet, parseIpv4, randomBytes, ETHERTYPE_IPV4 } from '../helpers/frames';
import { ScriptedHost } from './lan-peer';
import { describeEngines } from '../helpers/engines';

const ROOT = path.join(__dirname, '..', '..');
const PEER_IP = '192.0.2.10';
const GROUP = '239.1.2.3';
/** Bound on each wait for the board (wall time; generous: the machine may be loaded). */
const WAIT_MS = 20000;

const SCRIPTS: Array<{ file: string; ip: string; mac: string; multicast: boolean }> = [
  { file: 'boards/pico-enc28j60.js', ip: '192.0.2.2', mac: '02:4d:4e:00:00:02', multicast: true },
  { file: 'boards/espruino-w5500.js', ip: '192.0.2.3', mac: '02:4d:4e:00:55:03', multicast: true },
  { file: 'boards/espruino-dgram.js', ip: '192.0.2.4', mac: '02:4d:4e:00:00:04', multicast: false },
];

function chipClean(board: EngineBoard): void {
  for (const c of board.chips) {
    if (c.sim instanceof Enc28j60Sim) expect(c.sim.driverErrorLog).toEqual([]);
    if (c.sim instanceof W5500Sim) expect(c.sim.misuseTotal()).toBe(0);
  }
}

describeEngines(['espruino-pico'], 'board scripts on the Pico-memory Espruino (real interpreter)', () => {
  describe.each(SCRIPTS)('$file', ({ file, ip, mac, multicast }) => {
    let board: EngineBoard;
    let host: ScriptedHost;
    let peer: ReturnType<typeof createStack>;
    let pump: NodeJS.Timeout;
    beforeAll(async () => {
      const hub = new Hub();
      host = new ScriptedHost(hub);
      peer = createStack();
      peer.addInterface(new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 0x10)), { address: PEER_IP, netmask: '255.255.255.0', name: 'lan0' });
      const t0 = Date.now();
      pump = setInterval(() => { host.flush(); peer.poll(Date.now() - t0); }, 2);
      board = await startEngineBoard(path.join(ROOT, file), { engine: 'espruino-pico', hub });
      // started: the script printed its first line (chip found, link, or the dgram socket bound)
      expect(await board.waitFor(() => board.output.length > 0 || board.errors.length > 0, WAIT_MS)).toBe(true);
    }, 60000);
    afterAll(() => {
      clearInterval(pump);
      if (board) board.stop();
    });

    test('starts without errors; its modules came from Storage, which holds no more than a Pico\'s', () => {
      expect(board.errors).toEqual([]);
      expect(board.storageFree).not.toBeNull();
      expect(board.storageFree!).toBeGreaterThan(0);
      expect(board.storageFree!).toBeLessThan(49152);
    });

    test('answers ARP and ping from the scripted host', async () => {
      host.whoHas(ip);
      expect(await board.waitFor(() => host.arpReplyFrom(ip) !== null, WAIT_MS)).toBe(true);
      expect(host.arpReplyFrom(ip)).toBe(mac);
      const payloads = [0, 56, 1472].map((n, i) => randomBytes(n, 7 + i));
      for (let i = 0; i < payloads.length; i++) {
        host.ping(ip, mac, 0x4242, i + 1, payloads[i]);
        expect(await board.waitFor(() => host.echoReplies(ip).length >= i + 1, WAIT_MS)).toBe(true);
      }
      const replies = host.echoReplies(ip);
      expect(replies.map((r) => r.seq)).toEqual([1, 2, 3]);
      replies.forEach((r, i) => {
        expect(r.id).toBe(0x4242);
        expect(r.checksumOk).toBe(true);
        expect(Buffer.from(r.data).equals(Buffer.from(payloads[i]))).toBe(true);
      });
      expect(board.errors).toEqual([]);
      chipClean(board);
    }, 4 * WAIT_MS);

    test('UDP echo on port 7 for a second stack', async () => {
      const got: Array<{ data: Buffer; from: number }> = [];
      peer.udp.bind(40000, (buf, off, len, info) => { got.push({ data: Buffer.from(buf.subarray(off, off + len)), from: info.srcPort }); });
      const sizes = [1, 100, 600, 1472];
      for (let i = 0; i < sizes.length; i++) {
        expect(peer.udp.send(ip, 7, randomBytes(sizes[i], sizes[i]), 40000)).toBe(true);
        expect(await board.waitFor(() => got.length >= i + 1, WAIT_MS)).toBe(true);
      }
      expect(got.map((g) => g.data.length)).toEqual(sizes);
      got.forEach((g, i) => {
        expect(g.from).toBe(7);
        expect(g.data.equals(Buffer.from(randomBytes(sizes[i], sizes[i])))).toBe(true);
      });
      peer.udp.unbind(40000);
      expect(board.errors).toEqual([]);
      chipClean(board);
    }, 5 * WAIT_MS);

    if (multicast) test('joins 239.1.2.3 and answers group datagrams on port 5000 with a unicast copy', async () => {
      const reports = host.heard.filter((f) => {
        if (parseEthernet(f).type !== ETHERTYPE_IPV4) return false;
        const h = parseIpv4(f.subarray(14));
        return h.protocol === 2 && h.dst === GROUP && h.payload[0] === 0x16;
      });
      expect(reports.length).toBeGreaterThanOrEqual(1);
      const got: Array<{ data: string; from: number; dst: number }> = [];
      peer.udp.bind(40001, (buf, off, len, info) => { got.push({ data: Buffer.from(buf.subarray(off, off + len)).toString(), from: info.srcPort, dst: info.dstAddress }); });
      expect(peer.udp.send(GROUP, 5000, Buffer.from('to the group'), 40001)).toBe(true);
      expect(await board.waitFor(() => got.length >= 1, WAIT_MS)).toBe(true);
      expect(got).toEqual([{ data: 'to the group', from: 5000, dst: 0xc000020a }]);
      expect(board.errors).toEqual([]);
      chipClean(board);
    }, 2 * WAIT_MS);

    test('the real limits are visible: CPU time of the board process only, Storage as uploaded', () => {
      // the simulators run in this process: the board's CPU time is its own (reported, not asserted)
      const cpu = board.cpuMs();
      expect(cpu).toBeGreaterThan(0);
      console.log(file + ' on espruino-pico: ' + cpu + ' ms of board CPU, ' + board.stats.spiSends + ' SPI sends, ' +
        board.stats.spiWrites + ' writes, ' + board.stats.edges + ' INT edges; Storage free ' + board.storageFree);
    });
  });
});
