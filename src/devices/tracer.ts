/**
 * A tracer that composes around any Device and prints one tcpdump-like line per frame (board code, ES5).
 *
 *   var eth = require("micronet-debug").tracer(driver);          // print defaults to console.log
 *   // 12.345 rx 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, length 42: who-has 192.0.2.2 tell 192.0.2.1
 *   // 12.346 tx 02:00:00:00:00:02 > 02:00:00:00:00:01, ARP, length 42: 192.0.2.2 is-at 02:00:00:00:00:02
 *   // 12.350 rx 02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4, length 98: 192.0.2.1 > 192.0.2.2: ICMP echo request, id 7, seq 1, length 64
 *   // 12.351 rx 02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4, length 60: 192.0.2.1.40000 > 192.0.2.2.7: UDP, length 12
 *
 * Line: time in seconds with milliseconds (the `clock` option, ms), `name` if given, direction (rx =
 * from the device to the stack, tx = from the stack to the device), source > destination MAC, EtherType,
 * frame length in octets (no FCS), then per protocol: ARP operation (RFC 826: who-has/tell, is-at);
 * IPv4 source > destination (RFC 791) with "frag" for fragments; ICMP type (RFC 792), id and sequence of
 * echoes, the quoted protocol/port of destination unreachable; UDP ports and payload length (RFC 768);
 * IGMP type and group (RFC 2236, RFC 3376). Fields that do not fit in the frame end the line with "[|proto]"
 * (tcpdump's mark for a truncated capture).
 *
 * A tracer is a debugging aid: each line is a new string (allocation per frame is the point of it).
 * Frames pass unchanged; a throwing `print` is counted (printErrors) and never reaches the stack.
 */
import { forwardOptional } from './forward';
import type { Device } from '../drivers/device';

/** Options of `tracer`. */
export interface TracerOptions {
  /** Milliseconds clock for the time column. Default Date.now. */
  clock?: () => number;
  /** Printed after the time (e.g. an interface name). Default none. */
  name?: string;
  /** Trace received frames. Default true. */
  rx?: boolean;
  /** Trace sent frames. Default true. */
  tx?: boolean;
}

/** The traced device: a Device plus counters. */
export interface Tracer extends Device {
  readonly device: Device;
  /** Lines printed, and `print` calls that threw. */
  stats(): { lines: number; printErrors: number };
}

var HEX = '0123456789abcdef';

function hex2(v: number): string {
  return HEX.charAt((v >> 4) & 15) + HEX.charAt(v & 15);
}

function macText(b: Uint8Array, o: number): string {
  return hex2(b[o]) + ':' + hex2(b[o + 1]) + ':' + hex2(b[o + 2]) + ':' + hex2(b[o + 3]) + ':' + hex2(b[o + 4]) + ':' + hex2(b[o + 5]);
}

function ipText(b: Uint8Array, o: number): string {
  return b[o] + '.' + b[o + 1] + '.' + b[o + 2] + '.' + b[o + 3];
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

var ICMP_NAMES: { [type: number]: string } = {
  0: 'echo reply', 3: 'unreachable', 4: 'source quench', 5: 'redirect', 8: 'echo request', 11: 'time exceeded',
  12: 'parameter problem', 13: 'time stamp request', 14: 'time stamp reply',
};
var UNREACH_CODES = ['net', 'host', 'protocol', 'port', 'need to frag', 'source route failed'];
var IGMP_NAMES: { [type: number]: string } = {
  0x11: 'query', 0x12: 'v1 report', 0x16: 'v2 report', 0x17: 'leave', 0x22: 'v3 report',
};

/** ICMP details: message at frame[o .. o+len). */
function icmpText(f: Uint8Array, o: number, len: number): string {
  if (len < 4) return 'ICMP [|icmp]';
  var type = f[o], code = f[o + 1];
  var name = ICMP_NAMES[type];
  var s = 'ICMP ' + (name || 'type ' + type);
  if ((type === 0 || type === 8) && len >= 8) return s + ', id ' + u16(f, o + 4) + ', seq ' + u16(f, o + 6) + ', length ' + len;
  if (type === 3) {
    s += ' (' + (UNREACH_CODES[code] || 'code ' + code) + ')';
    // The quoted datagram: IPv4 header + 8 octets (RFC 792).
    var q = o + 8;
    if (len >= 8 + 20 + 4 && (f[q] >> 4) === 4) {
      var qhl = (f[q] & 15) * 4;
      s += ' about ' + ipText(f, q + 12) + ' > ' + ipText(f, q + 16) + ' proto ' + f[q + 9];
      if (f[q + 9] === 17 && len >= 8 + qhl + 4) s += ' udp port ' + u16(f, q + qhl + 2);
    }
    return s + ', length ' + len;
  }
  if (!name) s += ' code ' + code;
  return s + ', length ' + len;
}

/**
 * One line (without time and direction) describing frame[0..length): MACs, EtherType, length, and the
 * ARP / IPv4 / ICMP / UDP / IGMP fields listed in the file comment. Never throws on any input.
 */
export function describeFrame(f: Uint8Array, length: number): string {
  if (length < 14) return 'length ' + length + ' [|ether]';
  var type = u16(f, 12);
  var head = macText(f, 6) + ' > ' + macText(f, 0) + ', ';
  if (type === 0x0806) {
    head += 'ARP, length ' + length + ': ';
    if (length < 42) return head + '[|arp]';
    var op = u16(f, 20);
    if (u16(f, 14) !== 1 || u16(f, 16) !== 0x0800 || f[18] !== 6 || f[19] !== 4) return head + 'hardware type ' + u16(f, 14) + ', protocol 0x' + u16(f, 16).toString(16) + ', op ' + op;
    if (op === 1) return head + 'who-has ' + ipText(f, 38) + ' tell ' + ipText(f, 28);
    if (op === 2) return head + ipText(f, 28) + ' is-at ' + macText(f, 22);
    return head + 'op ' + op + ' ' + ipText(f, 28) + ' > ' + ipText(f, 38);
  }
  if (type !== 0x0800) return head + 'ethertype 0x' + (type < 0x1000 ? '0' : '') + type.toString(16) + ', length ' + length;
  head += 'IPv4, length ' + length + ': ';
  if (length < 34) return head + '[|ip]';
  var o = 14;
  var hl = (f[o] & 15) * 4;
  if ((f[o] >> 4) !== 4 || hl < 20) return head + 'bad version/header length 0x' + hex2(f[o]);
  var total = u16(f, o + 2);
  var proto = f[o + 9];
  var src = ipText(f, o + 12), dst = ipText(f, o + 16);
  var fragField = u16(f, o + 6);
  var fragOff = (fragField & 0x1fff) * 8;
  var more = (fragField & 0x2000) !== 0;
  var avail = Math.min(total, length - o) - hl; // payload octets present
  var p = o + hl;
  var frag = fragOff !== 0 || more ? ' (frag id ' + u16(f, o + 4) + ' offset ' + fragOff + (more ? '+' : '') + ')' : '';
  if (fragOff !== 0 || avail < 0) return head + src + ' > ' + dst + ': proto ' + proto + frag + (avail < 0 ? ' [|ip]' : '');
  if (proto === 17) {
    if (avail < 8) return head + src + ' > ' + dst + ': UDP [|udp]';
    return head + src + '.' + u16(f, p) + ' > ' + dst + '.' + u16(f, p + 2) + ': UDP, length ' + (u16(f, p + 4) - 8) + frag;
  }
  if (proto === 1) return head + src + ' > ' + dst + ': ' + icmpText(f, p, avail) + frag;
  if (proto === 2) {
    if (avail < 8) return head + src + ' > ' + dst + ': IGMP [|igmp]';
    var it = f[p];
    return head + src + ' > ' + dst + ': IGMP ' + (IGMP_NAMES[it] || 'type 0x' + hex2(it)) + (it === 0x22 ? '' : ' ' + ipText(f, p + 4)) + frag;
  }
  return head + src + ' > ' + dst + ': proto ' + proto + ', length ' + avail + frag;
}

/** Milliseconds as seconds with three decimals ("12.345"). */
function timeText(ms: number): string {
  var neg = ms < 0;
  var t = Math.floor(Math.abs(ms));
  var s = Math.floor(t / 1000), r = t % 1000;
  return (neg ? '-' : '') + s + '.' + (r < 10 ? '00' : r < 100 ? '0' : '') + r;
}

/**
 * Wraps `device` so that every frame received from it or sent through it is described by one line given
 * to `print` (default console.log). Throws an Error if `device` is not a Device or `print` not a function.
 */
export function tracer(device: Device, print?: (line: string) => void, options?: TracerOptions): Tracer {
  if (!device || typeof device.receive !== 'function' || typeof device.send !== 'function') {
    throw new Error('tracer: device must have receive(frame) and send(frame, length)');
  }
  var out = print;
  if (out === undefined || out === null) {
    out = function (line: string): void { if (typeof console !== 'undefined') console.log(line); };
  }
  if (typeof out !== 'function') throw new Error('tracer: print must be a function taking one string');
  var o = options || {};
  var clock = o.clock || function (): number { return Date.now(); };
  var prefix = o.name ? ' ' + o.name : '';
  var traceRx = o.rx !== false, traceTx = o.tx !== false;
  var st = { lines: 0, printErrors: 0 };
  var emit = out;

  function line(dir: string, f: Uint8Array, n: number): void {
    st.lines++;
    try {
      emit(timeText(clock()) + prefix + ' ' + dir + ' ' + describeFrame(f, n));
    } catch (e) {
      st.printErrors++;
    }
  }

  var dev: any = {
    mac: device.mac,
    device: device,
    receive: function (frame: Uint8Array): number {
      var n = device.receive(frame);
      if (n > 0 && traceRx) line('rx', frame, n);
      return n;
    },
    send: function (frame: Uint8Array, length: number): boolean {
      if (traceTx) line('tx', frame, length);
      return device.send(frame, length);
    },
    stats: function () { return st; },
  };
  return forwardOptional(dev, device, true) as Tracer;
}
