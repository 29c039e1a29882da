/**
 * A network interface: one Device with its IPv4 configuration, ARP cache and counters.
 */
import { Device } from '../drivers/device';
import { ArpCache } from './arp';
import { Config } from './config';
import { Membership } from './igmp';

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
}

/** Per-interface counters (the per-layer ones are in stack.stats()). */
export interface IfaceCounters {
  rx: number; tx: number; txFail: number;
}

export class Iface {
  readonly name: string;
  readonly device: Device;
  /** Our hardware address: the device's MAC. */
  readonly mac: Uint8Array;
  /** Address, netmask, subnet-directed broadcast and gateway (0 = none), unsigned 32-bit. */
  address: number;
  netmask: number;
  broadcast: number;
  gateway: number;
  arpEnabled: boolean;
  readonly arp: ArpCache;
  /** Link state as last seen (true if the device does not report it). */
  up: boolean;
  /** A gratuitous ARP is owed (set when the interface is added and when its link comes up). */
  announce: boolean;
  /** Multicast groups accepted on this interface (unsigned 32-bit); 224.0.0.1 always (RFC 1112 §4). */
  groups: number[];
  readonly counters: IfaceCounters;
  /** Groups joined through IGMP (see igmp.ts); `groups` is derived from it. */
  memberships: Membership[];
  /**
   * Called with every valid IPv4-over-Ethernet ARP packet received on this interface (frame, offset of
   * the ARP packet), before the stack acts on it — address conflict detection (RFC 5227) listens here.
   * The frame is valid only during the call. Null when nobody listens.
   */
  arpHook: ((frame: Uint8Array, off: number) => void) | null;
  /** Called when the link goes up (true) or down (false), as seen by the link checks. */
  linkHook: ((up: boolean) => void) | null;
  /** Until when (ms) an IGMPv1 querier is taken to be present (RFC 2236 §4). */
  igmpV1UntilMs: number;
  /**
   * The device checks received IPv4 and UDP checksums (`device.rxChecksumOffload`), or fills the ones
   * we send (`device.txChecksumOffload`). Read once, when the interface is added.
   */
  readonly rxChecksumOffload: boolean;
  readonly txChecksumOffload: boolean;

  constructor(device: Device, name: string, address: number, netmask: number, gateway: number, arp: boolean, cfg: Config) {
    this.device = device;
    this.name = name;
    this.mac = device.mac;
    this.address = address;
    this.netmask = netmask;
    this.broadcast = (address | ~netmask) >>> 0;
    this.gateway = gateway;
    this.arpEnabled = arp;
    this.arp = new ArpCache(cfg.arpCacheSize, cfg.arpQueueLength);
    this.up = true;
    this.announce = arp;
    this.groups = [0xe0000001];
    this.counters = { rx: 0, tx: 0, txFail: 0 };
    this.memberships = [];
    this.igmpV1UntilMs = -1;
    this.arpHook = null;
    this.linkHook = null;
    this.rxChecksumOffload = !!(device as any).rxChecksumOffload;
    this.txChecksumOffload = !!(device as any).txChecksumOffload;
  }

  /** True when `a` is on this interface's subnet. */
  onLink(a: number): boolean {
    return ((a ^ this.address) & this.netmask) === 0;
  }
}
