#!/usr/bin/env node
/**
 * The main job (`npm start`, after `npm run build`): micronet, loaded from dist/micronet.js into an ES5
 * sandbox, answers the Linux kernel through a tap interface in a private network namespace.
 *
 *   Linux 192.0.2.1/24 (tap mntap0, namespace micronet-<pid>-...)  <->  micronet 192.0.2.2
 *
 * micronet runs a UDP echo service on port 7 (RFC 862). From the Linux side the job pings micronet
 * (payloads of 0, 56 and 1472 octets), sends UDP datagrams of 1, 512 and 1472 octets to port 7 and one
 * to the subnet broadcast 192.0.2.255, and prints what came back, Linux's neighbour entry for micronet
 * and micronet's counters. The namespace is removed at the end (also on Ctrl-C or an error).
 *
 * Needs Linux, root, iproute2 (`ip`), socat, iputils-ping and /dev/net/tun; without them it says what
 * to install and exits with status 2. Exit status 1 means a check failed, 0 that every check passed.
 *
 * Usage: node tools/main.js [--espruino-e]   (--espruino-e: give the sandbox a stand-in for Espruino's
 *        `E` object so the bundle's E.sum checksum path runs)
 * Addresses are RFC 5737 documentation addresses and never leave the namespace.
 */
'use strict';
const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const LINUX = '192.0.2.1';
const MICRONET = '192.0.2.2';
const BROADCAST = '192.0.2.255';
const NETMASK = '255.255.255.0';
const MICRONET_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02); // locally administered
const ECHO_PORT = 7;
const WAIT_MS = 3000; // bound on every wait for a reply

function die(code, msg) {
  process.stderr.write('main: ' + msg + '\n');
  process.exit(code);
}

/** Compiles the host-side TypeScript (tap bridge, namespaces, Linux peer, ES5 sandbox) to build/host/. */
function compileHost() {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) die(2, 'TypeScript is not installed: run `npm install` (or `npm ci`) first.');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.host.json')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    die(1, 'compiling the host code (tsconfig.host.json) failed:\n' + String(e.stdout || '') + String(e.stderr || ''));
  }
  const dir = path.join(root, 'build', 'host', 'host');
  return {
    netns: require(path.join(dir, 'netns.js')),
    tap: require(path.join(dir, 'tap.js')),
    peer: require(path.join(dir, 'linux-peer.js')),
    sandbox: require(path.join(dir, 'es5-sandbox.js')),
  };
}

/** Loads dist/micronet.js into an ES5-only sandbox and returns its exports. */
function loadMicronet(host, withE) {
  const bundle = path.join(root, 'dist', 'micronet.js');
  if (!fs.existsSync(bundle)) die(1, bundle + ' is missing: run `npm run build` (npm start does).');
  const box = host.sandbox.createEs5Sandbox({ espruinoE: withE });
  const m = host.sandbox.loadModule(box, bundle);
  if (!m || typeof m.createStack !== 'function') die(1, 'dist/micronet.js does not export createStack.');
  return { micronet: m, removed: box.removed };
}

function hex(s) {
  return s.length > 16 ? s.slice(0, 16) + '...' : s;
}

/** Counters that are not zero (and rx/tx always), one line per layer and per interface. */
function formatStats(stats) {
  const line = (label, o) => {
    const parts = [];
    for (const k of Object.keys(o)) {
      if (k === 'name') continue;
      if (o[k] !== 0 || k === 'rx' || k === 'tx' || k === 'size' || k === 'free') parts.push(k + '=' + o[k]);
    }
    return '  ' + (label + ':').padEnd(6) + ' ' + parts.join(' ');
  };
  const lines = [];
  for (const layer of Object.keys(stats)) {
    const o = stats[layer];
    if (Array.isArray(o)) o.forEach((x, i) => lines.push(line('iface ' + (x.name || i), x)));
    else lines.push(line(layer, o));
  }
  return lines.join('\n');
}

async function main() {
  const withE = process.argv.includes('--espruino-e');
  const host = compileHost();
  const req = host.netns.checkHostRequirements(['ping']);
  if (!req.ok) die(2, req.reason);
  host.netns.installCleanupHandlers();
  host.netns.sweepStaleNamespaces('micronet');

  const { micronet, removed } = loadMicronet(host, withE);
  const bridge = await host.tap.TapBridge.open({ linuxAddress: LINUX, prefixLength: 24 });
  const ns = bridge.ns;
  let failures = 0;
  const check = (ok, line) => {
    if (!ok) failures++;
    console.log((ok ? '  ok   ' : '  FAIL ') + line);
  };
  let timer = null;
  let peer = null;
  try {
    const device = new host.tap.TapDevice(bridge, MICRONET_MAC);
    const stack = micronet.createStack();
    stack.addInterface(device, { address: MICRONET, netmask: NETMASK, name: 'tap0' });
    let echoed = 0;
    stack.udp.bind(ECHO_PORT, (buf, off, len, info) => {
      // RFC 862: send back the data received. The view is only valid during this call; send copies it.
      echoed++;
      stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), ECHO_PORT);
    });
    // The stack never reads a clock: poll it with the time, every millisecond, while Linux works.
    timer = setInterval(() => stack.poll(Date.now()), 1);

    console.log('micronet main job');
    console.log('  bundle   dist/micronet.js in an ES5 sandbox (' + removed.length + ' non-ES5 built-ins removed' +
      (withE ? ', stand-in E' : '') + ')');
    console.log('  linux    ' + LINUX + '/24 on ' + bridge.ifname + ' (' + micronet.formatMac(bridge.linuxMac) + ') in namespace ' + ns.name);
    console.log('  micronet ' + MICRONET + ' (' + micronet.formatMac(MICRONET_MAC) + '), UDP echo on port ' + ECHO_PORT);

    console.log('\nping from Linux');
    for (const size of [0, 56, 1472]) {
      const r = await host.peer.ping(ns, MICRONET, size, 3, 2);
      check(r.received >= 3 && !r.wrongData, 'ping -s ' + size + ': ' + r.received + '/' + r.transmitted + ' replies' +
        (r.wrongData ? ' (wrong data)' : ''));
    }

    console.log('\nUDP from Linux to ' + MICRONET + ':' + ECHO_PORT);
    peer = await host.peer.LinuxUdpPeer.start(ns);
    const sock = await peer.bind(0, '0.0.0.0', true);
    for (const size of [1, 512, 1472]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 7 + size) & 255;
      const err = await sock.send(data, MICRONET, ECHO_PORT);
      let line = size + ' octets: ';
      let ok = false;
      if (err) line += 'send failed (' + err + ')';
      else {
        try {
          const m = await sock.receive(WAIT_MS);
          ok = m.address === MICRONET && m.port === ECHO_PORT && m.data.equals(data);
          line += 'reply of ' + m.data.length + ' octets from ' + m.address + ':' + m.port + (m.data.equals(data) ? ', identical' : ', DIFFERENT') +
            ' (' + hex(m.data.toString('hex')) + ')';
        } catch (e) {
          line += 'no reply (' + e.message + ')';
        }
      }
      check(ok, line);
    }
    const bdata = Buffer.from('hello micronet, this is a broadcast');
    const berr = await sock.send(bdata, BROADCAST, ECHO_PORT);
    let bline = 'broadcast to ' + BROADCAST + ':' + ECHO_PORT + ' (' + bdata.length + ' octets): ';
    let bok = false;
    if (berr) bline += 'send failed (' + berr + ')';
    else {
      try {
        const m = await sock.receive(WAIT_MS);
        bok = m.address === MICRONET && m.data.equals(bdata);
        bline += 'reply from ' + m.address + ':' + m.port + ' "' + m.data.toString() + '"';
      } catch (e) {
        bline += 'no reply (' + e.message + ')';
      }
    }
    check(bok, bline);
    check(echoed === 4, 'micronet echo service handled ' + echoed + ' datagrams');

    console.log('\nLinux neighbour entry for micronet (ip neigh)');
    const neigh = host.peer.ipNeigh(ns, MICRONET);
    const macText = micronet.formatMac(MICRONET_MAC);
    check(!!neigh && neigh.lladdr === macText, neigh ? neigh.line : 'no entry');

    stack.poll(Date.now());
    const st = stack.stats();
    console.log('\nmicronet counters (stack.stats())');
    console.log(formatStats(st));
    console.log('  tap:   ' + Object.keys(bridge.stats).map((k) => k + '=' + bridge.stats[k]).join(' ') +
      ' queueOverflows=' + device.overflows);
    check(st.ring.free === st.ring.size, 'every ring frame back in the ring (' + st.ring.free + ' of ' + st.ring.size + ' free)');
  } finally {
    if (timer) clearInterval(timer);
    if (peer) peer.stop();
    bridge.close();
  }
  const gone = !execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(ns.name);
  console.log('\nnamespace ' + ns.name + (gone ? ' removed' : ' STILL PRESENT'));
  if (!gone) failures++;
  console.log(failures === 0 ? 'all checks passed' : failures + ' check(s) failed');
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write('main: ' + (e && e.stack ? e.stack : String(e)) + '\n');
  process.exit(1);
});
