/**
 * MQTT 3.1.1 over Espruino's own `net` and micronet-tcp, on the REAL Pico-memory interpreter:
 * boards/pico-mqtt.js (its minimal client; the web-board profile's bundles from Storage) with its
 * ENC28J60 simulated and bridged to a tap in a namespace (Linux 192.0.2.1/24, the board 192.0.2.7),
 * against Debian's mosquitto started by this test inside the namespace. Linux's mosquitto_pub sends to
 * "micronet/in" at QoS 1 and mosquitto_sub reads the board's "echo:" answers (QoS 1) and ticks (QoS 0);
 * the broker is restarted midway and the board reconnects. The exchange lasts MICRONET_MQTT_SECONDS
 * (default 60; .ci/run sets it shorter): one message every 2 s, each answered. Needs root, ip, socat,
 * mosquitto, mosquitto_pub, mosquitto_sub and the engine (skipped otherwise; fails under CI).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess } from 'child_process';
import { startEngineBoard, EngineBoard } from '../../src/host/board-engine';
import { destroyAllNamespaces } from '../../src/host/netns';
import { describeInterop } from '../helpers/netns';
import { describeEngines } from '../helpers/engines';

const ROOT = path.join(__dirname, '..', '..');
const LINUX = '192.0.2.1';
const SECONDS = Number(process.env.MICRONET_MQTT_SECONDS || 60);

jest.setTimeout(120000 + SECONDS * 3000);

describeInterop('MQTT: boards/pico-mqtt.js against mosquitto', () => {
  afterAll(() => destroyAllNamespaces());
  describeEngines(['espruino-pico'], 'espruino-pico', () => {
    let board: EngineBoard;
    let dir: string;
    let broker: ChildProcess | null = null;
    let sub: ChildProcess | null = null;
    let got: string[] = [];
    const startBroker = async (): Promise<void> => {
      broker = board.tap!.ns.spawn('mosquitto', ['-c', path.join(dir, 'm.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      broker.stderr!.on('data', (d) => { log += d; });
      broker.stdout!.on('data', (d) => { log += d; });
      // ready once a client can connect: mosquitto_pub to a scratch topic succeeds
      for (let i = 0; i < 50; i++) {
        const r = await board.tap!.ns.run('mosquitto_pub', ['-h', LINUX, '-t', 'probe', '-m', 'x'], { timeoutMs: 5000 });
        if (r.code === 0) return;
        await board.waitFor(() => false, 200);
      }
      throw new Error('mosquitto did not start: ' + log);
    };
    const startSub = (): void => {
      sub = board.tap!.ns.spawn('mosquitto_sub', ['-h', LINUX, '-t', 'micronet/out', '-t', 'micronet/tick', '-v', '-q', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let part = '';
      sub.stdout!.on('data', (d) => { part += d; const ls = part.split('\n'); part = ls.pop()!; got.push(...ls); });
    };
    const pub = async (m: string): Promise<void> => {
      const r = await board.tap!.ns.run('mosquitto_pub', ['-h', LINUX, '-t', 'micronet/in', '-q', '1', '-m', m], { timeoutMs: 10000 });
      if (r.code !== 0) throw new Error('mosquitto_pub: ' + r.stderr);
    };
    const connected = () => board.output.filter((l) => l === 'mqtt connected').length;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-mqtt-'));
      fs.writeFileSync(path.join(dir, 'm.conf'), 'listener 1883 ' + LINUX + '\nallow_anonymous true\npersistence false\n');
      board = await startEngineBoard(path.join(ROOT, 'boards', 'pico-mqtt.js'), { engine: 'espruino-pico', tap: { linuxAddress: LINUX, prefixLength: 24 } });
      await startBroker();
      startSub();
    });
    afterAll(() => {
      for (const p of [sub, broker]) if (p) p.kill('SIGKILL');
      if (board) board.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('messages both ways for the whole run (QoS 1 echoes, QoS 0 ticks), across a broker restart', async () => {
      expect(await board.waitFor(() => connected() >= 1 || board.errors.length > 0, 30000)).toBe(true);
      expect(board.errors).toEqual([]);
      await board.waitFor(() => false, 1000); // the SUBSCRIBE reaches the broker
      const sent: string[] = [];
      const end = Date.now() + SECONDS * 1000;
      let restarted = false;
      for (let i = 0; i < 1000 && Date.now() < end; i++) {
        if (!restarted && Date.now() > end - SECONDS * 500) {
          // broker restart: the board sees its connection closed and connects again
          restarted = true;
          broker!.kill('SIGKILL');
          sub!.kill('SIGKILL');
          await board.waitFor(() => board.output.some((l) => l === 'mqtt closed'), 30000);
          await startBroker();
          got = got.slice(); startSub();
          expect(await board.waitFor(() => connected() >= 2, 30000)).toBe(true);
          await board.waitFor(() => false, 1000);
        }
        const m = 'm' + i;
        await pub(m);
        sent.push(m);
        expect(await board.waitFor(() => got.indexOf('micronet/out echo:' + m) >= 0 || board.errors.length > 0, 20000)).toBe(true);
        await board.waitFor(() => false, 2000);
      }
      expect(restarted).toBe(true);
      expect(sent.length).toBeGreaterThanOrEqual(3);
      for (const m of sent) expect(got).toContain('micronet/out echo:' + m);
      const ticks = got.filter((l) => l.indexOf('micronet/tick tick ') === 0);
      expect(ticks.length).toBeGreaterThanOrEqual(1);
      expect(board.errors).toEqual([]);
      console.log('espruino-pico MQTT: ' + sent.length + ' messages echoed over ' + SECONDS + ' s, ' + connected() + ' connections (broker restarted once), ' +
        ticks.length + ' ticks; last: ' + ticks[ticks.length - 1] + '; Storage left ' + board.storageFree + ' octets');
    });
  });
}, ['ping', 'mosquitto', 'mosquitto_pub', 'mosquitto_sub']);
