/**
 * IEEE 802.1Q VLAN interfaces (VLAN = 2 builds, src/features.ts). The tag sits between the source MAC
 * and the EtherType:
 *   12 TPID 0x8100   14 PCP (3 bits, priority) | DEI (1 bit) | VID (12 bits)   16 the frame's EtherType
 * Received tags are removed in Ethernet input (input.ts, ethOther) and the frame goes to the interface of
 * its VLAN ID on that device (VID 0, priority tagging, to the untagged one).
 *
 * Several interfaces on one device ("siblings", `iface.vlans`, one array shared by them) each get a
 * wrapper Device around the shared one (the "port"):
 * - send: a VLAN interface's wrapper inserts the tag in front of the EtherType, sends, and takes it out
 *   again (the frame is unchanged for the caller); the untagged interface's passes the frame through;
 * - receive: one wrapper reads the port: the untagged interface's if there is one, else the first VLAN
 *   interface's, which drops untagged frames (eth.rx and eth.otherVlan); the others read nothing;
 * - setMulticast: each wrapper keeps its interface's list and gives the port the union of all.
 * The chip drivers send frames of at most 1514 octets, so a VLAN interface should send IPv4 datagrams of
 * at most 1496 octets (as Linux gives a VLAN on a device that cannot carry 1518-octet frames); it
 * receives 1518-octet frames (Config.frameSize 1518).
 */
import { StackState, Iface } from './types';
import { Device } from '../drivers/device';
import { ETH_RX, ETH_OTHER_VLAN } from './stats';
import { ifaceFilter } from './iface';
import { ERROR_TEXT } from '../features';

/** An interface's wrapper around the device its siblings share. @internal */
export interface VlanDevice extends Device {
  /** It reads the shared device. */
  reader: boolean;
  /** The shared device. */
  port: Device;
  /** This interface's multicast MACs (null: all), as last set. */
  macs: Uint8Array[] | null;
}

/** The wrapper for VLAN `vid` (0: untagged) with priority `pcp` on `port` (see the
 *  module's comment), shared with the interfaces `sibs`. */
function vlanDevice(s: StackState, port: Device, vid: number, pcp: number, reader: boolean, sibs: Iface[]): VlanDevice {
  var w: VlanDevice = {
    mac: port.mac, reader: reader, port: port, macs: [],
    rxChecksumOffload: port.rxChecksumOffload, txChecksumOffload: port.txChecksumOffload,
    receive: function (f: Uint8Array): number {
      for (var k = 0; w.reader && k < 64; k++) {
        var n = port.receive(f);
        if (!(n > 0) || vid === 0 || (f[12] === 0x81 && f[13] === 0)) return n;
        s.c[ETH_RX]++;
        s.c[ETH_OTHER_VLAN]++;
      }
      return 0;
    },
    send: function (f: Uint8Array, len: number): boolean {
      if (vid === 0) return port.send(f, len);
      // IEEE 802.1Q §9.6: TPID 0x8100, then PCP, DEI 0 and the VID
      f.set(f.subarray(12, len), 16);
      f[12] = 0x81; f[13] = 0; f[14] = (pcp << 5) | (vid >>> 8); f[15] = vid;
      var ok = port.send(f, len + 4);
      f.set(f.subarray(16, len + 4), 12);
      return ok;
    },
  };
  if (port.linkUp) w.linkUp = function () { return (port as any).linkUp(); };
  if (port.setMulticast) w.setMulticast = function (m: Uint8Array[] | null) {
    w.macs = m;
    var all: Uint8Array[] | null = [];
    for (var i = 0; i < sibs.length; i++) {
      var l = (sibs[i].device as VlanDevice).macs;
      if (l === null) { all = null; break; }
      for (var j = 0; j < l.length; j++) all.push(l[j]);
    }
    (port as any).setMulticast(all);
  };
  return w;
}

/**
 * Joins the new interface `iface` (not yet in s.ifaces) to the other interfaces on its device when it
 * has a VLAN (opts.vlan 1..4094, opts.priority 0..7) or the device already carries VLAN interfaces, and
 * gives each a wrapper device (an untagged interface already there gets one too).
 * @throws Error naming the option: a VLAN ID outside 1..4094, a priority outside 0..7, a VLAN ID (or an
 * untagged interface) the device already has, frames too small to carry a tag (Config.frameSize < 1518).
 */
export function vlanAttach(s: StackState, iface: Iface, opts: any): void {
  var port = iface.device, vid = opts.vlan === undefined || opts.vlan === null ? 0 : opts.vlan;
  var pcp = opts.priority === undefined ? 0 : opts.priority;
  if (vid !== 0 || opts.priority !== undefined) {
    if (!(vid >= 1 && vid <= 4094 && Math.floor(vid) === vid)) throw new Error('addInterface: vlan ' + opts.vlan + (ERROR_TEXT ? ' is not a VLAN ID 1..4094 (0 is priority tagging, 4095 reserved: IEEE 802.1Q §9.6)' : ' not 1..4094'));
    if (!(pcp >= 0 && pcp <= 7 && Math.floor(pcp) === pcp)) throw new Error('addInterface: priority ' + opts.priority + (ERROR_TEXT ? ' is not 0..7 (the 802.1Q PCP)' : ' not 0..7'));
    if (s.cfg.frameSize < 1518) throw new Error('addInterface: vlan' + (ERROR_TEXT ? ' needs options.frameSize >= 1518 (a tagged frame is 4 octets longer)' : ' needs frameSize 1518'));
  }
  var sibs: Iface[] | null = null, i: number, x: Iface;
  for (i = 0; i < s.ifaces.length && sibs === null; i++) {
    x = s.ifaces[i];
    if (x.vlans && (x.device as VlanDevice).port === port) sibs = x.vlans;
    else if (!x.vlans && x.device === port && vid !== 0) {
      // the untagged interface already on the device: wrapped, it keeps reading it
      sibs = x.vlans = [x];
      x.vlan = 0;
      (x as any).device = vlanDevice(s, port, 0, 0, true, sibs);
      ifaceFilter(x);
    }
  }
  if (sibs === null) {
    if (vid === 0) return;
    sibs = [];
  }
  for (i = 0; i < sibs.length; i++) if (sibs[i].vlan === vid)
    throw new Error('addInterface: ' + (vid ? 'vlan ' + vid : 'an untagged interface') + (ERROR_TEXT ? ' exists on this device already (' + sibs[i].name + ')' : ' taken'));
  var reader = true;
  for (i = 0; i < sibs.length; i++) {
    var d = sibs[i].device as VlanDevice;
    // the untagged interface reads the device; the others' wrappers stop reading
    if (vid === 0) d.reader = false;
    else if (d.reader) reader = false;
  }
  iface.vlan = vid;
  iface.vlans = sibs;
  sibs.push(iface);
  (iface as any).device = vlanDevice(s, port, vid, pcp, reader, sibs);
}
