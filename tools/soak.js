#!/usr/bin/env node
/**
 * Soak test (issue 7 item 4): N UDP datagrams each way between the Linux kernel and micronet through a
 * simulated chip, with seeded faults injected on the wire, and a tally that accounts for every datagram.
 *
 *   Linux UDP socket (namespace, 192.0.2.1:5001) ── tap ── hub ── simulated ENC28J60 | W5500
 *     ── SPI ── real driver ── faultInjector (5 % drop, 1 % one-bit corruption, both directions)
 *     ── micronet 192.0.2.2:5000
 *
 * Every datagram carries its sequence number, its length and an FNV-1a checksum of a payload pattern
 * derived from the sequence number; the receiver (a Node program inside the namespace for Linux, a
 * micronet listener for micronet) checks all three and the whole pattern. Lengths vary from 16 to 496
 * octets, every 97th is 1472. A datagram counts as delivered intact, or it must be explained:
 *   - faulted by the injector (its onFault hook reads the sequence number before the fault): dropped, or
 *     corrupted and then dropped by the receiving stack (micronet's drop counters; Linux's /proc/net/snmp
 *     checksum and header errors, or — for a flipped destination MAC or EtherType bit — Linux's silent
 *     discard of a frame not for it, classified by where the bit was flipped);
 *   - otherwise lost to a counted cause: chip receive overflow, driver drops, micronet ARP queue or ring,
 *     tap queue drops, Linux socket buffer errors, or frames the host relay (socat and the 127.0.0.1 UDP
 *     hop between tap and Node; test plumbing, not micronet) lost under load, measured as the difference
 *     between the tap's packet counters and the bridge's frame counters.
 * The run fails (exit 1) if a datagram arrives damaged, a poll throws, a ring frame is missing at the end,
 * or more datagrams are missing than the counters explain. Addresses are RFC 5737 documentation addresses
 * inside a private namespace, removed at the end.
 *
 * Usage: node tools/soak.js [--count N] [--chip enc28j60|w5500] [--rate R] [--drop P] [--corrupt P]
 *                           [--seed S] [--json]
 *   --count   datagrams each way (default 100000)      --rate  datagrams per second each way (default 2000)
 *   --drop    percent dropped (default 5)              --corrupt percent with one bit flipped (default 1)
 * Needs Linux, root, iproute2, socat and /dev/net/tun (exit 2 and a message when missing).
 * With --tcp: the TCP soak instead (tools/soak-tcp.js: connections with streams checked by SHA-256 under
 * faults, two stacks in virtual time; its own options there).
 * As a module: `runSoak(options)` resolves with the tally (used by test/soak/soak.test.ts).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const LINUX = '192.0.2.1';
const MICRONET = '192.0.2.2';
const MICRONET_PORT = 5000;
const LINUX_PORT = 5001;
const MAC = Uint8Array.of(0x02, 0x4d, 0x4e, 0x00, 0x50, 0x4b);
const HEADER = 10; // seq (4) + length (2) + FNV-1a (4)

/** Payload length of datagram `seq`: 16 … 496 octets, every 97th 1472 (the largest in one frame). */
function lengthOf(seq) {
  return seq % 97 === 0 ? 1472 : 16 + ((seq * 37) % 481);
}

/** Pattern octet i (i >= HEADER) of datagram `seq` in direction `salt` (1: Linux → micronet, 2: back). */
function patternByte(seq, i, salt) {
  return (seq * 7 + i * 13 + salt * 101) & 255;
}

/** FNV-1a (32-bit) of b[off .. off+len). */
function fnv1a(b, off, len) {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ b[off + i], 0x01000193) >>> 0;
  return h >>> 0;
}

/** Writes datagram `seq` at b[off ..); returns its length. */
function fill(b, off, seq, salt) {
  const n = lengthOf(seq);
  for (let i = HEADER; i < n; i++) b[off + i] = patternByte(seq, i, salt);
  b[off] = seq >>> 24; b[off + 1] = (seq >>> 16) & 255; b[off + 2] = (seq >>> 8) & 255; b[off + 3] = seq & 255;
  b[off + 4] = n >> 8; b[off + 5] = n & 255;
  const h = fnv1a(b, off + HEADER, n - HEADER);
  b[off + 6] = h >>> 24; b[off + 7] = (h >>> 16) & 255; b[off + 8] = (h >>> 8) & 255; b[off + 9] = h & 255;
  return n;
}

/** Checks a received datagram; returns its sequence number, or -1 when anything differs. */
function verify(b, off, len, salt, count) {
  if (len < HEADER) return -1;
  const seq = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
  if (seq >= count || len !== lengthOf(seq) || ((b[off + 4] << 8) | b[off + 5]) !== len) return -1;
  const h = ((b[off + 6] << 24) | (b[off + 7] << 16) | (b[off + 8] << 8) | b[off + 9]) >>> 0;
  if (fnv1a(b, off + HEADER, len - HEADER) !== h) return -1;
  for (let i = HEADER; i < len; i++) if (b[off + i] !== patternByte(seq, i, salt)) return -1;
  return seq;
}

/** The Linux side, run with `node -e` inside the namespace; shares fill/verify through its source. */
function peerScript() {
  return `'use strict';
const dgram = require('dgram');
const HEADER = ${HEADER};
${lengthOf.toString()}
${patternByte.toString()}
${fnv1a.toString()}
${fill.toString()}
${verify.toString()}
const o = JSON.parse(process.env.SOAK);
const seen = new Uint8Array(o.count);
const st = { sent: 0, sendErrors: 0, received: 0, intact: 0, bad: 0, duplicates: 0 };
const s = dgram.createSocket('udp4');
const out = (x) => process.stdout.write(JSON.stringify(x) + '\\n');
s.on('message', (m) => {
  st.received++;
  const seq = verify(m, 0, m.length, 2, o.count);
  if (seq < 0) { st.bad++; return; }
  if (seen[seq]) { st.duplicates++; return; }
  seen[seq] = 1; st.intact++;
});
s.on('error', (e) => { st.sendErrors++; });
s.bind(o.port, '0.0.0.0', () => {
  s.setRecvBufferSize(8 << 20);
  out({ ev: 'ready' });
  const buf = Buffer.alloc(1472);
  let next = 0;
  const t0 = Date.now();
  const tick = () => {
    const due = Math.min(o.count, Math.floor((Date.now() - t0) * o.rate / 1000) + 1);
    let burst = 0;
    while (next < due && burst < 16) {
      const n = fill(buf, 0, next, 1);
      s.send(Buffer.from(buf.subarray(0, n)), o.dstPort, o.dst, (e) => { if (e) st.sendErrors++; });
      st.sent++; next++; burst++;
    }
    if (next < o.count) setTimeout(tick, 1); else out({ ev: 'sent', sent: st.sent });
  };
  setTimeout(tick, 50);
});
require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'count') out({ ev: 'count', received: st.received });
  if (l === 'report') {
    const missing = [];
    for (let i = 0; i < o.count; i++) if (!seen[i]) missing.push(i);
    out(Object.assign({ ev: 'report', missing: missing }, st));
  }
});
process.stdin.on('end', () => process.exit(0));
`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads Ip and Udp counters of /proc/net/snmp inside the namespace. */
async function snmp(ns) {
  const r = await ns.run('cat', ['/proc/net/snmp']);
  const out = {};
  const lines = r.stdout.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const a = lines[i].split(/\s+/), b = lines[i + 1].split(/\s+/);
    if (a[0] !== b[0] || (a[0] !== 'Ip:' && a[0] !== 'Udp:')) continue;
    for (let k = 1; k < a.length; k++) out[a[0].slice(0, -1) + '.' + a[k]] = Number(b[k]);
    i++;
  }
  return out;
}

/** Counters of the tap interface (ip -s -j link). */
async function linkStats(ns, ifname) {
  const r = await ns.run('ip', ['-s', '-j', 'link', 'show', 'dev', ifname]);
  const j = JSON.parse(r.stdout)[0].stats64 || JSON.parse(r.stdout)[0].stats;
  return { rxDropped: j.rx.dropped, txDropped: j.tx.dropped, rxPackets: j.rx.packets, txPackets: j.tx.packets };
}

/**
 * Runs one soak. Options: count (100000), chip ('enc28j60' | 'w5500'), rate (2000/s), dropPct (5),
 * corruptPct (1), seed (1), log (function for progress lines; default none). Resolves with the tally
 * (see `report`); `tally.ok` is the verdict and `tally.problems` lists what failed.
 */
async function runSoak(options) {
  const o = Object.assign({ count: 100000, chip: 'enc28j60', rate: 2000, dropPct: 5, corruptPct: 1, seed: 1, log: null }, options || {});
  const { Hub } = require('../src/sim/hub');
  const { Enc28j60Sim } = require('../src/sim/enc28j60');
  const { W5500Sim } = require('../src/sim/w5500');
  const { connect: connectEnc } = require('../src/drivers/enc28j60');
  const { connect: connectW5500 } = require('../src/drivers/w5500');
  const { faultInjector } = require('../src/devices/index');
  const { createStack } = require('../src/index');
  const { TapBridge, attachTapToHub } = require('../src/host/tap');
  const log = o.log || (() => undefined);

  const bridge = await TapBridge.open({ linuxAddress: LINUX, prefixLength: 24 });
  // Linux queues what it sends while it resolves micronet's MAC (unres_qlen_bytes, 212,992 by default)
  // and drops the rest without a counter in the namespace; under faults an ARP exchange can be lost, so
  // the queue is made large enough for the whole run (a per-interface setting of this namespace).
  await bridge.ns.run('sh', ['-c', 'echo 16777216 > /proc/sys/net/ipv4/neigh/' + bridge.ifname + '/unres_qlen_bytes']);
  let timer = null;
  let peer = null;
  try {
    const hub = new Hub();
    attachTapToHub(bridge, hub);
    let driver, chipStats, advance = null, sim;
    if (o.chip === 'w5500') {
      sim = new W5500Sim().attach(hub);
      driver = connectW5500(sim.spi, sim.cs, { mac: MAC });
      chipStats = () => ({ chip: Object.assign({}, sim.counters), driver: Object.assign({}, driver.counters) });
    } else {
      sim = new Enc28j60Sim();
      sim.attach(hub);
      driver = connectEnc(sim.spi, 'CS', { mac: MAC, delayMs: sim.delayMs });
      advance = (us) => sim.advance(us);
      chipStats = () => ({ chip: Object.assign({}, sim.rxStats, { driverErrors: sim.driverErrors }), driver: Object.assign({}, driver.stats()) });
    }
    // Attribution of faults to datagrams, and (tx) where the flipped bit landed.
    const rxFault = new Uint8Array(o.count); // 1 dropped, 2 corrupted
    const txFault = new Uint8Array(o.count);
    const txWhere = { dstMac: 0, srcMac: 0, etherType: 0, ipHeader: 0, udpHeader: 0, payload: 0 };
    let txCorruptCopy = null;
    const seqIn = (f, n, port, isDst) => {
      if (n < 42 + HEADER || f[12] !== 0x08 || f[13] !== 0x00 || f[14] !== 0x45 || f[23] !== 17) return -1;
      const p = isDst ? (f[36] << 8) | f[37] : (f[34] << 8) | f[35];
      if (p !== port) return -1;
      const seq = ((f[42] << 24) | (f[43] << 16) | (f[44] << 8) | f[45]) >>> 0;
      return seq < o.count ? seq : -1;
    };
    const onFault = (kind, dir, f, n) => {
      const seq = dir === 'rx' ? seqIn(f, n, MICRONET_PORT, true) : seqIn(f, n, MICRONET_PORT, false);
      const code = kind === 'corrupt' ? 2 : 1;
      if (seq >= 0) (dir === 'rx' ? rxFault : txFault)[seq] = code;
      if (dir === 'tx' && kind === 'corrupt') txCorruptCopy = Uint8Array.from(f.subarray(0, n));
    };
    // Between the injector and the driver: finds the flipped bit of a corrupted tx frame.
    const where = {
      mac: driver.mac,
      receive: (f) => driver.receive(f),
      send: (f, n) => {
        if (txCorruptCopy) {
          let i = 0;
          while (i < n && f[i] === txCorruptCopy[i]) i++;
          txWhere[i < 6 ? 'dstMac' : i < 12 ? 'srcMac' : i < 14 ? 'etherType' : i < 34 ? 'ipHeader' : i < 42 ? 'udpHeader' : 'payload']++;
          txCorruptCopy = null;
        }
        return driver.send(f, n);
      },
      linkUp: () => driver.linkUp(),
      setMulticast: (m) => driver.setMulticast(m),
    };
    const inj = faultInjector(where, { seed: o.seed, dropPct: o.dropPct, corruptPct: o.corruptPct, onFault });
    const stack = createStack();
    stack.addInterface(inj, { address: MICRONET, netmask: '255.255.255.0', name: o.chip });
    const seen = new Uint8Array(o.count);
    const mn = { received: 0, intact: 0, bad: 0, duplicates: 0, sent: 0, sendRefused: 0, exceptions: 0, firstException: null };
    stack.udp.bind(MICRONET_PORT, (buf, off, len) => {
      mn.received++;
      const seq = verify(buf, off, len, 1, o.count);
      if (seq < 0) { mn.bad++; return; }
      if (seen[seq]) { mn.duplicates++; return; }
      seen[seq] = 1;
      mn.intact++;
    });

    const { NetNamespace } = require('../src/host/netns');
    void NetNamespace;
    const child = bridge.ns.spawn(process.execPath, ['-e', peerScript()], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: Object.assign({}, process.env, { SOAK: JSON.stringify({ count: o.count, rate: o.rate, port: LINUX_PORT, dst: MICRONET, dstPort: MICRONET_PORT }) }),
    });
    peer = child;
    const events = [];
    let buffered = '', stderr = '';
    child.stdout.on('data', (b) => {
      buffered += b.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) { events.push(JSON.parse(buffered.slice(0, nl))); buffered = buffered.slice(nl + 1); }
    });
    child.stderr.on('data', (b) => { stderr += b.toString(); });
    const waitEv = async (name, ms) => {
      const until = Date.now() + ms;
      for (;;) {
        const i = events.findIndex((e) => e.ev === name);
        if (i >= 0) return events.splice(i, 1)[0];
        if (child.exitCode !== null) throw new Error('Linux peer exited: ' + stderr);
        if (Date.now() > until) throw new Error('Linux peer: no ' + name + ' within ' + ms + ' ms ' + stderr);
        await sleep(10);
      }
    };

    // The poll loop: chip time follows the wall clock; drain the device; send what is due.
    let last = Date.now();
    let sendFrom = -1;
    let nextSeq = 0;
    const writer = { seq: 0, write: (b, off) => { fill(b, off, writer.seq, 2); } };
    const step = () => {
      const now = Date.now();
      if (advance) advance((now - last) * 1000);
      last = now;
      try {
        for (let k = 0; k < 64; k++) if (stack.poll(now) === 0) break;
        if (sendFrom >= 0 && nextSeq < o.count) {
          const due = Math.min(o.count, Math.floor((now - sendFrom) * o.rate / 1000) + 1);
          for (let b = 0; b < 64 && nextSeq < due; b++) {
            writer.seq = nextSeq;
            if (stack.udp.sendWith(LINUX, LINUX_PORT, lengthOf(nextSeq), writer.write, MICRONET_PORT)) mn.sent++;
            else mn.sendRefused++;
            nextSeq++;
            stack.poll(now);
          }
        }
      } catch (e) {
        mn.exceptions++;
        if (!mn.firstException) mn.firstException = String(e && e.stack || e);
      }
    };
    timer = setInterval(step, 1);
    await waitEv('ready', 10000);
    // Resolve each other's MAC before the count starts (ARP under faults is retried by both sides).
    for (let i = 0; i < 100 && !stack.arp.lookup(LINUX); i++) {
      stack.udp.send(LINUX, 9, 'arp warm-up', MICRONET_PORT);
      await sleep(100);
    }
    const t0 = Date.now();
    sendFrom = Date.now();
    log('soak: ' + o.count + ' datagrams each way, ' + o.rate + '/s, chip ' + o.chip + ', faults ' + o.dropPct + ' % drop, ' + o.corruptPct + ' % corrupt, seed ' + o.seed);
    let lastLog = Date.now();
    for (;;) {
      await sleep(100);
      const linuxDone = events.some((e) => e.ev === 'sent');
      if (linuxDone && nextSeq >= o.count) break;
      if (Date.now() - lastLog > 5000) { lastLog = Date.now(); log('  … micronet sent ' + nextSeq + ', received ' + mn.intact); }
      if (Date.now() - t0 > (o.count / o.rate) * 1000 * 3 + 60000) throw new Error('soak: senders did not finish in time');
    }
    // Let the last frames arrive and parked frames time out (3 ARP requests, 1 s apart): at least 4 s,
    // then until nothing moves for a full second anywhere on the path (micronet's receive count, the
    // bridge's frames both ways, the Linux peer's receive count), at most 60 s. A loaded machine moves
    // the frames late, not never: a fixed wait would count frames still on their way as missing.
    const drainFrom = Date.now();
    let lastSig = '', stillSince = Date.now();
    for (;;) {
      await sleep(250);
      child.stdin.write('count\n');
      const c = await waitEv('count', 10000);
      const sig = [mn.received, bridge.stats.rxFrames, bridge.stats.txFrames, c.received].join(' ');
      if (sig !== lastSig) { lastSig = sig; stillSince = Date.now(); }
      if (Date.now() - drainFrom >= 4000 && Date.now() - stillSince >= 1000) break;
      if (Date.now() - drainFrom > 60000) { log('soak: the path still moved after 60 s of drain'); break; }
    }
    const elapsedS = (Date.now() - t0) / 1000;
    child.stdin.write('report\n');
    const linux = await waitEv('report', 10000);
    clearInterval(timer);
    timer = null;
    const st = stack.stats();
    const inj2 = inj.stats();
    const cs = chipStats();
    const ipsnmp = await snmp(bridge.ns);
    const tap = await linkStats(bridge.ns, bridge.ifname);
    const bridgeStats = Object.assign({}, bridge.stats);

    // Linux → micronet
    const up = { sent: linux.sent, intact: mn.intact, bad: mn.bad, duplicates: mn.duplicates, missing: 0, faultDropped: 0, faultCorrupted: 0, unattributed: 0 };
    // micronet → Linux
    const down = { sent: mn.sent, refused: mn.sendRefused, intact: linux.intact, bad: linux.bad, duplicates: linux.duplicates, missing: 0, faultDropped: 0, faultCorrupted: 0, unattributed: 0 };
    for (let i = 0; i < o.count; i++) {
      if (!seen[i]) { up.missing++; if (rxFault[i] === 1) up.faultDropped++; else if (rxFault[i] === 2) up.faultCorrupted++; else up.unattributed++; }
    }
    let txFaultDropped = 0, txFaultCorrupted = 0;
    for (let i = 0; i < o.count; i++) { if (txFault[i] === 1) txFaultDropped++; else if (txFault[i] === 2) txFaultCorrupted++; }
    for (const seq of linux.missing) {
      down.missing++;
      if (txFault[seq] === 1) down.faultDropped++; else if (txFault[seq] === 2) down.faultCorrupted++; else down.unattributed++;
    }
    const sd = st;
    const micronetRxDrops = sd.eth.tooShort + sd.eth.notForUs + sd.eth.unknownType + sd.eth.tooLong + sd.arp.invalid +
      sd.ip.tooShort + sd.ip.badVersion + sd.ip.badHeaderLength + sd.ip.badChecksum + sd.ip.badLength + sd.ip.fragments +
      sd.ip.notForUs + sd.ip.badSource + sd.ip.unknownProtocol + sd.udp.tooShort + sd.udp.badLength + sd.udp.badChecksum + sd.udp.noPort +
      sd.tcp.tooShort + sd.tcp.badChecksum + sd.tcp.ignored + sd.tcp.refused;
    const chipRxLoss = o.chip === 'w5500'
      ? cs.chip.rxOverflow + cs.driver.rxBadLength + cs.driver.rxTooLong
      : cs.chip.overflow + cs.driver.rxCrcErrors + cs.driver.rxLengthErrors + cs.driver.rxNotOk + cs.driver.rxTooLong + cs.driver.rxRingErrors;
    // Host plumbing (socat relays and the 127.0.0.1 UDP hop between the tap and Node, not micronet) can
    // lose frames under load: what the tap sent that never reached Node, and the other way round.
    const relayToNode = Math.max(0, tap.txPackets - bridgeStats.rxFrames);
    const relayToLinux = Math.max(0, bridgeStats.txFrames - tap.rxPackets);
    const linuxTxLoss = tap.txDropped + (bridgeStats.rxBadLength || 0) + (linux.sendErrors || 0) + relayToNode;
    const micronetTxLoss = mn.sendRefused + sd.arp.queueFull + sd.arp.timeouts + sd.arp.evictedFrames + sd.ip.noFrame + sd.eth.txFail +
      (o.chip === 'w5500' ? cs.driver.sendTimeouts + cs.driver.txLinkDown : cs.driver.txAborts + cs.driver.txTimeouts + cs.driver.txLinkDown);
    const linuxRxErrors = (ipsnmp['Ip.InHdrErrors'] || 0) + (ipsnmp['Ip.InAddrErrors'] || 0) + (ipsnmp['Ip.InUnknownProtos'] || 0) +
      (ipsnmp['Ip.InDiscards'] || 0) + (ipsnmp['Udp.InErrors'] || 0); // Udp.InErrors includes InCsumErrors
    const linuxSilent = txWhere.dstMac + txWhere.etherType; // frames Linux discards without a counter
    const problems = [];
    if (up.bad) problems.push(up.bad + ' datagrams reached micronet damaged');
    if (down.bad) problems.push(down.bad + ' datagrams reached Linux damaged');
    if (mn.exceptions) problems.push(mn.exceptions + ' exceptions from poll/send: ' + mn.firstException);
    if (st.ring.free !== st.ring.size) problems.push('ring frames missing: ' + st.ring.free + ' of ' + st.ring.size + ' free');
    if (st.ring.doubleGive) problems.push('ring doubleGive ' + st.ring.doubleGive);
    if (up.faultCorrupted > micronetRxDrops) problems.push('Linux → micronet: ' + up.faultCorrupted + ' corrupted datagrams missing but micronet counted only ' + micronetRxDrops + ' drops');
    if (up.unattributed > chipRxLoss + linuxTxLoss) problems.push('Linux → micronet: ' + up.unattributed + ' datagrams missing without a fault, counters explain ' + (chipRxLoss + linuxTxLoss));
    const linuxRcvbuf = (ipsnmp['Udp.RcvbufErrors'] || 0) + tap.rxDropped + relayToLinux;
    if (down.unattributed > micronetTxLoss + linuxRcvbuf) {
      problems.push('micronet → Linux: ' + down.unattributed + ' datagrams missing without a fault, counters explain ' + (micronetTxLoss + linuxRcvbuf));
    }
    if (down.faultCorrupted > linuxRxErrors + linuxSilent) {
      problems.push('micronet → Linux: ' + down.faultCorrupted + ' corrupted datagrams missing, Linux counted ' + linuxRxErrors + ' and ' + linuxSilent + ' were silent discards (MAC/EtherType)');
    }
    return {
      ok: problems.length === 0, problems, options: { count: o.count, chip: o.chip, rate: o.rate, dropPct: o.dropPct, corruptPct: o.corruptPct, seed: o.seed },
      elapsedS, linuxToMicronet: up, micronetToLinux: down,
      injector: inj2, txCorruptionWhere: txWhere,
      micronet: { rxDrops: micronetRxDrops, txLoss: micronetTxLoss, ring: st.ring, eth: st.eth, arp: st.arp, ip: st.ip, udp: st.udp, icmp: st.icmp },
      chip: cs, chipRxLoss, relay: { toNode: relayToNode, toLinux: relayToLinux }, linux: { snmp: ipsnmp, rxErrors: linuxRxErrors, tap, bridge: bridgeStats, missingSample: linux.missing.slice(0, 20) },
    };
  } finally {
    if (timer) clearInterval(timer);
    if (peer && peer.exitCode === null) { try { peer.stdin.end(); } catch (e) { /* gone */ } peer.kill('SIGKILL'); }
    bridge.close();
  }
}

/** The tally as lines for a person. */
function report(t) {
  const L = [];
  const u = t.linuxToMicronet, d = t.micronetToLinux, i = t.injector;
  L.push('soak: ' + t.options.count + ' UDP datagrams each way, Linux <-> tap <-> simulated ' + t.options.chip + ' <-> driver <-> faultInjector <-> micronet');
  L.push('      faults ' + t.options.dropPct + ' % drop, ' + t.options.corruptPct + ' % one-bit corruption, both directions, seed ' + t.options.seed + '; ' + t.options.rate + '/s each way; ' + t.elapsedS.toFixed(1) + ' s');
  L.push('Linux -> micronet: sent ' + u.sent + ', intact ' + u.intact + ', damaged ' + u.bad + ', duplicates ' + u.duplicates + ', missing ' + u.missing +
    ' = injector drop ' + u.faultDropped + ' + corrupted ' + u.faultCorrupted + ' + other ' + u.unattributed);
  L.push('      micronet rx drop counters ' + t.micronet.rxDrops + ' (ip.badChecksum ' + t.micronet.ip.badChecksum + ', udp.badChecksum ' + t.micronet.udp.badChecksum +
    ', eth.notForUs ' + t.micronet.eth.notForUs + ', eth.unknownType ' + t.micronet.eth.unknownType + '); chip/driver rx loss ' + t.chipRxLoss +
    '; host relay tap -> Node lost ' + t.relay.toNode);
  L.push('micronet -> Linux: sent ' + d.sent + ' (refused ' + d.refused + '), intact ' + d.intact + ', damaged ' + d.bad + ', duplicates ' + d.duplicates + ', missing ' + d.missing +
    ' (injector drop ' + d.faultDropped + ', corrupted ' + d.faultCorrupted + ', other ' + d.unattributed + ')');
  const w = t.txCorruptionWhere;
  L.push('      flipped bit in: dst MAC ' + w.dstMac + ', src MAC ' + w.srcMac + ', EtherType ' + w.etherType + ', IPv4 header ' + w.ipHeader + ', UDP header ' + w.udpHeader + ', payload ' + w.payload +
    '; Linux counted ' + t.linux.rxErrors + ' (Ip.InHdrErrors ' + (t.linux.snmp['Ip.InHdrErrors'] || 0) + ', Udp.InCsumErrors ' + (t.linux.snmp['Udp.InCsumErrors'] || 0) + ', Udp.RcvbufErrors ' + (t.linux.snmp['Udp.RcvbufErrors'] || 0) + ')');
  L.push('      host relay Node -> tap lost ' + t.relay.toLinux + '; micronet tx loss counters ' + t.micronet.txLoss + ' (arp.queueFull ' + t.micronet.arp.queueFull + ', arp.timeouts ' + t.micronet.arp.timeouts + ', eth.txFail ' + t.micronet.eth.txFail + ')');
  L.push('injector rx: ' + JSON.stringify(i.rx));
  L.push('injector tx: ' + JSON.stringify(i.tx));
  L.push('chip: ' + JSON.stringify(t.chip.chip));
  L.push('driver: ' + JSON.stringify(t.chip.driver));
  L.push('tap: ' + JSON.stringify(t.linux.tap) + ' bridge: ' + JSON.stringify(t.linux.bridge));
  L.push('ring: ' + t.micronet.ring.free + ' of ' + t.micronet.ring.size + ' free, doubleGive ' + t.micronet.ring.doubleGive + '; arp ' + JSON.stringify(t.micronet.arp));
  L.push(t.ok ? 'PASS: every datagram delivered intact or counted as dropped; no exception; every ring frame back' : 'FAIL: ' + t.problems.join('; '));
  return L.join('\n');
}

/** Compiles TypeScript sources on require (Node CLI only; jest transforms them itself). */
function registerTs() {
  const ts = require('typescript');
  require.extensions['.ts'] = function (m, filename) {
    const src = fs.readFileSync(filename, 'utf8');
    const js = ts.transpileModule(src, { fileName: filename, compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true } }).outputText;
    m._compile(js, filename);
  };
}

function parseArgs(argv) {
  const o = { count: 100000, chip: 'enc28j60', rate: 2000, dropPct: 5, corruptPct: 1, seed: 1, json: false };
  const num = (v, name, min) => { const n = Number(v); if (!(n >= min) || !isFinite(n)) die(2, '--' + name + ' must be a number >= ' + min + ' (got ' + JSON.stringify(v) + ')'); return n; };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].split('=');
    const v = () => (inline !== undefined ? inline : argv[++i]);
    if (k === '--count') o.count = Math.floor(num(v(), 'count', 1));
    else if (k === '--chip') { o.chip = v(); if (o.chip !== 'enc28j60' && o.chip !== 'w5500') die(2, '--chip must be enc28j60 or w5500'); }
    else if (k === '--rate') o.rate = num(v(), 'rate', 1);
    else if (k === '--drop') o.dropPct = num(v(), 'drop', 0);
    else if (k === '--corrupt') o.corruptPct = num(v(), 'corrupt', 0);
    else if (k === '--seed') o.seed = num(v(), 'seed', 0);
    else if (k === '--json') o.json = true;
    else if (k === '--help' || k === '-h') { process.stdout.write(fs.readFileSync(__filename, 'utf8').split('Usage: ')[1].split(' * Needs')[0]); process.exit(0); }
    else die(2, 'unknown argument ' + argv[i] + ' (see --help)');
  }
  return o;
}

function die(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

async function main() {
  // `--tcp`: the TCP soak (tools/soak-tcp.js: two stacks, virtual time, faults)
  if (process.argv.includes('--tcp')) return require('./soak-tcp.js').mainTcp(process.argv.slice(2));
  const o = parseArgs(process.argv.slice(2));
  registerTs();
  const netns = require('../src/host/netns');
  const req = netns.checkHostRequirements();
  if (!req.ok) die(2, req.reason);
  netns.installCleanupHandlers();
  netns.sweepStaleNamespaces('micronet');
  const t = await runSoak(Object.assign({}, o, { log: (l) => process.stdout.write(l + '\n') }));
  process.stdout.write((o.json ? JSON.stringify(t, null, 1) : report(t)) + '\n');
  netns.destroyAllNamespaces();
  process.exit(t.ok ? 0 : 1);
}

module.exports = { runSoak, report, lengthOf, fill, verify };

if (require.main === module) main().catch((e) => { process.stderr.write((e && e.stack || String(e)) + '\n'); process.exit(1); });
