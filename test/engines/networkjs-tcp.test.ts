/**
 * micronet's NetworkJS TCP adapter (micronet-networkjs-tcp) behind Espruino's REAL built-in net and
 * http (Espruino 2v29: the Linux build and the Pico-memory build, micronet from Storage as uploaded):
 * networkjs-tcp-scenario.js runs a board stack B (register(tcpB)) and a peer stack P (micronet-tcp
 * used directly) on one wire inside the engine, and reports what Espruino's objects saw.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runOnEngine, EngineName } from '../../src/host/engine';
import { describeEngines } from '../helpers/engines';

const DIR = __dirname;

function script(): string {
  return fs.readFileSync(path.join(DIR, 'scenarios', 'lib.js'), 'latin1') + '\n' +
    fs.readFileSync(path.join(DIR, 'networkjs-tcp-scenario.js'), 'latin1');
}

interface Outcome { k: Record<string, any>; output: string; errors: string[] }

function onEngine(engine: EngineName): Outcome {
  const r = runOnEngine({ engine, name: 'networkjs-tcp', script: script(), start: 'main', timeoutMs: 150000 });
  const k: Record<string, any> = {};
  for (const rep of r.reports) if (rep && typeof rep === 'object' && 'k' in rep) k[rep.k] = rep.v;
  return { k, output: r.output, errors: r.errors };
}

function checks(get: () => Outcome): void {
  test('no uncaught error, no assertion; every phase ran', () => {
    const o = get();
    if (!o.k.finished) console.log(o.output.slice(-4000));
    expect(o.errors).toEqual([]);
    expect(o.k.finished).toBe(true);
  });
  test('http.createServer: a GET and a 5000-octet POST (over the 1460-octet window) answered, body intact', () => {
    const h = get().k.httpServer;
    expect(h.reqs).toEqual([['GET', '/index.html', 0, true, null], ['POST', '/up', 5000, true, '5000']]);
    expect(h.get).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Type: text\/plain\r\n\r\npage \/index\.html$/);
    expect(h.post).toBe('got 5000 true');
    expect(h.events).toEqual([['connect', 'end', 'close:false'], ['connect', 'end', 'close:false']]);
  });
  test('http.get: a 4000-octet page intact, a 404 with its body, a 301 with its Location', () => {
    const c = get().k.httpClient;
    expect(c.map((r: any) => [r.path, r.status, r.n, r.ok])).toEqual([['/page', '200', 4000, true], ['/missing', '404', 9, true], ['/old', '301', 0, true]]);
    expect(c[1].body).toBe('not found');
    expect(c[2].location).toBe('/page');
  });
  test('net.createServer: 3000 octets echoed intact; the peer\'s FIN gives end, then close without error', () => {
    const n = get().k.netServer;
    expect([n.echoed, n.intact, n.received]).toEqual([3000, true, 3000]);
    expect(n.events.filter((e: string) => e !== 'drain')).toEqual(['end', 'close:false']);
    expect(n.peer).toEqual(['connect', 'end', 'close:false']);
  });
  test('net.connect: answer read to the end; a closed port and a reset give error -9, end, close(true)', () => {
    const { k, output } = get();
    const n = k.netClient;
    expect(n.answer).toBe('re:hi');
    expect(n.events.filter((e: string) => e !== 'drain')).toEqual(['cb', 'end', 'close:false']);
    expect(n.refused).toEqual(['error:-9:connection reset', 'end', 'close:true']);
    expect(n.reset.filter((e: string) => e !== 'drain')).toEqual(['cb', 'error:-9:connection reset', 'end', 'close:true']);
    expect(output).toContain('micronet: net 192.0.2.1:9001: ECONNREFUSED');
  });
  test('host names: resolved through options.lookup; an unknown one gives error -6 and micronet\'s reason', () => {
    const { k, output } = get();
    expect(k.names.answer).toBe('named');
    expect(k.names.unknown).toEqual(['error:-6:not found', 'end', 'close:true']);
    expect(output).toContain('micronet: net nowhere.example: ENOTFOUND');
  });
  test('socket table of 4: a 5th connection is reset (counted), net.connect throws; served again once one closes', () => {
    const t = get().k.table;
    expect(t.inUse).toBe(4);
    expect(t.refused).toBe(1);
    expect(t.peer.slice(0, 2)).toEqual(['3:error:ECONNRESET', '3:close:true']);
    expect(t.thrown).toBe('Unable to create socket');
    expect(t.again).toBe('again');
    expect(t.lastError).toContain('no free socket');
  });
  test('Espruino\'s dgram beside TCP (options.udp): a datagram echoed', () => {
    expect(get().k.dgram).toEqual(['echo:ping']);
  });
  test('afterwards: no connection left, recv/accept idle again, every ring frame back, no handler error', () => {
    const i = get().k.idle;
    expect([i.recvIdle, i.acceptIdle, i.conns, i.sockets, i.rings, i.tcp]).toEqual([true, true, [0, 0], 0, true, 0]);
    // blocks: no growth over the run (GC'd counts; a few blocks either way from Espruino's own caches)
    expect(i.leaked).toBeLessThan(40);
  });
}

// The Linux build only: two stacks, both TCPs, the UDP adapter and the scenario do not fit a Pico's 5,100
// blocks together (OUT OF MEMORY at the peer's create); the Pico build runs the web board itself over
// a tap (test/interop/web.test.ts).
for (const engine of ['espruino'] as EngineName[]) {
  describeEngines([engine], 'Espruino\'s built-in net and http over micronet-tcp on ' + engine, () => {
    let out: Outcome;
    beforeAll(() => { out = onEngine(engine); }, 160000);
    checks(() => out);
    test('phase times (ms, not asserted)', () => { console.log(engine + ' networkjs-tcp phase ms: ' + JSON.stringify(out.k.times)); });
  });
}

/** TLS over a NetworkJS driver (type bit 4): Espruino's mbedTLS allocates its state from JsVars
 *  (MBEDTLS_PLATFORM_CALLOC_MACRO is jsvMalloc, libs/crypto/mbedtls/config.h), so its cost is blocks. A
 *  driver that takes whatever is sent: tls.connect starts the handshake (a ClientHello goes to send) and
 *  the blocks it holds then are reported. */
const TLS_SCRIPT = `
var sent = 0;
require("NetworkJS").create({ create: function () { return 0; }, close: function () {}, accept: function () { return -1; },
  recv: function () { return ""; }, send: function (s, d) { sent += d.length; return d.length; } });
var m0 = process.memory().free, err = "";
try { require("tls").connect({ host: "192.0.2.1", port: 443 }).on("error", function (e) { err = String(e.message || e); }); }
catch (e) { err = "thrown: " + e.message; }
setTimeout(function () { var m = process.memory(); report("tls", { free0: m0, free: m.free, used: m0 - m.free, sent: sent, err: err, blocksize: m.blocksize }); }, 300);
`;

describeEngines(['espruino-pico'], 'TLS on the Pico build: what one tls.connect holds', () => {
  test('the handshake\'s start holds some 2,000 blocks (a web board has about 1,100 free): TLS does not fit a Pico beside micronet', () => {
    const r = runOnEngine({ engine: 'espruino-pico', name: 'tls-blocks', script: fs.readFileSync(path.join(DIR, 'scenarios', 'lib.js'), 'latin1') + TLS_SCRIPT, timeoutMs: 30000 });
    const v = r.reports.find((x: any) => x && x.k === 'tls').v;
    expect(r.errors).toEqual([]);
    expect(v.err).toBe('');
    expect(v.sent).toBeGreaterThan(40); // the ClientHello went to the driver
    expect(v.used).toBeGreaterThan(1500);
    console.log('espruino-pico TLS: one tls.connect (handshake started, ClientHello ' + v.sent + ' octets) holds ' + v.used + ' blocks (' + v.used * v.blocksize + ' octets); ' + v.free + ' of ' + v.free0 + ' free left with nothing else loaded');
  });
});
