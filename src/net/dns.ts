/**
 * micronet-dns: a DNS stub resolver (RFC 1035) for A records over UDP, on the stack's poll clock.
 * Shipped as dist/micronet-dns.js; it needs nothing from the core module but the stack given.
 *
 *   var dns = require("micronet-dns").create(stack, { servers: ["192.0.2.53"] });
 *   dns.lookup("printer.example", function (err, address) { ... });
 *
 * Message (RFC 1035 §4.1), offsets and lengths in octets:
 *   header (§4.1.1), 12 octets: 0 ID (2), 2 flags (2: QR 0x8000, opcode 0x7800, AA 0x0400, TC 0x0200,
 *     RD 0x0100, RA 0x0080, RCODE 0x000f), 4 QDCOUNT, 6 ANCOUNT, 8 NSCOUNT, 10 ARCOUNT (2 each)
 *   question (§4.1.2): QNAME (labels), QTYPE (2), QCLASS (2)
 *   resource record (§4.1.3): NAME, TYPE (2), CLASS (2), TTL (4, seconds), RDLENGTH (2), RDATA
 *   names (§3.1, §4.1.4): labels of 1..63 octets, a zero octet at the end, at most 255 octets; or a
 *     2-octet pointer 0xC000 | offset from the start of the message.
 * Pointers must point strictly backwards (before the label that holds them), so a name always ends;
 * anything else is a counted drop (stats.badName), never a throw or a loop.
 *
 * Each lookup sends a query with a fresh random ID and RD set to the servers in turn (attempt n goes to
 * servers[n % servers.length]), waiting timeoutMs for each, `attempts` times in all. CNAME chains are
 * followed within the answer section. Answers are cached (cacheSize entries, TTL capped at maxTtl).
 * Callbacks always run from stack.poll (never from inside lookup), with err.code one of ENOTFOUND
 * (NXDOMAIN), ENODATA (the name has no A record), ESERVFAIL, EREFUSED, EFORMERR, ENOTIMP, ETIMEOUT,
 * EBADNAME (not a valid name), ENOSERVERS (no server configured), EBUSY (maxPending lookups waiting).
 */
import { get16, get32, put16 } from '../wire/bytes';
import { parseIPv4, formatIPv4, isDottedQuad } from '../wire/addr';
import { StackLike } from './acd';

export var DNS_PORT = 53;
export var DNS_HEADER_LEN = 12;
export var DNS_ID = 0;
export var DNS_FLAGS = 2;
export var DNS_QDCOUNT = 4;
export var DNS_ANCOUNT = 6;
export var DNS_NSCOUNT = 8;
export var DNS_ARCOUNT = 10;
export var FLAG_QR = 0x8000;
export var FLAG_TC = 0x0200;
export var FLAG_RD = 0x0100;
export var TYPE_A = 1;
export var TYPE_CNAME = 5;
export var CLASS_IN = 1;
/** RCODE values (RFC 1035 §4.1.1). */
export var RCODE_FORMERR = 1;
export var RCODE_SERVFAIL = 2;
export var RCODE_NXDOMAIN = 3;
export var RCODE_NOTIMP = 4;
export var RCODE_REFUSED = 5;
/** Longest name on the wire (RFC 1035 §2.3.4). */
export var MAX_NAME_LEN = 255;
/** Answer records looked at per response; more are ignored (a CNAME chain longer than this fails). */
export var MAX_RECORDS = 16;

export interface DnsOptions {
  /** Servers (dotted quads); default none (set them with setServers, or let DHCP do it). */
  servers?: string[];
  /** Milliseconds to wait for each answer; default 2000 (RFC 1035 §4.2.1 suggests 2-5 s). */
  timeoutMs?: number;
  /** Queries sent per lookup, over the servers in turn; default 3. */
  attempts?: number;
  /** Cached answers; default 4 (0 = no cache). */
  cacheSize?: number;
  /** Cap on a cached answer's TTL, seconds; default 3600. */
  maxTtl?: number;
  /** Lookups waiting for an answer at once; default 4 (more fail with EBUSY). */
  maxPending?: number;
  /** Random source in [0, 1) for query IDs; default the stack's Config.random. */
  random?: () => number;
}

/** Counters: queries sent, answers used, and every reason a response was dropped. */
export interface DnsStats {
  queries: number; answers: number; cacheHits: number; timeouts: number; sendFailed: number;
  /** Responses shorter than the header, or whose records run past the end. */
  truncated: number;
  /** Not a response (QR 0) or not from port 53 of the server asked. */
  notResponse: number;
  notFromServer: number;
  /** ID of no pending query. */
  wrongId: number;
  /** The question section does not repeat ours. */
  questionMismatch: number;
  /** A name with a bad label type, a forward or looping pointer, or longer than 255 octets. */
  badName: number;
  /** Responses with TC set (answers that did not fit in 512 octets; used if an A record came). */
  tcSet: number;
}

interface Pending {
  name: string;
  id: number;
  cb: (err: any, address?: string, family?: number) => void;
  attempt: number;
  deadlineMs: number;
  server: number;
}

interface CacheEntry { name: string; address: number; expiresMs: number; }

function dnsError(code: string, name: string, text: string): any {
  var e: any = new Error('dns: ' + name + ': ' + text);
  e.code = code;
  e.hostname = name;
  return e;
}


/** Lower-cases ASCII letters only (DNS names compare case-insensitively, RFC 1035 §2.3.3). */
function lower(s: string): string {
  return s.toLowerCase();
}

/** A stub resolver; make it with create(stack, options). */
export class Resolver {
  readonly stack: StackLike;
  readonly stats: DnsStats;
  /** Bound so it can be handed around as a function: lookup(name, cb(err, address, family)). */
  readonly lookup: (name: string, cb: (err: any, address?: string, family?: number) => void) => void;
  private list: number[];
  private timeoutMs: number;
  private attempts: number;
  private cacheSize: number;
  private maxTtl: number;
  private maxPending: number;
  private random: () => number;
  private pending: Pending[];
  private cache: CacheEntry[];
  private ready: any[];
  private buf: Uint8Array;
  private port: number;
  private removeTimer: (() => void) | null;
  /** Offset after the name read by readName (in the position where it started). */
  private nameEnd: number;
  private rrName: string[];
  private rrType: number[];
  private rrTtl: number[];
  private rrData: number[];
  private rrLen: number[];

  constructor(stack: StackLike, options?: DnsOptions) {
    if (!stack || !stack.udp || typeof stack.addTimer !== 'function') throw new Error('dns: stack must be a micronet stack');
    var o = options || {};
    this.stack = stack;
    this.timeoutMs = this.num(o.timeoutMs, 2000, 1, 'timeoutMs');
    this.attempts = this.num(o.attempts, 3, 1, 'attempts');
    this.cacheSize = this.num(o.cacheSize, 4, 0, 'cacheSize');
    this.maxTtl = this.num(o.maxTtl, 3600, 0, 'maxTtl');
    this.maxPending = this.num(o.maxPending, 4, 1, 'maxPending');
    this.random = o.random || stack.config.random;
    this.stats = { queries: 0, answers: 0, cacheHits: 0, timeouts: 0, sendFailed: 0, truncated: 0, notResponse: 0,
      notFromServer: 0, wrongId: 0, questionMismatch: 0, badName: 0, tcSet: 0 };
    this.list = [];
    this.pending = [];
    this.cache = [];
    this.ready = [];
    this.buf = new Uint8Array(DNS_HEADER_LEN + MAX_NAME_LEN + 4);
    this.nameEnd = 0;
    this.rrName = []; this.rrType = []; this.rrTtl = []; this.rrData = []; this.rrLen = [];
    if (o.servers) this.setServers(o.servers);
    var self = this;
    this.port = stack.udp.bind(0, function (b: Uint8Array, off: number, len: number, info: any) { self.input(b, off, len, info); });
    this.removeTimer = stack.addTimer(function (now: number) { self.timer(now); });
    this.lookup = function (name: string, cb: (err: any, address?: string, family?: number) => void) { self.resolve(name, cb); };
  }

  private num(v: any, def: number, min: number, what: string): number {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !(v >= min) || Math.floor(v) !== v) throw new Error('dns: options.' + what + ' must be a whole number >= ' + min);
    return v;
  }

  /** Replaces the servers (dotted quads). @throws Error naming the bad entry. */
  setServers(list: string[]): void {
    if (!list || typeof list.length !== 'number') throw new Error('dns.setServers: list must be an array of addresses');
    var out: number[] = [];
    for (var i = 0; i < list.length; i++) out.push(parseIPv4(list[i], 'dns.setServers: entry ' + i));
    this.list = out;
  }

  /** The servers in use, as dotted quads. */
  servers(): string[] {
    var out: string[] = [];
    for (var i = 0; i < this.list.length; i++) out.push(formatIPv4(this.list[i]));
    return out;
  }

  /** Stops: unbinds the port, removes the timer; pending lookups get no callback. */
  close(): void {
    if (this.removeTimer) { this.removeTimer(); this.removeTimer = null; }
    this.stack.udp.unbind(this.port);
    this.pending = [];
    this.ready = [];
  }

  /** Empties the cache. */
  flush(): void {
    this.cache = [];
  }

  private later(cb: any, err: any, address?: string): void {
    this.ready.push(cb, err, address);
  }

  /**
   * Resolves `name` to an IPv4 address: cb(null, "a.b.c.d", 4) or cb(err) (codes above). A dotted
   * quad is returned as it is. The callback runs from a later stack.poll.
   * @throws Error when cb is not a function.
   */
  resolve(name: string, cb: (err: any, address?: string, family?: number) => void): void {
    if (typeof cb !== 'function') throw new Error('dns.lookup: cb must be a function');
    if (typeof name !== 'string') { this.later(cb, dnsError('EBADNAME', String(name), 'name must be a string')); return; }
    if (isDottedQuad(name)) {
      var a = -1;
      try { a = parseIPv4(name); } catch (e) { a = -1; }
      if (a >= 0) { this.later(cb, null, formatIPv4(a)); return; }
    }
    var n = lower(name.charAt(name.length - 1) === '.' ? name.substr(0, name.length - 1) : name);
    if (this.encodeQuestion(n, DNS_HEADER_LEN) < 0) { this.later(cb, dnsError('EBADNAME', name, 'not a valid host name')); return; }
    var now = this.stack.state.now;
    for (var i = 0; i < this.cache.length; i++) {
      var c = this.cache[i];
      if (c.name === n) {
        if (now < c.expiresMs) { this.stats.cacheHits++; this.later(cb, null, formatIPv4(c.address)); return; }
        this.cache.splice(i, 1);
        break;
      }
    }
    if (this.list.length === 0) { this.later(cb, dnsError('ENOSERVERS', name, 'no DNS server is configured')); return; }
    if (this.pending.length >= this.maxPending) { this.later(cb, dnsError('EBUSY', name, this.maxPending + ' lookups are already waiting (maxPending)')); return; }
    var p: Pending = { name: n, id: 0, cb: cb, attempt: 0, deadlineMs: 0, server: 0 };
    this.pending.push(p);
    this.transmit(p, now);
  }

  /**
   * Writes QNAME, QTYPE A, QCLASS IN of `name` (lower case, no trailing dot) at buf[off..]; returns the
   * offset after it, or -1 when the name is not valid (labels 1..63 of letters, digits, '-' and '_').
   */
  private encodeQuestion(name: string, off: number): number {
    var b = this.buf, o = off, start = o;
    if (name.length === 0 || name.length > 253) return -1;
    var labelAt = o++;
    for (var i = 0; i <= name.length; i++) {
      var ch = i < name.length ? name.charCodeAt(i) : 46;
      if (ch === 46) { // '.'
        var l = o - labelAt - 1;
        if (l < 1 || l > 63) return -1;
        b[labelAt] = l;
        labelAt = o++;
      } else {
        if (!((ch >= 97 && ch <= 122) || (ch >= 48 && ch <= 57) || ch === 45 || ch === 95)) return -1;
        b[o++] = ch;
      }
    }
    b[labelAt] = 0; // the root label ends the name
    if (o - start > MAX_NAME_LEN) return -1;
    put16(b, o, TYPE_A); put16(b, o + 2, CLASS_IN);
    return o + 4;
  }

  private transmit(p: Pending, now: number): void {
    p.id = Math.floor(this.random() * 65536) & 0xffff;
    p.server = this.list[p.attempt % this.list.length];
    p.attempt++;
    p.deadlineMs = now + this.timeoutMs;
    var b = this.buf;
    put16(b, DNS_ID, p.id);
    put16(b, DNS_FLAGS, FLAG_RD); // standard query, recursion desired
    put16(b, DNS_QDCOUNT, 1); put16(b, DNS_ANCOUNT, 0); put16(b, DNS_NSCOUNT, 0); put16(b, DNS_ARCOUNT, 0);
    var len = this.encodeQuestion(p.name, DNS_HEADER_LEN);
    this.stats.queries++;
    var ok = false;
    try { ok = this.stack.udp.send(p.server, DNS_PORT, b.subarray(0, len), this.port); } catch (e) { ok = false; }
    if (!ok) this.stats.sendFailed++;
  }

  /** Runs every Config.timerIntervalMs of poll time: callbacks due, retransmissions, timeouts. */
  timer(now: number): void {
    var r = this.ready;
    if (r.length) {
      this.ready = [];
      for (var i = 0; i < r.length; i += 3) {
        if (r[i + 1]) r[i](r[i + 1]); else r[i](null, r[i + 2], 4);
      }
    }
    for (var j = 0; j < this.pending.length; j++) {
      var p = this.pending[j];
      if (now < p.deadlineMs) continue;
      if (p.attempt < this.attempts) { this.transmit(p, now); continue; }
      this.stats.timeouts++;
      this.pending.splice(j--, 1);
      p.cb(dnsError('ETIMEOUT', p.name, 'no answer after ' + p.attempt + ' queries'));
    }
  }

  /**
   * Reads the name at buf[at..] of the message buf[msg..end): returns it (lower case, dotted) or null
   * when it is malformed (counted). Sets this.nameEnd to the offset after the name where it started.
   */
  private readName(buf: Uint8Array, msg: number, end: number, at: number): string | null {
    var out = '', wire = 0, p = at, ended = -1, limit = at;
    for (;;) {
      if (p >= end) { this.stats.truncated++; return null; }
      var l = buf[p];
      if ((l & 0xc0) === 0xc0) {
        if (p + 1 >= end) { this.stats.truncated++; return null; }
        var target = msg + (((l & 0x3f) << 8) | buf[p + 1]);
        if (ended < 0) ended = p + 2;
        // strictly backwards from the label that holds the pointer: every jump makes progress
        if (target >= limit) { this.stats.badName++; return null; }
        p = target;
        limit = target;
        continue;
      }
      if ((l & 0xc0) !== 0) { this.stats.badName++; return null; } // extended label types
      wire += l + 1;
      if (wire > MAX_NAME_LEN) { this.stats.badName++; return null; }
      if (l === 0) break;
      if (p + 1 + l > end) { this.stats.truncated++; return null; }
      if (out.length) out += '.';
      for (var i = 1; i <= l; i++) out += String.fromCharCode(buf[p + i]);
      p += 1 + l;
    }
    this.nameEnd = ended >= 0 ? ended : p + 1;
    return lower(out);
  }

  /** UDP input on our port: the message is buf[off..off+len), valid only during the call. */
  input(buf: Uint8Array, off: number, len: number, info: any): void {
    var st = this.stats, end = off + len;
    if (len < DNS_HEADER_LEN) { st.truncated++; return; }
    var flags = get16(buf, off + DNS_FLAGS);
    if (!(flags & FLAG_QR) || info.srcPort !== DNS_PORT) { st.notResponse++; return; }
    var id = get16(buf, off + DNS_ID), p: Pending | null = null, pi = -1;
    for (var i = 0; i < this.pending.length; i++) if (this.pending[i].id === id) { p = this.pending[i]; pi = i; break; }
    if (p === null) { st.wrongId++; return; }
    if (info.srcAddress !== p.server) { st.notFromServer++; return; }
    if (get16(buf, off + DNS_QDCOUNT) !== 1) { st.questionMismatch++; return; }
    var q = this.readName(buf, off, end, off + DNS_HEADER_LEN);
    if (q === null) return;
    var o = this.nameEnd;
    if (o + 4 > end) { st.truncated++; return; }
    if (q !== p.name || get16(buf, o) !== TYPE_A || get16(buf, o + 2) !== CLASS_IN) { st.questionMismatch++; return; }
    o += 4;
    var rcode = flags & 15;
    if (rcode !== 0) {
      if ((rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED) && p.attempt < this.attempts) {
        this.transmit(p, this.stack.state.now); // try the next server
        return;
      }
      this.pending.splice(pi, 1);
      var code = rcode === RCODE_NXDOMAIN ? 'ENOTFOUND' : rcode === RCODE_SERVFAIL ? 'ESERVFAIL' : rcode === RCODE_REFUSED ? 'EREFUSED' :
        rcode === RCODE_FORMERR ? 'EFORMERR' : rcode === RCODE_NOTIMP ? 'ENOTIMP' : 'EBADRESP';
      p.cb(dnsError(code, p.name, code === 'ENOTFOUND' ? 'no such name (NXDOMAIN)' : 'server answered RCODE ' + rcode));
      return;
    }
    if (flags & FLAG_TC) st.tcSet++;
    // Answer section: collect up to MAX_RECORDS records (bounds checked), then follow the chain.
    var an = get16(buf, off + DNS_ANCOUNT), n = 0;
    for (var k = 0; k < an && n < MAX_RECORDS; k++) {
      var nm = this.readName(buf, off, end, o);
      if (nm === null) return;
      o = this.nameEnd;
      if (o + 10 > end) { st.truncated++; return; }
      var rdlen = get16(buf, o + 8);
      if (o + 10 + rdlen > end) { st.truncated++; return; }
      this.rrName[n] = nm; this.rrType[n] = get16(buf, o); this.rrTtl[n] = get32(buf, o + 4);
      this.rrData[n] = o + 10; this.rrLen[n] = rdlen;
      if (get16(buf, o + 2) === CLASS_IN) n++;
      o += 10 + rdlen;
    }
    var target = p.name, ttl = this.maxTtl, address = -1;
    for (var step = 0; step <= n && address < 0; step++) {
      var next: string | null = null;
      for (var r = 0; r < n; r++) {
        if (this.rrName[r] !== target) continue;
        if (this.rrType[r] === TYPE_A && this.rrLen[r] === 4) { address = get32(buf, this.rrData[r]); if (this.rrTtl[r] < ttl) ttl = this.rrTtl[r]; break; }
        if (this.rrType[r] === TYPE_CNAME && next === null) {
          next = this.readName(buf, off, this.rrData[r] + this.rrLen[r], this.rrData[r]);
          if (next === null) return;
          if (this.rrTtl[r] < ttl) ttl = this.rrTtl[r];
        }
      }
      if (address >= 0 || next === null) break;
      target = next;
    }
    this.pending.splice(pi, 1);
    if (address < 0) { p.cb(dnsError('ENODATA', p.name, 'no A record in the answer')); return; }
    st.answers++;
    this.remember(p.name, address, ttl);
    p.cb(null, formatIPv4(address), 4);
  }

  private remember(name: string, address: number, ttl: number): void {
    if (this.cacheSize === 0 || ttl === 0) return;
    var now = this.stack.state.now, c = this.cache;
    for (var i = 0; i < c.length; i++) if (c[i].name === name || now >= c[i].expiresMs) { c.splice(i, 1); i--; }
    if (c.length >= this.cacheSize) c.shift(); // the oldest entry goes
    c.push({ name: name, address: address, expiresMs: now + ttl * 1000 });
  }
}

/** Makes a resolver on `stack` (see DnsOptions). @throws Error naming a bad option. */
export function create(stack: StackLike, options?: DnsOptions): Resolver {
  return new Resolver(stack, options);
}
