/*
 * The floor of the engine benchmark (tools/bench-engine.js): a minimal hand-written IPv4 host doing only
 * the necessary work on the same frames micronet gets, so that micronet's cost per operation can be
 * given as a multiple of it. Loaded as a module (Storage or RAM, like micronet) on Espruino; it uses
 * E.sum and needs nothing else.
 *
 * Necessary work, per operation:
 * - UDP echo: read the frame from the device into our buffer; check the Ethernet destination (our MAC)
 *   and EtherType; IPv4 version/IHL 5, total length, no fragment, protocol 17, our address, header
 *   checksum (E.sum over the header); UDP length, destination port, checksum over the pseudo-header and
 *   the datagram (E.sum); then the reply in place: Ethernet addresses and IPv4 addresses and ports
 *   swapped (so neither checksum changes: the request's TTL and identification are kept), and send.
 * - ICMP echo: the same Ethernet/IPv4 checks (protocol 1), type 8 code 0, ICMP checksum (E.sum); reply
 *   in place: type 0, checksum updated for that one word (RFC 1624 eqn. 3), addresses swapped, send.
 * - UDP send of `data`: into a header template made once (addresses, ports, TTL), payload copied, total
 *   length, identification, IPv4 checksum and UDP checksum (E.sum each), send.
 * - Idle: one device receive that finds nothing.
 * - NetworkJS recv of a driver with nothing to say: return "".
 * Frames are read with 16-bit little-endian views (E.sum's input); the ones' complement sum is byte-order
 * independent (RFC 1071 §2(B)), so a little-endian sum, complemented and stored as a little-endian word,
 * is the checksum. A sum is folded with % 0xffff: end-around carries keep it modulo 0xffff (a valid
 * message sums to 0 modulo 0xffff).
 */
var B = new Uint8Array(1518), W = new Uint16Array(B.buffer), TB = new Uint8Array(1518), TW = new Uint16Array(TB.buffer);
var M0 = 0, M1 = 0, M2 = 0, A0 = 0, A1 = 0, ID = 0;

/** Our MAC and address (Arrays of octets), and the peer a send goes to (MAC, address): once. */
exports.setup = function (mac, ip, peerMac, peerIp, srcPort, dstPort) {
  B.set(mac, 0); M0 = W[0]; M1 = W[1]; M2 = W[2];
  B.set(ip, 0); A0 = W[0]; A1 = W[1];
  TB.set(peerMac, 0); TB.set(mac, 6); TB[12] = 8;
  TB.set([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0], 14);
  TB.set(ip, 26); TB.set(peerIp, 30);
  TB[34] = srcPort >> 8; TB[35] = srcPort & 255; TB[36] = dstPort >> 8; TB[37] = dstPort & 255;
};

/** Answers a UDP datagram to port 7 with its payload. True when it sent a reply. */
exports.udpEcho = function (dev) {
  var b = B, w = W, n = dev.receive(b);
  if (n < 42 || w[0] !== M0 || w[1] !== M1 || w[2] !== M2 || w[6] !== 0x0008) return false;
  var total = (b[16] << 8) | b[17];
  if (b[14] !== 0x45 || total + 14 > n || (w[10] & 0xff3f) !== 0 || b[23] !== 17 || w[15] !== A0 || w[16] !== A1) return false;
  if (E.sum(w.subarray(7, 17)) % 0xffff !== 0) return false;
  var ulen = (b[38] << 8) | b[39];
  if (ulen < 8 || ulen + 20 > total || w[18] !== 0x0700) return false;
  if (w[20] !== 0) {
    if (ulen & 1) b[34 + ulen] = 0;
    if ((E.sum(w.subarray(13, 17 + ((ulen + 1) >> 1))) + 0x1100 + ((ulen & 255) << 8) + (ulen >> 8)) % 0xffff !== 0) return false;
  }
  var t = w[0]; w[0] = w[3]; w[3] = t; t = w[1]; w[1] = w[4]; w[4] = t; t = w[2]; w[2] = w[5]; w[5] = t;
  t = w[13]; w[13] = w[15]; w[15] = t; t = w[14]; w[14] = w[16]; w[16] = t;
  t = w[17]; w[17] = w[18]; w[18] = t;
  return dev.send(b, 14 + total);
};

/** Answers an ICMP echo request (RFC 792). True when it sent a reply. */
exports.icmpEcho = function (dev) {
  var b = B, w = W, n = dev.receive(b);
  if (n < 42 || w[0] !== M0 || w[1] !== M1 || w[2] !== M2 || w[6] !== 0x0008) return false;
  var total = (b[16] << 8) | b[17], ilen = total - 20;
  if (b[14] !== 0x45 || total + 14 > n || (w[10] & 0xff3f) !== 0 || b[23] !== 1 || w[15] !== A0 || w[16] !== A1) return false;
  if (E.sum(w.subarray(7, 17)) % 0xffff !== 0) return false;
  if (ilen < 8 || b[34] !== 8 || b[35] !== 0) return false;
  if (ilen & 1) b[34 + ilen] = 0;
  if (E.sum(w.subarray(17, 17 + ((ilen + 1) >> 1))) % 0xffff !== 0) return false;
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m = 0x0800 (type 8, code 0), m' = 0
  var s = (~((b[36] << 8) | b[37]) & 0xffff) + 0xf7ff;
  s = ~((s & 0xffff) + (s >>> 16)) & 0xffff;
  b[34] = 0; b[36] = s >> 8; b[37] = s & 255;
  var t = w[0]; w[0] = w[3]; w[3] = t; t = w[1]; w[1] = w[4]; w[4] = t; t = w[2]; w[2] = w[5]; w[5] = t;
  t = w[13]; w[13] = w[15]; w[15] = t; t = w[14]; w[14] = w[16]; w[16] = t;
  return dev.send(b, 14 + total);
};

/** Sends `data` (a Uint8Array of at most 1472 octets) to the peer given to setup. */
exports.udpSend = function (dev, data) {
  var b = TB, w = TW, n = data.length, total = 28 + n, ulen = 8 + n, s;
  b.set(data, 42);
  b[16] = total >> 8; b[17] = total & 255;
  ID = (ID + 1) & 0xffff; b[18] = ID >> 8; b[19] = ID & 255;
  w[12] = 0;
  s = E.sum(w.subarray(7, 17)) % 0xffff;
  w[12] = ~s & 0xffff;
  b[38] = ulen >> 8; b[39] = ulen & 255; w[20] = 0;
  if (n & 1) b[42 + n] = 0;
  s = (E.sum(w.subarray(13, 17 + ((ulen + 1) >> 1))) + 0x1100 + ((ulen & 255) << 8) + (ulen >> 8)) % 0xffff;
  s = ~s & 0xffff;
  w[20] = s === 0 ? 0xffff : s;
  return dev.send(b, 42 + n);
};

/** One receive from the device; true when a frame was waiting. */
exports.idle = function (dev) { return dev.receive(B) > 0; };

/** A NetworkJS driver's recv with nothing queued. */
exports.recv = function (sckt, maxLen, socketType) { return ""; };
