/**
 * micronet-dhcp: a DHCP client (RFC 2131, options RFC 2132) per interface, with address conflict
 * detection (RFC 5227, acd.ts) of the address it is given. Runs on the stack's poll clock
 * (Stack.addTimer); the lease is applied with stack.configure (address, netmask, gateway and so the
 * routes). Shipped as dist/micronet-dhcp.js; it needs nothing from the core module but the stack given.
 *
 *   var dhcp = require("micronet-dhcp");
 *   var client = dhcp.start(stack, "eth0", { hostName: "board", onBound: function (lease) { ... } });
 *
 * BOOTP/DHCP message (RFC 2131 §2, Figure 1), offsets and lengths in octets:
 *
 *   offset  length  field
 *   0       1       op (1 = BOOTREQUEST, 2 = BOOTREPLY)
 *   1       1       htype (1 = Ethernet)
 *   2       1       hlen (6)
 *   3       1       hops (0 from a client)
 *   4       4       xid, transaction ID chosen by the client
 *   8       2       secs since the client began acquiring or renewing
 *   10      2       flags (0x8000 = BROADCAST: the client cannot receive unicast yet)
 *   12      4       ciaddr, the client's address (only in BOUND, RENEWING, REBINDING)
 *   16      4       yiaddr, "your" address offered or assigned
 *   20      4       siaddr, next server (boot), unused here
 *   24      4       giaddr, relay agent
 *   28      16      chaddr, client hardware address (6 used)
 *   44      64      sname, server host name (or options when option 52 says so)
 *   108     128     file, boot file name (or options when option 52 says so)
 *   236     4       magic cookie 99.130.83.99 (RFC 2131 §3, RFC 2132 §2)
 *   240     ...     options: code (1), length (1), value; 0 = pad, 255 = end
 * Messages we send are padded to 300 octets (the BOOTP minimum, RFC 1542 §2.1); we accept replies up
 * to what a ring frame holds.
 *
 * States (RFC 2131 §4.4, Figure 5): INIT → SELECTING → REQUESTING → (probe, RFC 5227) → BOUND →
 * RENEWING (T1, unicast to the server) → REBINDING (T2, broadcast) → lease expiry → INIT; INIT-REBOOT →
 * REBOOTING with a remembered address; DHCPNAK → INIT; a conflict → DHCPDECLINE, 10 s, INIT (§3.1 step 5).
 * Retransmission (§4.1): 4, 8, 16, 32, 64, 64 ... s, each ±1 s at random; DHCPDISCOVER forever,
 * DHCPREQUEST `requestAttempts` times (default 4) before INIT. In RENEWING and REBINDING the request is
 * repeated after half the time left until T2 (or expiry), at least 60 s (§4.4.5).
 */
import { get16, get32, put16, put32, macEqual } from '../wire/bytes';
import { parseIPv4, formatIPv4, prefixLength, isMulticast } from '../wire/addr';
import { Acd, StackLike } from './acd';

export { Acd, probe } from './acd';

/** UDP ports (RFC 2131 §4.1). */
export var DHCP_SERVER_PORT = 67;
export var DHCP_CLIENT_PORT = 68;

/** Field offsets of the fixed header (see the table above). */
export var BOOTP_OP = 0;
export var BOOTP_HTYPE = 1;
export var BOOTP_HLEN = 2;
export var BOOTP_HOPS = 3;
export var BOOTP_XID = 4;
export var BOOTP_SECS = 8;
export var BOOTP_FLAGS = 10;
export var BOOTP_CIADDR = 12;
export var BOOTP_YIADDR = 16;
export var BOOTP_SIADDR = 20;
export var BOOTP_GIADDR = 24;
export var BOOTP_CHADDR = 28;
export var BOOTP_SNAME = 44;
export var BOOTP_FILE = 108;
export var BOOTP_COOKIE = 236;
/** Offset of the options, and so the shortest valid DHCP message. */
export var BOOTP_OPTIONS = 240;
/** Length we pad messages to (RFC 1542 §2.1). */
export var BOOTP_MIN_LEN = 300;
/** The magic cookie 99.130.83.99. */
export var DHCP_MAGIC = 0x63825363;
export var BOOTREQUEST = 1;
export var BOOTREPLY = 2;
export var FLAG_BROADCAST = 0x8000;

/** DHCP message types, option 53 (RFC 2132 §9.6). */
export var DHCPDISCOVER = 1;
export var DHCPOFFER = 2;
export var DHCPREQUEST = 3;
export var DHCPDECLINE = 4;
export var DHCPACK = 5;
export var DHCPNAK = 6;
export var DHCPRELEASE = 7;

/** Option codes (RFC 2132). */
export var OPT_PAD = 0;
export var OPT_SUBNET_MASK = 1;
export var OPT_ROUTER = 3;
export var OPT_DNS = 6;
export var OPT_HOST_NAME = 12;
export var OPT_DOMAIN_NAME = 15;
export var OPT_REQUESTED_ADDRESS = 50;
export var OPT_LEASE_TIME = 51;
export var OPT_OVERLOAD = 52;
export var OPT_MESSAGE_TYPE = 53;
export var OPT_SERVER_ID = 54;
export var OPT_PARAMETER_LIST = 55;
export var OPT_MAX_MESSAGE_SIZE = 57;
export var OPT_RENEWAL_TIME = 58;
export var OPT_REBINDING_TIME = 59;
export var OPT_CLIENT_ID = 61;
export var OPT_END = 255;

/** Client states. */
export var STOPPED = 0;
export var INIT = 1;
export var SELECTING = 2;
export var REQUESTING = 3;
/** Probing the acknowledged address for conflicts (RFC 5227) before using it. */
export var PROBING = 4;
export var BOUND = 5;
export var RENEWING = 6;
export var REBINDING = 7;
export var REBOOTING = 8;
/** Waiting DECLINE_WAIT_MS after a DHCPDECLINE before INIT. */
export var DECLINED = 9;
export var STATE_NAMES = ['STOPPED', 'INIT', 'SELECTING', 'REQUESTING', 'PROBING', 'BOUND', 'RENEWING', 'REBINDING', 'REBOOTING', 'DECLINED'];

/** Wait after a DHCPDECLINE before restarting (RFC 2131 §3.1 step 5: "a minimum of ten seconds"). */
export var DECLINE_WAIT_MS = 10000;
/** Shortest wait between DHCPREQUESTs in RENEWING and REBINDING (RFC 2131 §4.4.5: 60 s). */
export var RENEW_RETRY_MIN_MS = 60000;
/** Size of the message buffer: 576 (the datagram every host accepts) less IPv4 and UDP headers. */
export var DHCP_BUFFER_LEN = 548;
/** DNS servers kept from option 6. */
export var MAX_DNS_SERVERS = 3;

/** What a DHCPACK gave us. Addresses are dotted quads; times in seconds from when it was requested. */
export interface Lease {
  address: string;
  netmask: string;
  /** The first router of option 3 on our subnet, or null. */
  gateway: string | null;
  /** Option 6, at most MAX_DNS_SERVERS. */
  dns: string[];
  /** Option 54: the server that granted the lease. */
  server: string;
  /** Option 51, seconds (4294967295 = infinite). */
  leaseTime: number;
  /** T1 and T2 in seconds (options 58/59, else 0.5 and 0.875 of the lease). */
  renewalTime: number;
  rebindingTime: number;
  /** Option 15, or null. */
  domainName: string | null;
  /** Poll time (ms) the lease counts from: when the DHCPREQUEST was first sent. */
  startMs: number;
}

export interface DhcpOptions {
  /** Option 12, sent in DISCOVER and REQUEST (1..63 octets of letters, digits, hyphens). */
  hostName?: string;
  /** Option 61 value (octets or an 8-bit string); default type 1 + our MAC (RFC 2132 §9.14). */
  clientId?: ArrayLike<number> | string;
  /** A remembered address: start in INIT-REBOOT and ask for it (RFC 2131 §3.2). */
  requestedAddress?: string;
  /** Random source in [0, 1) for xid, backoff and probe delays; default the stack's Config.random. */
  random?: () => number;
  /** DHCPREQUEST transmissions in REQUESTING and REBOOTING before going back to INIT; default 4. */
  requestAttempts?: number;
  /** Probe the address for conflicts before using it (RFC 5227); default true. */
  probe?: boolean;
  /** Called when a lease is first applied to the interface (and after INIT, again). */
  onBound?: (lease: Lease) => void;
  /** Called when a lease was extended in RENEWING or REBINDING. */
  onRenewed?: (lease: Lease) => void;
  /** Called when the lease is lost (expired, NAKed or given up to a conflict): the interface is
   *  unconfigured (0.0.0.0) and the client starts over. */
  onLost?: () => void;
  /** A DNS resolver (micronet-dns) whose servers are set from option 6 on every ACK. */
  resolver?: { setServers(list: string[]): void };
}

/** Counters: messages sent and received, and every reason a received message was dropped. */
export interface DhcpStats {
  discovers: number; requests: number; declines: number; releases: number;
  offers: number; acks: number; naks: number;
  /** DHCPREQUEST or DHCPDISCOVER the stack could not send (no frame, no route). */
  sendFailed: number;
  /** Leases lost: expired, NAKed while bound, or conflicts. */
  lost: number;
  /** Conflicts found by ACD on an acknowledged address (each gave a DHCPDECLINE). */
  conflicts: number;
  // drops
  /** Shorter than 240 octets (fixed header and cookie). */
  tooShort: number;
  /** op is not BOOTREPLY. */
  badOp: number;
  /** htype is not 1 or hlen is not 6. */
  badHardware: number;
  /** chaddr is not our MAC. */
  notForUs: number;
  /** xid is not the one of our current exchange. */
  wrongXid: number;
  /** The magic cookie is not 99.130.83.99. */
  badCookie: number;
  /** An option runs past the end of the message or of the sname/file field. */
  truncatedOptions: number;
  /** An option we use has a length its definition does not allow (the option is ignored). */
  badOptionLength: number;
  /** No option 53. */
  noMessageType: number;
  /** A message type we do not expect in the current state. */
  unexpected: number;
  /** OFFER, ACK or NAK without option 54. */
  noServerId: number;
  /** ACK or NAK from a server other than the one we requested from. */
  wrongServer: number;
  /** ACK without option 51. */
  noLeaseTime: number;
  /** yiaddr 0, broadcast, multicast or in 127/8. */
  badAddress: number;
  /** Option 1 not contiguous ones (a classful mask is used instead). */
  badNetmask: number;
  /** Option 3 with no router on our subnet (no gateway is set). */
  routerOffLink: number;
  /** Datagrams on port 68 from an interface without a client. */
  noClient: number;
}

/** The client of each interface of a stack, sharing the one listener of port 68. */
interface Registry { clients: DhcpClient[]; stack: StackLike; }

function registry(stack: StackLike): Registry {
  var r: Registry = (stack as any).__dhcpClients;
  if (!r) { r = { clients: [], stack: stack }; (stack as any).__dhcpClients = r; }
  return r;
}

function dispatch(r: Registry, buf: Uint8Array, off: number, len: number, info: any): void {
  for (var i = 0; i < r.clients.length; i++) {
    if (r.clients[i].iface === info.iface) { r.clients[i].input(buf, off, len); return; }
  }
  if (r.clients.length) r.clients[0].stats.noClient++;
}

/** The classful mask of `a` (RFC 791 classes), used when a server gives no option 1. */
function classfulMask(a: number): number {
  var top = a >>> 24;
  return top < 128 ? 0xff000000 : top < 192 ? 0xffff0000 : 0xffffff00;
}

/** A host name label (RFC 1123 §2.1): 1..63 letters, digits and hyphens, not starting or ending with one. */
function validHostName(h: any): boolean {
  if (typeof h !== 'string' || h.length < 1 || h.length > 63 || h.charAt(0) === '-' || h.charAt(h.length - 1) === '-') return false;
  for (var i = 0; i < h.length; i++) {
    var c = h.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45)) return false;
  }
  return true;
}

function validHostAddress(a: number): boolean {
  return a !== 0 && a !== 0xffffffff && !isMulticast(a) && (a >>> 24) !== 127;
}

/**
 * A DHCP client on one interface. Make it with `start(stack, iface, options)` (or `new DhcpClient`
 * then `start()`). `state` (see STATE_NAMES), `lease` (null when none), `stats`.
 */
export class DhcpClient {
  readonly stack: StackLike;
  readonly iface: any;
  readonly stats: DhcpStats;
  /** The current lease, or null. */
  lease: Lease | null;
  state: number;
  /** The ACD of this interface (probing the acknowledged address, then defending it). */
  readonly acd: Acd;
  private o: DhcpOptions;
  private random: () => number;
  private buf: Uint8Array;
  /** Offsets (into the received buffer) of the value of each option, -1 when absent. */
  private opt: Int32Array;
  private optLen: Uint8Array;
  private clientId: Uint8Array;
  private hostName: string;
  private xid: number;
  private attempt: number;
  private nextMs: number;
  private startMs: number;
  private requestMs: number;
  private offered: number;
  private server: number;
  private requested: number;
  private t1Ms: number;
  private t2Ms: number;
  private expiryMs: number;
  private removeTimer: (() => void) | null;
  private sendOpts: any;
  private prevLinkHook: ((up: boolean) => void) | null;
  private linkFn: ((up: boolean) => void) | null;
  private pending: Lease | null;

  constructor(stack: StackLike, iface: any, options?: DhcpOptions) {
    if (!stack || typeof stack.addTimer !== 'function' || typeof stack.configure !== 'function')
      throw new Error('dhcp: stack must be a micronet stack (with configure and addTimer)');
    this.stack = stack;
    this.iface = stack.ifaceArg(iface, 0, 'dhcp: iface');
    var o = options || {};
    this.o = o;
    this.random = o.random || stack.config.random;
    if (o.hostName !== undefined && !validHostName(o.hostName))
      throw new Error('dhcp: options.hostName must be 1..63 letters, digits and inner hyphens');
    this.hostName = o.hostName || '';
    var id: any = o.clientId;
    if (id !== undefined) {
      if (!(id.length >= 2 && id.length <= 255)) throw new Error('dhcp: options.clientId must be 2..255 octets (RFC 2132 §9.14)');
      this.clientId = new Uint8Array(id.length);
      for (var i = 0; i < id.length; i++) this.clientId[i] = typeof id === 'string' ? id.charCodeAt(i) & 255 : id[i];
    } else {
      this.clientId = new Uint8Array(7);
      this.clientId[0] = 1;
      this.clientId.set(this.iface.mac, 1);
    }
    if (o.requestAttempts !== undefined && !(o.requestAttempts >= 1)) throw new Error('dhcp: options.requestAttempts must be at least 1');
    this.requested = o.requestedAddress ? parseIPv4(o.requestedAddress, 'dhcp: options.requestedAddress') : 0;
    this.stats = {
      discovers: 0, requests: 0, declines: 0, releases: 0, offers: 0, acks: 0, naks: 0, sendFailed: 0, lost: 0, conflicts: 0,
      tooShort: 0, badOp: 0, badHardware: 0, notForUs: 0, wrongXid: 0, badCookie: 0, truncatedOptions: 0, badOptionLength: 0,
      noMessageType: 0, unexpected: 0, noServerId: 0, wrongServer: 0, noLeaseTime: 0, badAddress: 0, badNetmask: 0,
      routerOffLink: 0, noClient: 0,
    };
    this.lease = null;
    this.pending = null;
    this.state = STOPPED;
    var self = this;
    this.acd = new Acd(stack, this.iface, { random: this.random, onLost: function () { self.conflictWhileBound(); } });
    this.buf = new Uint8Array(DHCP_BUFFER_LEN);
    this.opt = new Int32Array(256);
    this.optLen = new Uint8Array(256);
    this.xid = 0; this.attempt = 0; this.nextMs = 0; this.startMs = 0; this.requestMs = 0;
    this.offered = 0; this.server = 0; this.t1Ms = 0; this.t2Ms = 0; this.expiryMs = 0;
    this.removeTimer = null;
    this.sendOpts = { iface: this.iface };
    this.prevLinkHook = null;
    this.linkFn = null;
  }

  /**
   * Starts: INIT-REBOOT when options.requestedAddress was given, else INIT. The interface is
   * unconfigured (0.0.0.0) until a lease is bound. The first message leaves on the next poll.
   * @throws Error when another DHCP client runs on this interface or port 68 is bound by someone else.
   */
  start(): DhcpClient {
    if (this.state !== STOPPED) return this;
    var r = registry(this.stack);
    for (var i = 0; i < r.clients.length; i++)
      if (r.clients[i].iface === this.iface) throw new Error('dhcp.start: a DHCP client already runs on ' + this.iface.name);
    if (r.clients.length === 0) this.stack.udp.bind(DHCP_CLIENT_PORT, function (b: Uint8Array, o: number, l: number, info: any) { dispatch(r, b, o, l, info); });
    r.clients.push(this);
    var self = this;
    this.removeTimer = this.stack.addTimer(function (now: number) { self.timer(now); });
    this.prevLinkHook = this.iface.linkHook;
    this.linkFn = function (up: boolean) { self.link(up); };
    this.iface.linkHook = this.linkFn;
    this.stack.configure(this.iface, { address: '0.0.0.0', netmask: '0.0.0.0' });
    if (this.requested !== 0) this.enterReboot(this.stack.state.now);
    else { this.state = INIT; this.nextMs = this.stack.state.now; }
    return this;
  }

  /**
   * Stops the client: no more messages, timers or ARP defence. The interface keeps its address (use
   * release() to give the lease back).
   */
  stop(): void {
    if (this.state === STOPPED) return;
    this.state = STOPPED;
    this.acd.close();
    if (this.removeTimer) { this.removeTimer(); this.removeTimer = null; }
    if (this.iface.linkHook === this.linkFn) this.iface.linkHook = this.prevLinkHook;
    var r = registry(this.stack);
    var i = r.clients.indexOf(this);
    if (i >= 0) r.clients.splice(i, 1);
    if (r.clients.length === 0) this.stack.udp.unbind(DHCP_CLIENT_PORT);
  }

  /** Sends DHCPRELEASE for the lease (if any), unconfigures the interface and stops. */
  release(): void {
    if (this.lease && (this.state === BOUND || this.state === RENEWING || this.state === REBINDING)) {
      this.xid = this.newXid();
      var len = this.build(DHCPRELEASE, this.iface.address, 0, 0, this.server, false);
      this.send(this.server, len);
      this.stats.releases++;
    }
    this.lease = null;
    this.stop();
    this.stack.configure(this.iface, { address: '0.0.0.0', netmask: '0.0.0.0' });
  }

  /** The state name (e.g. "BOUND"). */
  stateName(): string {
    return STATE_NAMES[this.state];
  }

  private newXid(): number {
    return (Math.floor(this.random() * 65536) * 65536 + Math.floor(this.random() * 65536)) >>> 0;
  }

  /** Backoff before retransmission number `n` (0 = the first): min(4·2^n, 64) s ± 1 s (RFC 2131 §4.1). */
  private backoff(n: number): number {
    var base = n >= 4 ? 64000 : 4000 << n;
    return base - 1000 + Math.floor(this.random() * 2000);
  }

  /**
   * Writes a message of `type` into this.buf; returns its length. `ciaddr`, `requested` (option 50),
   * `server` (option 54; 0 = none); `broadcast` sets the BROADCAST flag.
   */
  private build(type: number, ciaddr: number, requested: number, unused: number, server: number, broadcast: boolean): number {
    var b = this.buf;
    b.fill(0);
    b[BOOTP_OP] = BOOTREQUEST;
    b[BOOTP_HTYPE] = 1;
    b[BOOTP_HLEN] = 6;
    put32(b, BOOTP_XID, this.xid);
    var secs = Math.floor((this.stack.state.now - this.startMs) / 1000);
    put16(b, BOOTP_SECS, secs < 0 ? 0 : secs > 65535 ? 65535 : secs);
    put16(b, BOOTP_FLAGS, broadcast ? FLAG_BROADCAST : 0);
    put32(b, BOOTP_CIADDR, ciaddr);
    b.set(this.iface.mac, BOOTP_CHADDR);
    put32(b, BOOTP_COOKIE, DHCP_MAGIC);
    var o = BOOTP_OPTIONS;
    b[o++] = OPT_MESSAGE_TYPE; b[o++] = 1; b[o++] = type;
    b[o++] = OPT_CLIENT_ID; b[o++] = this.clientId.length; b.set(this.clientId, o); o += this.clientId.length;
    if (requested !== 0) { b[o++] = OPT_REQUESTED_ADDRESS; b[o++] = 4; put32(b, o, requested); o += 4; }
    if (server !== 0) { b[o++] = OPT_SERVER_ID; b[o++] = 4; put32(b, o, server); o += 4; }
    if (type === DHCPDISCOVER || type === DHCPREQUEST) {
      b[o++] = OPT_MAX_MESSAGE_SIZE; b[o++] = 2; put16(b, o, 576); o += 2;
      b[o++] = OPT_PARAMETER_LIST; b[o++] = 8;
      b[o++] = OPT_SUBNET_MASK; b[o++] = OPT_ROUTER; b[o++] = OPT_DNS; b[o++] = OPT_DOMAIN_NAME;
      b[o++] = OPT_LEASE_TIME; b[o++] = OPT_SERVER_ID; b[o++] = OPT_RENEWAL_TIME; b[o++] = OPT_REBINDING_TIME;
      var h = this.hostName;
      if (h.length) {
        b[o++] = OPT_HOST_NAME; b[o++] = h.length;
        for (var i = 0; i < h.length; i++) b[o++] = h.charCodeAt(i);
      }
    }
    b[o++] = OPT_END;
    return o < BOOTP_MIN_LEN ? BOOTP_MIN_LEN : o;
  }

  /** Sends this.buf[0..len) to `dst` port 67 from port 68 on our interface. */
  private send(dst: number, len: number): boolean {
    var ok = false;
    try {
      ok = this.stack.udp.send(dst, DHCP_SERVER_PORT, this.buf.subarray(0, len), DHCP_CLIENT_PORT, this.sendOpts);
    } catch (e) {
      ok = false;
    }
    if (!ok) this.stats.sendFailed++;
    return ok;
  }

  private sendDiscover(): void {
    var len = this.build(DHCPDISCOVER, 0, 0, 0, 0, true);
    this.stats.discovers++;
    this.send(0xffffffff, len);
  }

  /** DHCPREQUEST as the state wants it (RFC 2131 §4.3.2 and Table 5). */
  private sendRequest(): void {
    var len: number, dst = 0xffffffff;
    if (this.state === REQUESTING) len = this.build(DHCPREQUEST, 0, this.offered, 0, this.server, true);
    else if (this.state === REBOOTING) len = this.build(DHCPREQUEST, 0, this.requested, 0, 0, true);
    else if (this.state === RENEWING) { len = this.build(DHCPREQUEST, this.iface.address, 0, 0, 0, false); dst = this.server; }
    else len = this.build(DHCPREQUEST, this.iface.address, 0, 0, 0, false); // REBINDING
    this.stats.requests++;
    this.send(dst, len);
  }

  private enterInit(now: number): void {
    this.state = SELECTING;
    this.xid = this.newXid();
    this.startMs = now;
    this.attempt = 0;
    this.sendDiscover();
    this.nextMs = now + this.backoff(0);
  }

  private enterReboot(now: number): void {
    this.state = REBOOTING;
    this.xid = this.newXid();
    this.startMs = now;
    this.requestMs = now;
    this.attempt = 0;
    this.sendRequest();
    this.nextMs = now + this.backoff(0);
  }

  /** Unconfigures the interface and reports the loss (when a lease was in use). */
  private lose(): void {
    this.acd.stop();
    var had = this.lease !== null;
    this.lease = null;
    this.stack.configure(this.iface, { address: '0.0.0.0', netmask: '0.0.0.0' });
    if (had) {
      this.stats.lost++;
      if (this.o.onLost) this.o.onLost();
    }
  }

  private renewWait(now: number, until: number): number {
    var half = (until - now) / 2;
    var t = now + (half > RENEW_RETRY_MIN_MS ? half : RENEW_RETRY_MIN_MS);
    return t > until ? until : t;
  }

  /** Timer hook, every Config.timerIntervalMs of poll time. */
  timer(now: number): void {
    var s = this.state;
    if (s === INIT) { this.enterInit(now); return; }
    if (s === DECLINED) { if (now >= this.nextMs) this.enterInit(now); return; }
    if (s === SELECTING) {
      if (now >= this.nextMs) { // DHCPDISCOVER is retransmitted without end (RFC 2131 §4.4.1)
        this.attempt++;
        this.sendDiscover();
        this.nextMs = now + this.backoff(this.attempt);
      }
      return;
    }
    if (s === REQUESTING || s === REBOOTING) {
      if (now >= this.nextMs) {
        this.attempt++;
        if (this.attempt >= (this.o.requestAttempts || 4)) { this.state = INIT; this.enterInit(now); return; }
        this.sendRequest();
        this.nextMs = now + this.backoff(this.attempt);
      }
      return;
    }
    if (s === BOUND || s === RENEWING || s === REBINDING) {
      if (now >= this.expiryMs) { this.lose(); this.enterInit(now); return; }
      if (s !== REBINDING && now >= this.t2Ms) {
        this.state = REBINDING;
        this.xid = this.newXid();
        this.startMs = now;
        this.requestMs = now;
        this.sendRequest();
        this.nextMs = this.renewWait(now, this.expiryMs);
        return;
      }
      if (s === BOUND && now >= this.t1Ms) {
        this.state = RENEWING;
        this.xid = this.newXid();
        this.startMs = now;
        this.requestMs = now;
        this.sendRequest();
        this.nextMs = this.renewWait(now, this.t2Ms);
        return;
      }
      if (s !== BOUND && now >= this.nextMs) {
        this.sendRequest();
        this.nextMs = this.renewWait(now, s === RENEWING ? this.t2Ms : this.expiryMs);
      }
    }
  }

  /** Link events: when the link comes back while we hold a lease, verify it at once (renew now). */
  private link(up: boolean): void {
    if (this.prevLinkHook) this.prevLinkHook(up);
    if (up && this.state === BOUND) this.t1Ms = this.stack.state.now;
  }

  /**
   * Scans options in buf[start..end) into this.opt/this.optLen. Returns false when an option runs past
   * `end` (counted). Stops at OPT_END.
   */
  private scan(buf: Uint8Array, start: number, end: number): boolean {
    var p = start;
    while (p < end) {
      var code = buf[p];
      if (code === OPT_END) return true;
      if (code === OPT_PAD) { p++; continue; }
      if (p + 1 >= end || p + 2 + buf[p + 1] > end) { this.stats.truncatedOptions++; return false; }
      // The first instance wins; RFC 3396 concatenation of split options is not needed for what we read.
      if (this.opt[code] < 0) { this.opt[code] = p + 2; this.optLen[code] = buf[p + 1]; }
      p += 2 + buf[p + 1];
    }
    return true;
  }

  /** Offset of option `code` when present with a length `len` (or a multiple of it when `multiple`). */
  private optAt(code: number, len: number, multiple: boolean): number {
    var at = this.opt[code];
    if (at < 0) return -1;
    var l = this.optLen[code];
    if (multiple ? (l === 0 || l % len !== 0) : l !== len) { this.stats.badOptionLength++; return -1; }
    return at;
  }

  /**
   * UDP input on port 68 for this interface: the message is buf[off..off+len), a view into a ring
   * frame valid only during the call. Every message we cannot use is a counted drop.
   */
  input(buf: Uint8Array, off: number, len: number): void {
    var st = this.stats;
    if (this.state === STOPPED) return;
    if (len < BOOTP_OPTIONS) { st.tooShort++; return; }
    if (buf[off + BOOTP_OP] !== BOOTREPLY) { st.badOp++; return; }
    if (buf[off + BOOTP_HTYPE] !== 1 || buf[off + BOOTP_HLEN] !== 6) { st.badHardware++; return; }
    if (!macEqual(buf, off + BOOTP_CHADDR, this.iface.mac, 0)) { st.notForUs++; return; }
    if (get32(buf, off + BOOTP_XID) !== this.xid) { st.wrongXid++; return; }
    if (get32(buf, off + BOOTP_COOKIE) !== DHCP_MAGIC) { st.badCookie++; return; }
    this.opt.fill(-1);
    if (!this.scan(buf, off + BOOTP_OPTIONS, off + len)) return;
    var ov = this.optAt(OPT_OVERLOAD, 1, false);
    if (ov >= 0) { // RFC 2132 §9.3: options continue in file (1), sname (2) or both (3)
      var v = buf[ov];
      if ((v & 1) && !this.scan(buf, off + BOOTP_FILE, off + BOOTP_FILE + 128)) return;
      if ((v & 2) && !this.scan(buf, off + BOOTP_SNAME, off + BOOTP_SNAME + 64)) return;
    }
    var mt = this.optAt(OPT_MESSAGE_TYPE, 1, false);
    if (mt < 0) { st.noMessageType++; return; }
    var type = buf[mt];
    var sid = this.optAt(OPT_SERVER_ID, 4, false);
    var server = sid >= 0 ? get32(buf, sid) : 0;
    var s = this.state;
    var now = this.stack.state.now;
    if (type === DHCPOFFER) {
      if (s !== SELECTING) { st.unexpected++; return; }
      if (server === 0) { st.noServerId++; return; }
      var y = get32(buf, off + BOOTP_YIADDR);
      if (!validHostAddress(y)) { st.badAddress++; return; }
      st.offers++;
      this.offered = y;
      this.server = server;
      this.state = REQUESTING;
      this.attempt = 0;
      this.requestMs = now;
      this.sendRequest();
      this.nextMs = now + this.backoff(0);
      return;
    }
    if (type === DHCPACK || type === DHCPNAK) {
      if (s !== REQUESTING && s !== REBOOTING && s !== RENEWING && s !== REBINDING) { st.unexpected++; return; }
      if (server === 0 && type === DHCPACK) { st.noServerId++; return; }
      if (s === REQUESTING && server !== 0 && server !== this.server) { st.wrongServer++; return; }
      if (type === DHCPNAK) {
        st.naks++;
        // RFC 2131 §3.1 step 5, §3.2 step 3: restart the configuration process.
        this.lose();
        this.state = INIT;
        this.timer(now);
        return;
      }
      var lease = this.parseLease(buf, off, server);
      if (lease === null) return;
      st.acks++;
      this.server = server;
      if (s === RENEWING || s === REBINDING) {
        var changed = this.lease === null || this.lease.address !== lease.address;
        this.apply(lease);
        if (changed) { this.acd.bind(lease.address); if (this.o.onBound) this.o.onBound(lease); }
        else if (this.o.onRenewed) this.o.onRenewed(lease);
        return;
      }
      if (this.o.probe === false) { this.bind(lease); return; }
      this.state = PROBING;
      this.pending = lease;
      var self = this;
      this.acd.probe(lease.address, function (err: any) { self.probed(err); });
      return;
    }
    st.unexpected++;
  }

  /** The lease in an ACK (options already scanned), or null when it lacks what we need (counted). */
  private parseLease(buf: Uint8Array, off: number, server: number): Lease | null {
    var st = this.stats;
    var y = get32(buf, off + BOOTP_YIADDR);
    if (!validHostAddress(y)) { st.badAddress++; return null; }
    var lt = this.optAt(OPT_LEASE_TIME, 4, false);
    if (lt < 0) { st.noLeaseTime++; return null; }
    var leaseTime = get32(buf, lt);
    var mask = classfulMask(y);
    var m = this.optAt(OPT_SUBNET_MASK, 4, false);
    if (m >= 0) {
      var mv = get32(buf, m);
      if (prefixLength(mv) > 0 && mv !== 0xffffffff) mask = mv; else st.badNetmask++;
    }
    var gateway: string | null = null;
    var r = this.optAt(OPT_ROUTER, 4, true);
    if (r >= 0) {
      for (var i = 0; i < this.optLen[OPT_ROUTER] && gateway === null; i += 4) {
        var g = get32(buf, r + i);
        if (g !== y && ((g ^ y) & mask) === 0 && validHostAddress(g)) gateway = formatIPv4(g);
      }
      if (gateway === null) st.routerOffLink++;
    }
    var dns: string[] = [];
    var d = this.optAt(OPT_DNS, 4, true);
    if (d >= 0) for (var j = 0; j < this.optLen[OPT_DNS] && dns.length < MAX_DNS_SERVERS; j += 4) dns.push(formatIPv4(get32(buf, d + j)));
    var t1 = Math.floor(leaseTime / 2), t2 = Math.floor(leaseTime * 7 / 8);
    var a = this.optAt(OPT_RENEWAL_TIME, 4, false), b = this.optAt(OPT_REBINDING_TIME, 4, false);
    var t1o = a >= 0 ? get32(buf, a) : -1, t2o = b >= 0 ? get32(buf, b) : -1;
    if (t2o > 0 && t2o <= leaseTime) t2 = t2o;
    if (t1o > 0 && t1o < t2) t1 = t1o; else if (t1 >= t2) t1 = Math.floor(t2 / 2);
    var dn: string | null = null;
    var dno = this.opt[OPT_DOMAIN_NAME];
    if (dno >= 0) {
      dn = '';
      for (var k = 0; k < this.optLen[OPT_DOMAIN_NAME]; k++) if (buf[dno + k] !== 0) dn += String.fromCharCode(buf[dno + k]);
    }
    return {
      address: formatIPv4(y), netmask: formatIPv4(mask), gateway: gateway, dns: dns, server: formatIPv4(server),
      leaseTime: leaseTime, renewalTime: t1, rebindingTime: t2, domainName: dn, startMs: this.requestMs,
    };
  }

  /** Sets the lease timers and configures the interface. */
  private apply(lease: Lease): void {
    var infinite = lease.leaseTime === 0xffffffff;
    var t0 = lease.startMs;
    this.t1Ms = infinite ? Infinity : t0 + lease.renewalTime * 1000;
    this.t2Ms = infinite ? Infinity : t0 + lease.rebindingTime * 1000;
    this.expiryMs = infinite ? Infinity : t0 + lease.leaseTime * 1000;
    this.lease = lease;
    this.state = BOUND;
    var cfg: any = { address: lease.address, netmask: lease.netmask };
    if (lease.gateway) cfg.gateway = lease.gateway;
    if (this.iface.address !== parseIPv4(lease.address) || this.iface.netmask !== parseIPv4(lease.netmask) ||
      this.iface.gateway !== (lease.gateway ? parseIPv4(lease.gateway) : 0)) this.stack.configure(this.iface, cfg);
    if (this.o.resolver && lease.dns.length) this.o.resolver.setServers(lease.dns);
  }

  private bind(lease: Lease): void {
    this.pending = null;
    this.apply(lease);
    this.acd.bind(lease.address);
    if (this.o.onBound) this.o.onBound(lease);
  }

  /** The end of the probe of an acknowledged address. */
  private probed(err: any): void {
    if (this.state !== PROBING || this.pending === null) return;
    var lease = this.pending;
    if (!err) { this.bind(lease); return; }
    this.decline(parseIPv4(lease.address));
  }

  /** DHCPDECLINE for `address` (RFC 2131 §3.1 step 5), then INIT after DECLINE_WAIT_MS. */
  private decline(address: number): void {
    this.stats.conflicts++;
    this.pending = null;
    var len = this.build(DHCPDECLINE, 0, address, 0, this.server, false);
    this.stats.declines++;
    this.send(0xffffffff, len);
    this.state = DECLINED;
    this.nextMs = this.stack.state.now + DECLINE_WAIT_MS;
  }

  /** ACD gave up a bound address to a conflict (RFC 5227 §2.4 (c)): decline it and start over. */
  private conflictWhileBound(): void {
    if (this.lease === null) return;
    var a = parseIPv4(this.lease.address);
    this.lose();
    this.decline(a);
  }
}

/**
 * Starts a DHCP client on `iface` (an interface of `stack` or its name); see DhcpOptions.
 * @throws Error naming the option on misuse (see DhcpClient and start()).
 */
export function start(stack: StackLike, iface: any, options?: DhcpOptions): DhcpClient {
  return new DhcpClient(stack, iface, options).start();
}
