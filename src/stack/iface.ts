/**
 * A network interface: one Device with its IPv4 configuration, ARP cache and counters (the shape is
 * Iface in types.ts).
 */
import { Device } from '../drivers/device';
import { Config } from './config';
import { Iface } from './types';
import { ARP_W, ARP_B } from './arp';
import { ARP, IGMP, ETHERTYPES, MULTI_ADDRESS } from '../features';
import { multicastMac } from '../wire/addr';

export { Iface } from './types';

/** Options of stack.addInterface. Addresses are dotted-quad strings (or unsigned 32-bit numbers). */
export interface InterfaceOptions {
  /** Our IPv4 address on this link. */
  address: string | number;
  /** The subnet mask, contiguous ones ("255.255.255.0"). */
  netmask: string | number;
  /** The default gateway on this link, inside the subnet; optional. */
  gateway?: string | number;
  /** A name for logs and stats; default "eth<N>". */
  name?: string;
  /** Resolve next hops with ARP (default true). Off for a multicast-only link or for loopback. */
  arp?: boolean;
  /** 802.1Q VLAN ID 1..4094 (VLAN = 2 builds, src/stack/vlan.ts): the interface sends and receives
   *  frames tagged with it on `device`, which may carry several VLAN interfaces and an untagged one. */
  vlan?: number;
  /** 802.1Q priority (PCP) 0..7 of the frames a VLAN interface sends; default 0. */
  priority?: number;
}

/** A new interface on `device` (the ARP cache allocated here, once). */
export function newIface(device: Device, name: string, address: number, netmask: number, gateway: number, arp: boolean, cfg: Config): Iface {
  var n = ARP > 0 ? cfg.arpCacheSize : 0, q = ARP === 2 ? cfg.arpQueueLength : 0;
  var queue: (Uint8Array | null)[] = [];
  for (var i = 0; i < n * q; i++) queue.push(null);
  var f: Iface = {
    name: name, device: device, mac: device.mac, address: address, netmask: netmask,
    broadcast: (address | ~netmask) >>> 0, gateway: gateway, up: true, counters: { rx: 0, tx: 0, txFail: 0 },
    arpMode: arp ? ARP : 0, arpSize: n, arpQ: q, arpTimes: new Float64Array(n * (ARP_W + q) || 1),
    arpBytes: new Uint8Array(n * ARP_B || 1), arpQueue: queue, arpLast: 0,
    announce: arp && ARP === 2, groups: IGMP ? [0xe0000001] : [], memberships: [], arpHook: null, linkHook: null,
    igmpV1UntilMs: -1, rxOffload: !!device.rxChecksumOffload, txOffload: !!device.txChecksumOffload,
    ethMacs: [],
  };
  // last, so that the per-frame paths' lookups of the other fields walk no further (MULTI_ADDRESS)
  if (MULTI_ADDRESS) f.addrs = [];
  return f;
}

/**
 * Passes the multicast MACs wanted on `iface` to its device's filter (Device.setMulticast): when any
 * group is joined, 224.0.0.1's and each joined group's (01:00:5e and the group's low 23 bits, RFC 1112
 * §6.4; queries go to 224.0.0.1), then those EtherType modules asked for (stack.eth.addMulticast). An
 * empty list accepts no multicast. Called when the groups or the modules' MACs change.
 */
export function ifaceFilter(iface: Iface): void {
  var dev = iface.device;
  if (!dev.setMulticast) return;
  var macs: Uint8Array[] = [], ms = iface.memberships, m: Uint8Array;
  for (var i = -1; IGMP && ms.length > 0 && i < ms.length; i++) {
    m = new Uint8Array(6);
    multicastMac(i < 0 ? 0xe0000001 : ms[i].group, m, 0);
    macs.push(m);
  }
  for (var j = 0; ETHERTYPES && j < iface.ethMacs.length; j++) macs.push(iface.ethMacs[j]);
  dev.setMulticast(macs);
}
