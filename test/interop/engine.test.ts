/**
 * Linux interop with micronet on the REAL interpreter: the main job's board script
 * (tools/main-engine-script.js) on Espruino 2v29 with a Pico's memory, micronet and the chip driver from
 * Storage, the chip's SPI carried to the simulated chip (src/host/board-engine.ts), whose wire is a tap
 * in a namespace this test creates (Linux 192.0.2.1/24, micronet 192.0.2.2). Ping, ARP both ways, UDP
 * both ways, broadcast and multicast, through the ENC28J60 and the W5500. And the main job itself:
 * `node tools/main.js --engine espruino` passes its checks. Needs root, ip, socat, ping and the engines
 * (skipped otherwise; fails under CI).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { startEngineBoard, EngineBoard } from '../../src/host/board-engine';
import { destroyAllNamespaces } from '../../src/host/netns';
import { ipNeigh, LinuxUdpPeer, LinuxUdpSocket, ping } from '../../src/host/linux-peer';
import { describeInterop } from '../helpers/netns';
import { describeEngines } from '../helpers/engines';

const ROOT = path.join(__dirname, '..', '..');
const MICRONET = '192.0.2.2';
const MAC_TEXT = '02:00:00:00:00:02';
const WAIT_MS = 15000;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { scriptFor } = require('../../tools/main-engine-script');

const pattern = (n: number): Buffer => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 7 + n) & 255; return b; };

jest.setTimeout(120000);

describeInterop('Linux interop, micronet on the Pico-memory Espruino', () => {
  afterAll(() => destroyAllNamespaces());
  describeEngines(['espruino-pico'], 'espruino-pico', () => describe.each(['enc28j60', 'w5500'])('through the simulated %s', (chip) => {
    let board: EngineBoard;
    let peer: LinuxUdpPeer;
    let sock: LinuxUdpSocket;
    let dir: string;
    /** The board's stack.stats() and more, asked on its control port. */
    const stats = async (): Promise<any> => {
      const n = board.reports.length;
      expect(await sock.send(Buffer.from('stats'), MICRONET, 9)).toBeNull();
      expect(await board.waitFor(() => board.reports.slice(n).some((r) => r.stats), WAIT_MS)).toBe(true);
      return board.reports.slice(n).find((r) => r.stats);
    };
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-engine-interop-'));
      const f = path.join(dir, 'board.js');
      fs.writeFileSync(f, scriptFor(chip));
      board = await startEngineBoard(f, { engine: 'espruino-pico', tap: { linuxAddress: '192.0.2.1', prefixLength: 24 } });
      expect(await board.waitFor(() => board.reports.some((r) => r.ready), WAIT_MS)).toBe(true);
      peer = await LinuxUdpPeer.start(board.tap!.ns);
      sock = await peer.bind(0, '0.0.0.0', true);
    });
    afterAll(() => {
      if (peer) peer.stop();
      if (board) board.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('ARP: Linux resolves micronet (its chip MAC), micronet answered', async () => {
      const ns = board.tap!.ns;
      expect(ipNeigh(ns, MICRONET)).toBeNull();
      expect((await ping(ns, MICRONET, 56, 1, 5)).received).toBeGreaterThanOrEqual(1);
      expect(ipNeigh(ns, MICRONET)!.lladdr).toBe(MAC_TEXT);
      expect((await stats()).stats.arp.repliesSent).toBeGreaterThanOrEqual(1);
    });

    test('ping from Linux with 0, 56 and 1472 octets', async () => {
      for (const size of [0, 56, 1472]) {
        const r = await ping(board.tap!.ns, MICRONET, size, 3, 5);
        expect(r.received).toBeGreaterThanOrEqual(3); // more when a late reply made ping send another (-w)
        expect(r.wrongData).toBe(false);
      }
    });

    test('UDP from Linux: echoed intact (1, 512, 1472 octets, and the subnet broadcast)', async () => {
      for (const size of [1, 512, 1472]) {
        expect(await sock.send(pattern(size), MICRONET, 7)).toBeNull();
        const m = await sock.receive(WAIT_MS);
        expect([m.address, m.port]).toEqual([MICRONET, 7]);
        expect(m.data.equals(pattern(size))).toBe(true);
      }
      expect(await sock.send(Buffer.from('to all'), '192.0.2.255', 7)).toBeNull();
      const m = await sock.receive(WAIT_MS);
      expect([m.address, m.data.toString()]).toEqual([MICRONET, 'to all']);
    });

    test('UDP from micronet: it sends first, 1, 512 and 1472 octets arrive intact, Linux\'s MAC from ARP', async () => {
      const inbox = await peer.bind(0, '0.0.0.0');
      expect(await sock.send(Buffer.from('send ' + inbox.port), MICRONET, 9)).toBeNull();
      for (const size of [1, 512, 1472]) {
        const m = await inbox.receive(WAIT_MS);
        expect([m.address, m.port]).toEqual([MICRONET, 4000]);
        expect(m.data.equals(pattern(size))).toBe(true);
      }
      // Linux's MAC came from ARP (micronet's request answered, or Linux's own request learned), no timeout
      const arp = (await stats()).stats.arp;
      expect(arp.timeouts).toBe(0);
      expect(arp.rx).toBeGreaterThanOrEqual(1);
    });

    test('multicast: micronet reported 239.1.2.3 and answers a datagram Linux sends to the group', async () => {
      const ns = board.tap!.ns;
      ns.runSync('ip', ['route', 'add', '239.0.0.0/8', 'dev', board.tap!.ifname]);
      expect(await sock.send(Buffer.from('hello group'), '239.1.2.3', 5000)).toBeNull();
      const m = await sock.receive(WAIT_MS);
      expect([m.address, m.port, m.data.toString()]).toEqual([MICRONET, 5000, 'hello group']);
      const s = await stats();
      expect(s.stats.igmp.reportsSent).toBeGreaterThanOrEqual(1);
      expect(s.stats.ring.free).toBe(s.stats.ring.size);
      expect(board.errors).toEqual([]);
      console.log(chip + ' on espruino-pico: ' + s.blocks + ' of 5100 blocks in use, ' + board.cpuMs() + ' ms of board CPU');
    });
  }));

  test('the main job: node tools/main.js --engine espruino passes all its checks', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'tools', 'main.js'), '--engine', 'espruino'], { encoding: 'utf8', timeout: 100000 });
    expect(out).toContain('all checks passed');
    expect(out).not.toContain('FAIL');
  });
});
