#!/usr/bin/env node
/**
 * The main job (`npm start`, after `npm run build`): micronet, loaded from dist/micronet.js into an ES5
 * sandbox, answers the Linux kernel through a tap interface in a private network namespace. By default
 * every frame also crosses a chip driver and a simulated chip, the way it would on a board:
 *
 *   Linux 192.0.2.1/24 (tap mntap0, namespace micronet-<pid>-...)  <->  hub  <->  simulated ENC28J60
 *     <-- simulated SPI -->  ENC28J60 driver (dist/micronet-enc28j60.js)  <->  micronet 192.0.2.2
 *
 * The stack and the driver bundle run in one ES5 sandbox (as on the board, where both are `require`d by
 * the same engine); the simulated chip, the hub and the tap bridge run on Node. `--chip` picks the path:
 *   enc28j60  (default) the ENC28J60 driver over SPI to the register-level Enc28j60Sim (src/sim/enc28j60.ts),
 *             whose simulated time follows the wall clock between polls
 *   w5500     the W5500 MACRAW driver (dist/micronet-w5500.js) over SPI to W5500Sim (src/sim/w5500.ts)
 *   none      no chip: the stack's Device is a TapDevice that moves frames straight to and from the tap
 *
 * micronet runs a UDP echo service on port 7 (RFC 862). From the Linux side the job pings micronet
 * (payloads of 0, 56 and 1472 octets), sends UDP datagrams of 1, 512 and 1472 octets to port 7 and one
 * to the subnet broadcast 192.0.2.255, and prints what came back, Linux's neighbour entry for micronet
 * and the counters of micronet, the driver, the simulated chip (SPI transactions included) and the tap.
 * The namespace is removed at the end (also on Ctrl-C or an error).
 *
 * --dhcp: micronet starts unconfigured and takes its address from dnsmasq (started in the namespace,
 * range 192.0.2.100-110, 2-minute leases) after RFC 5227 probes, then runs the same checks and a DNS
 * lookup of linux.example through the leased DNS server. Needs dnsmasq (Debian: dnsmasq-base).
 *
 * Needs Linux, root, iproute2 (`ip`), socat, iputils-ping and /dev/net/tun; without them it says what
 * to install and exits with status 2 (also the status of a bad command line). Exit status 1 means a
 * check failed, 0 that every check passed.
 *
 * --engine espruino (or espruino-pico, espruino-mdbt42q): micronet runs on the real interpreter instead
 * of the sandbox: Espruino 2v29 (../shared/engines, or the MICRONET_ESPRUINO* variables) runs a board
 * script (tools/main-engine-script.js) with micronet and the chip driver loaded from Storage as
 * uploaded, the chip's SPI carried to the simulated chip here (src/host/board-engine.ts), whose wire is
 * the tap. The same checks, plus UDP that micronet starts (ARP for Linux first) and a datagram from
 * Linux to 239.1.2.3, and the board's CPU time and memory in blocks. Needs a chip (enc28j60 or w5500).
 *
 * Usage: node tools/main.js [--chip enc28j60|w5500|none] [--espruino-e] [--dhcp] [--engine NAME]
 *        (--espruino-e: give the sandbox a stand-in for Espruino's `E` object so the bundle's E.sum
 *        checksum path runs)
 * Addresses are RFC 5737 documentation addresses and never leave the namespace.
 */
'use strict';
const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const LINUX = '192.0.2.1';
const STATIC_ADDRESS = '192.0.2.2';
const BROADCAST = '192.0.2.255';
const NETMASK = '255.255.255.0';
const MICRONET_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02); // locally administered
const ECHO_PORT = 7;
const WAIT_MS = 3000; // bound on every wait for a reply
const CHIPS = ['enc28j60', 'w5500', 'none'];
const USAGE = 'usage: node tools/main.js [--chip enc28j60|w5500|none] [--espruino-e] [--dhcp] [--engine espruino|espruino-pico|espruino-mdbt42q]';
const ENGINES = ['espruino', 'espruino-pico', 'espruino-mdbt42q'];
/** --dhcp: what dnsmasq (in the namespace) leases and serves. */
const DHCP_RANGE = '192.0.2.100,192.0.2.110,255.255.255.0,2m';
const DNS_NAME = 'linux.example';

/** The command line: { chip, withE }; a bad one exits with status 2 and the usage line. */
function parseArgs(argv) {
  const out = { chip: 'enc28j60', withE: false, dhcp: false, engine: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--espruino-e') out.withE = true;
    else if (a === '--dhcp') out.dhcp = true;
    else if (a === '--engine' || a.startsWith('--engine=')) {
      const v = a === '--engine' ? argv[++i] : a.slice('--engine='.length);
      if (ENGINES.indexOf(v) < 0) die(2, '--engine must be one of ' + ENGINES.join(', ') + ' (got ' + JSON.stringify(v) + ')\n' + USAGE);
      out.engine = v;
    }
    else if (a === '--chip' || a.startsWith('--chip=')) {
      const v = a === '--chip' ? argv[++i] : a.slice('--chip='.length);
      if (CHIPS.indexOf(v) < 0) die(2, '--chip must be one of ' + CHIPS.join(', ') + ' (got ' + JSON.stringify(v) + ')\n' + USAGE);
      out.chip = v;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else die(2, 'unknown argument ' + JSON.stringify(a) + '\n' + USAGE);
  }
  if (out.engine && out.chip === 'none') die(2, '--engine needs a chip (--chip enc28j60 or w5500): the board reaches the tap through it');
  if (out.engine && (out.dhcp || out.withE)) die(2, '--engine runs the static-address checks only (no --dhcp, no --espruino-e: the real E is there)');
  return out;
}

function die(code, msg) {
  process.stderr.write('main: ' + msg + '\n');
  process.exit(code);
}

/** Compiles the host-side TypeScript (tap bridge, namespaces, Linux peer, ES5 sandbox, hub and chip
 *  simulators) to build/host/. */
function compileHost() {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) die(2, 'TypeScript is not installed: run `npm install` (or `npm ci`) first.');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.host.json')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    die(1, 'compiling the host code (tsconfig.host.json) failed:\n' + String(e.stdout || '') + String(e.stderr || ''));
  }
  const dir = path.join(root, 'build', 'host', 'host');
  const sim = path.join(root, 'build', 'host', 'sim');
  return {
    netns: require(path.join(dir, 'netns.js')),
    tap: require(path.join(dir, 'tap.js')),
    peer: require(path.join(dir, 'linux-peer.js')),
    sandbox: require(path.join(dir, 'es5-sandbox.js')),
    hub: require(path.join(sim, 'hub.js')),
    enc28j60: require(path.join(sim, 'enc28j60.js')),
    w5500: require(path.join(sim, 'w5500.js')),
  };
}

/** Loads dist/<name> into the sandbox `box` and returns its exports; `fn` must be one of them. */
function loadBundle(host, box, name, fn) {
  const bundle = path.join(root, 'dist', name);
  if (!fs.existsSync(bundle)) die(1, bundle + ' is missing: run `npm run build` (npm start does).');
  const m = host.sandbox.loadModule(box, bundle);
  if (!m || typeof m[fn] !== 'function') die(1, 'dist/' + name + ' does not export ' + fn + '.');
  return m;
}

/** Loads dist/micronet.js into an ES5-only sandbox and returns its exports and the sandbox. */
function loadMicronet(host, withE) {
  const box = host.sandbox.createEs5Sandbox({ espruinoE: withE });
  return { micronet: loadBundle(host, box, 'micronet.js', 'createStack'), box, removed: box.removed };
}

/**
 * A simulator's SpiBus as the driver in the sandbox sees it. Typed arrays from the sandbox are not
 * `instanceof Uint8Array` on the Node side (each vm context has its own constructors). The drivers
 * never test `instanceof` (they index, `subarray` and `set` what they get) and the simulators accept
 * any array-like, but Enc28j60Sim would copy a foreign array element by element (`Uint8Array.from`).
 * So this adapter passes views instead of copies, both ways: the driver's octets as a Node Uint8Array
 * over the same ArrayBuffer, and the octets clocked in as the sandbox's own Uint8Array over the
 * simulator's result, as Espruino's `SPI.send` returns the engine's own Uint8Array (so the sandbox's
 * Espruino `slice` quirk applies to it too). Plain arrays and numbers pass unchanged.
 */
function sandboxSpi(spi, box) {
  const BoxUint8Array = box.run('Uint8Array');
  const toNode = (d) => (ArrayBuffer.isView(d) && !(d instanceof Uint8Array) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : d);
  return {
    send(data, cs) {
      const r = spi.send(toNode(data), cs);
      return new BoxUint8Array(r.buffer, r.byteOffset, r.length);
    },
    write(data, cs) {
      spi.write(toNode(data), cs);
    },
  };
}

/**
 * The link-layer path the stack talks through, for `--chip` (see the file comment). Returns
 * { device, describe, advanceUs, counters(), checks() }: `advanceUs(us)` moves simulated chip time
 * (ENC28J60 only), `counters()` gives extra lines for the counters section, `checks()` extra
 * [ok, line] checks about the chip path.
 */
function makePath(chip, host, box, bridge) {
  const kv = (o, always) => Object.keys(o).filter((k) => o[k] !== 0 || always.indexOf(k) >= 0).map((k) => k + '=' + o[k]).join(' ');
  const tapLine = () => '  tap:   ' + kv(bridge.stats, Object.keys(bridge.stats));
  const macText = Array.prototype.map.call(MICRONET_MAC, (b) => (b < 16 ? '0' : '') + b.toString(16)).join(':');
  if (chip === 'none') {
    const device = new host.tap.TapDevice(bridge, MICRONET_MAC);
    return {
      device,
      describe: 'TapDevice (Node) -> tap ' + bridge.ifname + ', no chip driver',
      advanceUs: null,
      counters: () => [tapLine() + ' queueOverflows=' + device.overflows],
      checks: () => [],
    };
  }
  // Linux <-> tap <-> hub <-> simulated chip: the chip's wire is the tap.
  const hub = new host.hub.Hub();
  host.tap.attachTapToHub(bridge, hub);
  if (chip === 'enc28j60') {
    const driver = loadBundle(host, box, 'micronet-enc28j60.js', 'connect');
    const sim = new host.enc28j60.Enc28j60Sim();
    sim.attach(hub);
    // sim.delayMs stands in for the board's busy-wait: it moves the chip's simulated time.
    const device = driver.connect(sandboxSpi(sim.spi, box), 'CS', { mac: macText, delayMs: sim.delayMs });
    return {
      device,
      describe: 'ENC28J60 driver (dist/micronet-enc28j60.js) over simulated SPI -> simulated ENC28J60 (rev 0x' +
        device.revision.toString(16) + ') -> hub -> tap ' + bridge.ifname,
      // The model's time moves with SPI octets; a real chip's moves on its own (a frame leaves the
      // transmit buffer 8 + length + 12 octet times after TXRTS), so it follows the wall clock too.
      advanceUs: (us) => sim.advance(us),
      counters: () => [
        '  driver: ' + kv(device.stats(), ['rxFrames', 'txFrames']),
        '  spi:   transactions=' + sim.spiStats.transactions + ' sends=' + sim.spiStats.sends + ' writes=' + sim.spiStats.writes +
          ' octets=' + sim.spiStats.octets + ' (simulated ENC28J60)',
        '  chip:  ' + kv(sim.rxStats, ['arrived', 'stored']) + ' txCount=' + sim.txCount + ' packetCount=' + sim.packetCount +
          ' driverErrors=' + sim.driverErrors + ' simTimeMs=' + Math.round(sim.nowUs / 1000),
        '  hub:   framesRepeated=' + hub.framesRepeated,
        tapLine(),
      ],
      checks: () => [
        [sim.driverErrors === 0, 'simulated ENC28J60 saw no driver mistakes (driverErrors=' + sim.driverErrors +
          (sim.driverErrors ? ': ' + sim.driverErrorLog.slice(0, 3).join('; ') : '') + ')'],
        [device.stats().txTimeouts === 0 && device.stats().txAborts === 0, 'every transmission ended (txTimeouts=' +
          device.stats().txTimeouts + ' txAborts=' + device.stats().txAborts + ')'],
      ],
    };
  }
  const driver = loadBundle(host, box, 'micronet-w5500.js', 'connect');
  const sim = new host.w5500.W5500Sim().attach(hub);
  const device = driver.connect(sandboxSpi(sim.spi, box), sim.cs, { mac: macText });
  const misuse = () => Object.keys(sim.misuse).filter((k) => sim.misuse[k] !== 0).map((k) => k + '=' + sim.misuse[k]);
  return {
    device,
    describe: 'W5500 driver (dist/micronet-w5500.js, MACRAW) over simulated SPI -> simulated W5500 -> hub -> tap ' + bridge.ifname,
    advanceUs: null, // the W5500 model counts time in SPI frames
    counters: () => {
      const c = sim.counters;
      const rest = {};
      for (const k of Object.keys(c)) if (!/^spi/.test(k)) rest[k] = c[k];
      return [
        '  driver: ' + kv(device.counters, ['rxFrames', 'txFrames']),
        '  spi:   transactions=' + c.spiCalls + ' sends=' + c.spiSendCalls + ' writes=' + c.spiWriteCalls + ' octets=' + c.spiBytes +
          ' (simulated W5500)',
        '  chip:  ' + kv(rest, ['wireFrames', 'rxAccepted', 'txFrames']) + ' misuse=' + (misuse().join(',') || 0),
        '  hub:   framesRepeated=' + hub.framesRepeated,
        tapLine(),
      ];
    },
    checks: () => [
      [misuse().length === 0, 'simulated W5500 saw no driver misuse' + (misuse().length ? ' (' + misuse().join(' ') + ')' : '')],
      [device.counters.sendTimeouts === 0 && device.counters.commandTimeouts === 0, 'every SEND and command completed (sendTimeouts=' +
        device.counters.sendTimeouts + ' commandTimeouts=' + device.counters.commandTimeouts + ')'],
    ],
  };
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

/** Resolves when cond() is true, or after timeoutMs (the caller checks cond again). */
function waitFor(cond, timeoutMs) {
  return new Promise((resolve) => {
    const end = Date.now() + timeoutMs;
    const t = setInterval(() => { if (cond() || Date.now() > end) { clearInterval(t); resolve(); } }, 10);
  });
}

async function main() {
  const { chip, withE, dhcp, engine } = parseArgs(process.argv.slice(2));
  const host = compileHost();
  if (engine) return mainOnEngine(host, chip, engine);
  const req = host.netns.checkHostRequirements(dhcp ? ['ping', 'dnsmasq'] : ['ping']);
  if (!req.ok) die(2, req.reason);
  host.netns.installCleanupHandlers();
  host.netns.sweepStaleNamespaces('micronet');

  const { micronet, box, removed } = loadMicronet(host, withE);
  const bridge = await host.tap.TapBridge.open({ linuxAddress: LINUX, prefixLength: 24 });
  const ns = bridge.ns;
  let failures = 0;
  const check = (ok, line) => {
    if (!ok) failures++;
    console.log((ok ? '  ok   ' : '  FAIL ') + line);
  };
  let timer = null;
  let peer = null;
  let dnsmasq = null;
  let MICRONET = STATIC_ADDRESS;
  try {
    const link = makePath(chip, host, box, bridge);
    const device = link.device;
    const stack = micronet.createStack();
    stack.addInterface(device, dhcp ? { address: '0.0.0.0', netmask: '0.0.0.0', name: 'tap0' } :
      { address: MICRONET, netmask: NETMASK, name: 'tap0' });
    let echoed = 0;
    stack.udp.bind(ECHO_PORT, (buf, off, len, info) => {
      // RFC 862: send back the data received. The view is only valid during this call; send copies it.
      echoed++;
      stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), ECHO_PORT);
    });
    // The stack never reads a clock: poll it with the time, every millisecond, while Linux works; a
    // simulated ENC28J60's time moves on by the wall-clock time since the last poll first.
    let last = Date.now();
    const pollNow = () => {
      const now = Date.now();
      if (link.advanceUs && now > last) link.advanceUs((now - last) * 1000);
      last = now;
      stack.poll(now);
    };
    timer = setInterval(pollNow, 1);

    let dnsClient = null;
    if (dhcp) {
      // dnsmasq serves DHCP and DNS on the tap only, from a temporary directory; killed at the end.
      const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'micronet-dnsmasq-'));
      dnsmasq = ns.spawn('dnsmasq', ['--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
        '--user=root', '--interface=' + bridge.ifname, '--except-interface=lo', '--bind-interfaces',
        '--pid-file=' + path.join(dir, 'pid'), '--dhcp-leasefile=' + path.join(dir, 'leases'),
        '--dhcp-range=' + DHCP_RANGE, '--dhcp-authoritative', '--host-record=' + DNS_NAME + ',' + LINUX],
        { stdio: ['ignore', 'ignore', 'ignore'] });
      await waitFor(() => fs.existsSync(path.join(dir, 'pid')), 5000);
      await new Promise((r) => setTimeout(r, 200));
      dnsClient = loadBundle(host, box, 'micronet-dns.js', 'create').create(stack, {});
      let lease = null;
      loadBundle(host, box, 'micronet-dhcp.js', 'start').start(stack, 'tap0', {
        hostName: 'micronet', resolver: dnsClient, onBound: (l) => { lease = l; },
      });
      await waitFor(() => lease !== null, 20000);
      if (!lease) throw new Error('no DHCP lease within 20 s (dnsmasq in ' + ns.name + ', range ' + DHCP_RANGE + ')');
      MICRONET = lease.address;
      console.log('micronet main job (address from DHCP)');
      console.log('  dhcp     leased ' + lease.address + ' from ' + lease.server + ' for ' + lease.leaseTime + ' s' +
        ' (after RFC 5227 probes), DNS ' + lease.dns.join(','));
    } else console.log('micronet main job');
    console.log('  bundle   dist/micronet.js' + (chip === 'none' ? '' : ' and dist/micronet-' + chip + '.js') +
      ' in an ES5 sandbox (' + removed.length + ' non-ES5 built-ins removed' + (withE ? ', stand-in E' : '') + ')');
    console.log('  device   ' + link.describe);
    console.log('  linux    ' + LINUX + '/24 on ' + bridge.ifname + ' (' + micronet.formatMac(bridge.linuxMac) + ') in namespace ' + ns.name);
    console.log('  micronet ' + MICRONET + ' (' + micronet.formatMac(device.mac) + '), UDP echo on port ' + ECHO_PORT);

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

    if (dnsClient) {
      console.log('\nDNS lookup through the leased server');
      let answer = null;
      dnsClient.lookup(DNS_NAME, (err, address) => { answer = err ? 'error ' + (err.code || err.message) : address; });
      await waitFor(() => answer !== null, WAIT_MS * 3);
      check(answer === LINUX, DNS_NAME + ' -> ' + (answer === null ? 'no answer' : answer));
    }

    pollNow();
    const st = stack.stats();
    console.log('\nmicronet counters (stack.stats()' + (chip === 'none' ? '' : ', driver stats, simulated chip') + ')');
    console.log(formatStats(st));
    for (const l of link.counters()) console.log(l);
    check(st.ring.free === st.ring.size, 'every ring frame back in the ring (' + st.ring.free + ' of ' + st.ring.size + ' free)');
    for (const [ok, l] of link.checks()) check(ok, l);
  } finally {
    if (timer) clearInterval(timer);
    if (peer) peer.stop();
    if (dnsmasq && dnsmasq.exitCode === null) dnsmasq.kill('SIGTERM');
    bridge.close();
  }
  const gone = !execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(ns.name);
  console.log('\nnamespace ' + ns.name + (gone ? ' removed' : ' STILL PRESENT'));
  if (!gone) failures++;
  console.log(failures === 0 ? 'all checks passed' : failures + ' check(s) failed');
  process.exitCode = failures === 0 ? 0 : 1;
}

/** TypeScript host sources loaded as they are (board-engine.ts finds its shim and the engines from them). */
function requireTs(file) {
  if (!require.extensions['.ts']) {
    const ts = require('typescript');
    require.extensions['.ts'] = function (module, filename) {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        fileName: filename,
        compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
      });
      module._compile(out.outputText, filename);
    };
  }
  return require(file);
}

/** The main job with micronet on a real Espruino build (see the file comment, --engine). */
async function mainOnEngine(host, chip, engine) {
  const req = host.netns.checkHostRequirements(['ping']);
  if (!req.ok) die(2, req.reason);
  host.netns.installCleanupHandlers();
  host.netns.sweepStaleNamespaces('micronet');
  const { startEngineBoard } = requireTs(path.join(root, 'src', 'host', 'board-engine.ts'));
  const { engineStatus } = requireTs(path.join(root, 'src', 'host', 'engine.ts'));
  const st0 = engineStatus(engine);
  if (!st0.ok) die(2, engine + ': ' + st0.reason);
  if (!fs.existsSync(path.join(root, 'dist', 'micronet.min.js'))) die(1, 'dist/ is missing: run `npm run build` (npm start does).');
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'micronet-main-'));
  const script = path.join(dir, 'main-board.js');
  fs.writeFileSync(script, require('./main-engine-script').scriptFor(chip));
  let failures = 0;
  const check = (ok, line) => {
    if (!ok) failures++;
    console.log((ok ? '  ok   ' : '  FAIL ') + line);
  };
  const board = await startEngineBoard(script, { engine, tap: { linuxAddress: LINUX, prefixLength: 24 } });
  const bridge = board.tap;
  const ns = bridge.ns;
  let peer = null;
  try {
    await board.waitFor(() => board.reports.some((r) => r.ready) || board.errors.length > 0, 30000);
    const ready = board.reports.find((r) => r.ready);
    if (!ready) throw new Error('the board did not start: ' + (board.errors.join('; ') || board.output.slice(-5).join(' | ')));
    console.log('micronet main job on the real interpreter');
    console.log('  engine   ' + engine + ' (Espruino 2v29), micronet and micronet-' + chip + ' from Storage (' + board.storageFree + ' octets left)');
    console.log('  device   ' + chip + ' driver on SPI1 -> simulated ' + chip + ' (Node, over named pipes) -> hub -> tap ' + bridge.ifname);
    console.log('  linux    ' + LINUX + '/24 on ' + bridge.ifname + ' in namespace ' + ns.name);
    console.log('  micronet ' + STATIC_ADDRESS + ' (' + ready.mac + '), UDP echo on port ' + ECHO_PORT);

    console.log('\nping from Linux');
    for (const size of [0, 56, 1472]) {
      const r = await host.peer.ping(ns, STATIC_ADDRESS, size, 3, 2);
      check(r.received >= 3 && !r.wrongData, 'ping -s ' + size + ': ' + r.received + '/' + r.transmitted + ' replies' + (r.wrongData ? ' (wrong data)' : ''));
    }
    console.log('\nUDP from Linux to ' + STATIC_ADDRESS + ':' + ECHO_PORT);
    peer = await host.peer.LinuxUdpPeer.start(ns);
    const sock = await peer.bind(0, '0.0.0.0', true);
    const pattern = (n) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 7 + n) & 255; return b; };
    const roundTrip = async (data, to, port) => {
      const err = await sock.send(data, to, port);
      if (err) return { line: 'send failed (' + err + ')' };
      try { return { m: await sock.receive(WAIT_MS * 3) }; } catch (e) { return { line: 'no reply (' + e.message + ')' }; }
    };
    for (const size of [1, 512, 1472]) {
      const r = await roundTrip(pattern(size), STATIC_ADDRESS, ECHO_PORT);
      const ok = !!r.m && r.m.address === STATIC_ADDRESS && r.m.port === ECHO_PORT && r.m.data.equals(pattern(size));
      check(ok, size + ' octets: ' + (r.m ? 'reply of ' + r.m.data.length + ' octets from ' + r.m.address + ':' + r.m.port + (r.m.data.equals(pattern(size)) ? ', identical' : ', DIFFERENT') : r.line));
    }
    const b = await roundTrip(Buffer.from('hello micronet, this is a broadcast'), BROADCAST, ECHO_PORT);
    check(!!b.m && b.m.address === STATIC_ADDRESS, 'broadcast to ' + BROADCAST + ':' + ECHO_PORT + ': ' + (b.m ? 'reply from ' + b.m.address + ':' + b.m.port : b.line));

    console.log('\nLinux neighbour entry for micronet (ip neigh)');
    const neigh = host.peer.ipNeigh(ns, STATIC_ADDRESS);
    check(!!neigh && neigh.lladdr === '02:00:00:00:00:02', neigh ? neigh.line : 'no entry');

    console.log('\nUDP from micronet to Linux (micronet sends first: "send" on its control port 9)');
    const inbox = await peer.bind(0, '0.0.0.0');
    await sock.send(Buffer.from('send ' + inbox.port), STATIC_ADDRESS, 9);
    for (const size of [1, 512, 1472]) {
      let m = null;
      try { m = await inbox.receive(WAIT_MS * 3); } catch (e) { /* counted below */ }
      check(!!m && m.address === STATIC_ADDRESS && m.port === 4000 && m.data.equals(pattern(size)), size + ' octets from micronet: ' + (m ? m.data.length + ' octets from ' + m.address + ':' + m.port : 'nothing'));
    }

    console.log('\nmulticast: Linux to 239.1.2.3:5000 (micronet joined it; it answers by unicast)');
    ns.runSync('ip', ['route', 'add', '239.0.0.0/8', 'dev', bridge.ifname]);
    const g = await roundTrip(Buffer.from('hello group'), '239.1.2.3', 5000);
    check(!!g.m && g.m.address === STATIC_ADDRESS && g.m.port === 5000 && g.m.data.toString() === 'hello group', 'group datagram: ' + (g.m ? 'answer from ' + g.m.address + ':' + g.m.port + ' "' + g.m.data.toString() + '"' : g.line));

    const n0 = board.reports.length;
    await sock.send(Buffer.from('stats'), STATIC_ADDRESS, 9);
    await board.waitFor(() => board.reports.length > n0, WAIT_MS * 3);
    const rep = board.reports.slice(n0).find((r) => r.stats);
    console.log('\nmicronet counters (stack.stats() on the board)');
    if (rep) {
      console.log(formatStats(rep.stats));
      check(rep.stats.ring.free === rep.stats.ring.size, 'every ring frame back in the ring (' + rep.stats.ring.free + ' of ' + rep.stats.ring.size + ' free)');
      check(rep.echoed === 4, 'micronet echo service handled ' + rep.echoed + ' datagrams');
      console.log('  board: ' + rep.blocks + ' blocks in use (process.memory().usage), ' + board.cpuMs() + ' ms of CPU (the Espruino process; the simulated chip excluded)');
    } else check(false, 'no stats report from the board');
    check(board.errors.length === 0, 'no error on the board' + (board.errors.length ? ': ' + board.errors.join('; ') : ''));
    const s = board.stats;
    console.log('  bridge: ' + s.spiSends + ' SPI sends, ' + s.spiWrites + ' writes, ' + s.spiOctets + ' octets, ' + s.edges + ' INT edges');
  } finally {
    if (peer) peer.stop();
    board.stop();
    fs.rmSync(dir, { recursive: true, force: true });
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
