/**
 * The Ethernet service (`stack.eth`): EtherTypes other than IPv4 and ARP handed to a module or an
 * application, raw frames sent through an interface, and multicast MACs added to a device's filter.
 *
 * For a protocol module (micronet-ipv6 installs EtherType 0x86DD this way), in the spirit of stack.ip:
 *   eth.register(0x86dd, function (iface, frame, len) { ...; return false; });
 *     every received frame of that EtherType, frame[0..len): destination MAC 0..6, source MAC 6..12,
 *     EtherType 12..14, payload from 14 (an 802.1Q tag already removed; `iface` is the interface the
 *     frame belongs to, a VLAN interface for a tagged frame). Counted eth.delivered. Return true to keep
 *     the frame (then give it back with eth.give, once); false leaves it to the stack. The frame is valid
 *     only during the call unless kept.
 *   var f = eth.take();                 a free ring frame (null: none free, counted ip.noFrame)
 *   f.set(dstMac, 0); f[12] = 0x86; f[13] = 0xdd; ...payload at f[14..len)...
 *   eth.send(iface, f, len);            the source MAC is written (6..12), the frame handed to the
 *                                       device (tagged for a VLAN interface); true when the device took it
 *   eth.give(f);                        always, after send (the frame stays the caller's)
 *   eth.addMulticast(iface, mac);       accept frames to that multicast MAC (33:33:ff:xx:xx:xx for a
 *   eth.removeMulticast(iface, mac);    solicited-node group): the device's filter holds the IGMP groups'
 *                                       MACs and these
 * The handler is called from stack.poll (never re-entrantly for the same frame); it may send (take,
 * send, give) from inside the call. Timers: stack.addTimer; interfaces: stack.interfaces (each with
 * `mac`, `name`, `up`).
 */
import { StackState, Iface, EthHandler } from './types';
import { take, give, ifaceSend } from './ring';
import { ifaceFilter } from './iface';
import { parseMac } from '../wire/addr';
import { ERROR_TEXT, RAW_ETHERNET, VLAN } from '../features';

/** The Ethernet service of a stack (ETHERTYPES builds). */
export interface EthService {
  /**
   * Installs `handler` for received frames of `etherType` (0x0600..0xffff, RFC 894 / IEEE 802.3: smaller
   * values are 802.3 lengths) on every interface. See EthHandler for the frame's shape and ownership.
   * @throws Error when the EtherType is out of range, is one the core handles (0x0800 IPv4, 0x0806 ARP,
   * 0x8100 802.1Q), already has a handler, or the handler is not a function.
   */
  register(etherType: number, handler: EthHandler): void;
  /** Removes the handler of `etherType` (no error if none). */
  unregister(etherType: number): void;
  /** A free ring frame of Config.frameSize octets (contents undefined), or null (counted ip.noFrame). */
  take(): Uint8Array | null;
  /** Gives a frame back to the ring (once per frame taken or kept). */
  give(frame: Uint8Array): void;
  /**
   * Sends frame[0..len) through `iface` (an interface of this stack): the caller has written the
   * destination MAC (0..6), the EtherType (12..14) and the payload (14..len); the stack writes the
   * interface's MAC as source (6..12). On a VLAN interface the device inserts the 802.1Q tag. Returns
   * what the device returned (counted eth.tx or eth.txFail); the frame stays the caller's.
   * @throws Error when `len` is outside 14..1514, `iface` is not an interface of this stack, or the
   * frame's EtherType is below 0x0600 or one the core handles.
   */
  send(iface: Iface, frame: Uint8Array, len: number): boolean;
  /**
   * Raw Ethernet for applications (RAW_ETHERNET builds): sends a frame of `etherType` (0x0600..0xffff,
   * not 0x0800, 0x0806 or 0x8100, which the core sends itself) to `dstMac` (6 octets, or text
   * "02:00:00:00:00:02"; ff:ff:ff:ff:ff:ff for broadcast) through `iface` (an interface of this stack
   * or its name), from a ring frame: `write(buf, off)` writes exactly `length` payload octets at
   * buf[off .. off+length) (off = 14; the view is valid only during the call), then the stack writes
   * the Ethernet header (destination, the interface's MAC as source, the EtherType; IEEE 802.3 §3.2) and
   * hands the frame to the device (tagged for a VLAN interface; the chip pads a frame below 60 octets).
   * Returns true when the device took it (eth.tx), false when not (eth.txFail) or no ring frame was
   * free (ip.noFrame). Receive with `register` (a handler for the EtherType; the frame is eth.delivered).
   * @throws Error naming the argument: an unknown interface, an EtherType out of range or the core's,
   * a MAC that is not 6 octets, `length` outside 0..1500 (1496 on a VLAN interface), write not a function.
   */
  sendWith(iface: Iface | string, dstMac: Uint8Array | string, etherType: number, length: number,
    write: (buf: Uint8Array, off: number) => void): boolean;
  /** Adds a multicast MAC (6 octets or "33:33:ff:00:00:01"; group bit set) to `iface`'s device filter.
   *  @throws Error when it is not a multicast MAC. */
  addMulticast(iface: Iface, mac: Uint8Array | string): void;
  /** Removes a MAC added with addMulticast; false when it was not there. */
  removeMulticast(iface: Iface, mac: Uint8Array | string): boolean;
}

/** EtherTypes the core handles itself: IPv4, ARP, 802.1Q. */
function coreType(t: number): boolean {
  return t === 0x0800 || t === 0x0806 || t === 0x8100;
}

/** Index of `mac` in iface.ethMacs, or -1. */
function macIndex(iface: Iface, m: Uint8Array): number {
  var l = iface.ethMacs;
  for (var i = 0; i < l.length; i++) {
    var x = l[i];
    if (x[0] === m[0] && x[1] === m[1] && x[2] === m[2] && x[3] === m[3] && x[4] === m[4] && x[5] === m[5]) return i;
  }
  return -1;
}

/** Checks an EtherType an application sends or listens to. @throws Error naming `what`. */
function typeArg(t: number, what: string): void {
  if ((t & 0xffff) !== t || t < 0x600 || coreType(t))
    throw new Error(what + ': EtherType ' + t + (ERROR_TEXT ? ' is not 0x0600..0xffff or is one the core handles (0x0800, 0x0806, 0x8100)' : ' not allowed'));
}

/** stack.eth (see EthService). @internal */
export class EthApi {
  s: StackState;
  constructor(s: StackState) { this.s = s; }
  register(etherType: number, handler: EthHandler): void {
    var s = this.s;
    typeArg(etherType, 'eth.register');
    if (typeof handler !== 'function') throw new Error('eth.register: handler must be a function');
    if (s.ethTypes[etherType]) throw new Error('eth.register: EtherType ' + etherType + (ERROR_TEXT ? ' already has a handler' : ' taken'));
    s.ethTypes[etherType] = handler;
  }
  unregister(etherType: number): void {
    delete this.s.ethTypes[etherType];
  }
  take(): Uint8Array | null { return take(this.s); }
  give(f: Uint8Array): void { give(this.s, f); }
  send(iface: Iface, f: Uint8Array, len: number): boolean {
    if (this.s.ifaces.indexOf(iface) < 0) throw new Error('eth.send: iface is not an interface of this stack');
    if (!(len >= 14 && len <= 1514)) throw new Error('eth.send: length ' + len + (ERROR_TEXT ? ' is outside 14..1514 octets' : ' not 14..1514'));
    if (RAW_ETHERNET) typeArg((f[12] << 8) | f[13], 'eth.send');
    f.set(iface.mac, 6);
    return ifaceSend(this.s, iface, f, len);
  }
  addMulticast(iface: Iface, mac: Uint8Array | string): void {
    var m = parseMac(mac as any, 'eth.addMulticast: mac');
    if ((m[0] & 1) === 0) throw new Error('eth.addMulticast: mac' + (ERROR_TEXT ? ' is not a multicast address (group bit clear)' : ' not multicast'));
    if (macIndex(iface, m) < 0) { iface.ethMacs.push(m); ifaceFilter(iface); }
  }
  removeMulticast(iface: Iface, mac: Uint8Array | string): boolean {
    var i = macIndex(iface, parseMac(mac as any, 'eth.removeMulticast: mac'));
    if (i < 0) return false;
    iface.ethMacs.splice(i, 1);
    ifaceFilter(iface);
    return true;
  }
}

/** eth.sendWith (see EthService; RAW_ETHERNET builds). */
if (RAW_ETHERNET) (EthApi.prototype as any).sendWith = function (this: EthApi, iface: Iface | string, dstMac: Uint8Array | string,
  etherType: number, length: number, write: (buf: Uint8Array, off: number) => void): boolean {
  var s = this.s, to: Iface | null = null;
  for (var i = 0; i < s.ifaces.length; i++) if (s.ifaces[i] === iface || s.ifaces[i].name === iface) to = s.ifaces[i];
  if (to === null) throw new Error('eth.sendWith: iface' + (ERROR_TEXT ? ' is not an interface of this stack (nor its name)' : ' unknown'));
  typeArg(etherType, 'eth.sendWith');
  var m = typeof dstMac === 'string' ? parseMac(dstMac, 'eth.sendWith: dstMac') : dstMac;
  if (!m || m.length !== 6) throw new Error('eth.sendWith: dstMac must be 6 octets');
  var max = VLAN > 1 && to.vlan ? 1496 : 1500;
  if (!((length | 0) === length && length >= 0 && length <= max)) throw new Error('eth.sendWith: length ' + length + (ERROR_TEXT ? ' is not 0..' + max + ' octets' : ' not 0..' + max));
  if (typeof write !== 'function') throw new Error('eth.sendWith: write must be a function');
  var f = take(s);
  if (f === null) return false;
  try { write(f, 14); } catch (e) { give(s, f); throw e; }
  f.set(m, 0);
  f.set(to.mac, 6);
  f[12] = etherType >>> 8; f[13] = etherType;
  var r = ifaceSend(s, to, f, 14 + length);
  give(s, f);
  return r;
};
