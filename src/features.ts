/**
 * Build-time features: what a board's bundle holds (micronet's counterpart of lwIP's opt.h or Zephyr's
 * Kconfig). This file is the one place where they are chosen.
 *
 * Every switch below is a constant. The full build (dist/*.js, Node, the tests) uses the values written
 * here: every feature on. A profile (profiles/<name>.json, `npm run build -- --profile <name>`) replaces
 * this module's values at build time, and the minifier removes every branch a switch turns off: code of
 * a feature left out is gone from the bundle, not skipped at run time. Calling into a feature a profile
 * left out throws an Error saying which feature (see `missing`).
 *
 * Code tests a switch directly (`if (IGMP) ...`, `ERROR_TEXT ? long : short`) so that the minifier sees
 * a constant; never copy a switch into a variable or an object.
 */

/** IGMPv2 host (RFC 2236) and multicast group membership: `stack.igmp`, group receive, the device's
 *  multicast filter. Off: no group is ever joined; multicast datagrams are not for us (ip.notForUs);
 *  sending to a group still works (RFC 1112 level 1). */
export var IGMP = true;

/** Several interfaces and the loadable route table (`stack.routes`: load, add, list, lookup), with
 *  longest-prefix selection and per-interface gateways. Off: datagrams leave by the first interface
 *  that is up, to the destination if on its subnet, else to its gateway. */
export var ROUTES = true;

/** ARP (RFC 826): 2 = full (resolution with retries, a learning cache with aging, answering requests);
 *  1 = static (answering requests for our address and `stack.arp.add` entries only: no requests sent,
 *  nothing learned); 0 = off (multicast-only nodes: unicast without a static entry is counted
 *  arp.unresolvable, ARP frames are dropped as eth.unknownType). */
export var ARP = 2;

/** ICMP errors we send: destination unreachable (port, protocol), with the RFC 1122 §3.2.2 rules and
 *  the rate limit. Off: nothing is sent for a datagram we cannot deliver (it is still counted). */
export var ICMP_ERRORS = true;

/** One counter per drop reason (src/stack/stats.ts). Off: each layer counts rx, tx and drop only. */
export var STATS_DETAIL = true;

/** The board-facing extras in the built-in WIZnet module's style: `stack.getIP`, `stack.setIP`,
 *  `stack.configure`, events (`stack.on('link' | 'ip')`). */
export var API_EXTRAS = true;

/** `micronet.run(stack, ...)`: polling from setWatch/setInterval. Off: the script calls stack.poll. */
export var RUNNER = true;

/** Full error messages (argument, rule and the values involved) when true; when false a short text that
 *  still names the argument and the rule (`udp.send: length > 1472`), a few octets each. */
export var ERROR_TEXT = true;

/** `stack.udp.reply(length)`: a listener answers the datagram it was given in the same ring frame (no copy,
 *  no frame taken). Off: answer with udp.send (one copy, one frame). */
export var UDP_REPLY = true;

/** `micronet.createLoopback()` (a Device that receives what it sends). */
export var LOOPBACK = true;

/** IP protocol modules (micronet-tcp): `stack.ip` (register, take, route, output, give, sum, reset),
 *  segments of a registered protocol handed to its module, ICMP errors about them delivered to it.
 *  Off: no module can be installed; `stack.ip` throws. */
export var PROTOCOLS = true;

/** The reset for TCP segments while no TCP module is installed (RFC 9293 §3.10.7.1; counted in the
 *  tcp layer). Off: TCP is an unknown protocol (ip.unknownProtocol, protocol unreachable when
 *  ICMP_ERRORS is on, as RFC 1122 §3.2.2.1 asks for any protocol a host does not implement). */
export var TCP_RESET = true;

/** EtherType modules (micronet-ipv6 and the like): `stack.eth` (register, unregister, take, give, send,
 *  addMulticast, removeMulticast; src/stack/eth.ts), frames of a registered EtherType handed to its
 *  handler, multicast MACs of a module in the device's filter. Off: every EtherType but IPv4 and ARP is
 *  eth.unknownType; `stack.eth` throws. */
export var ETHERTYPES = true;

/** IEEE 802.1Q: 2 = VLAN interfaces (`addInterface(device, {vlan: 10, priority: 3, ...})`, several on one
 *  device beside an untagged one, tagged on send), priority-tagged frames (VLAN ID 0, IEEE 802.1Q §9.6)
 *  received as untagged; 1 = priority-tagged frames only; 0 = off (every tagged frame is
 *  eth.unknownType). Frames for a VLAN no interface has are counted eth.otherVlan. */
export var VLAN = 2;

/** IPv4 reassembly (RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2; src/stack/reasm.ts): Config.reassemblyBuffers
 *  datagrams of at most Config.reassemblyMaxOctets at once, each buffer allocated on the first fragment
 *  that needs it; overlaps, duplicates, tiny first fragments (RFC 1858) and timeouts counted, ICMP time
 *  exceeded sent on a timeout. Off: every fragment is dropped (ip.fragments). */
export var REASSEMBLY = true;

/** IPv4 fragmentation on send (RFC 791 §3.2; src/stack/frag.ts): UDP datagrams longer than the MTU up
 *  to Config.fragmentMaxOctets, echo replies to reassembled requests; datagrams with Don't Fragment
 *  refused when too long (ip.dfRefused); ICMP "fragmentation needed" remembered per destination (path
 *  MTU, RFC 1191). Off: udp.send takes at most 1472 octets. */
export var FRAGMENTATION = true;

/** The ping client (RFC 792 echo; src/stack/ping.ts): `stack.ping(address, {size, timeoutMs, count,
 *  intervalMs, ttl}, cb)`, replies matched by identifier and sequence, destination unreachable and time
 *  exceeded about our echo requests reported. Off: `stack.ping` is absent; echo replies are
 *  icmp.otherTypes. */
export var PING = true;

/** Raw Ethernet for applications (src/stack/eth.ts): `stack.eth.sendWith(iface, dstMac, etherType,
 *  length, write)`, a frame of the application's EtherType from a ring frame, the payload written in
 *  place; listeners (eth.register) that throw are counted (eth.listenerErrors) rather than thrown out of
 *  poll. Needs ETHERTYPES. Off: eth.sendWith is absent (eth.send remains for modules). */
export var RAW_ETHERNET = true;

/** TCP over IPv6 in micronet-tcp (`require("micronet-tcp").create(stack, { ipv6: ip6 })`): segments
 *  through micronet-ipv6's protocol hook (stack.ip6.protocols, Next Header 6), addresses of 16 octets,
 *  the RST of a closed port, ICMPv6 errors and Packet Too Big (RFC 8201) per connection. Off: the
 *  `ipv6` option throws; micronet-tcp is IPv4 only. */
export var TCP6 = true;

/** ARP defences (src/stack/arp.ts), keeping RFC 826 interoperability: the cache replaces its least
 *  recently used entry; an entry confirmed less than Config.arpLockTimeMs ago keeps its MAC against an
 *  unsolicited ARP claiming another (arp.changeRefused; accepted after it, arp.macChanged); a request's
 *  sender is learned only into a free entry (arp.notLearned), an unsolicited reply's not at all; a
 *  conflict for our own address (RFC 5227 §2.4) is defended with one announcement per 10 s
 *  (arp.defended) and reported by the event 'conflict' (iface, address, mac; API_EXTRAS builds), which
 *  the DHCP module's conflict detection follows once its address is bound. Off: RFC 826 merging as it
 *  stands (the newest claim wins, the oldest entry is replaced), conflicts only counted. */
export var ARP_DEFENCE = true;

/** Several IPv4 addresses per interface (src/stack/addr.ts): `stack.addAddress(iface, address, netmask)`
 *  and `stack.removeAddress(iface, address)`, up to Config.extraAddresses besides the interface's own
 *  (primary) address; ARP answers, gratuitous ARP and the own-address defence for each; datagrams to each
 *  address and its subnet broadcast accepted; echo and UDP replies from the address asked; a connected
 *  route per subnet; the source of a datagram sent chosen by the destination's (else the next hop's)
 *  subnet, else the primary address; `getIP` lists them all (`addresses`). Off: one address per
 *  interface; `stack.addAddress` throws. */
export var MULTI_ADDRESS = true;
