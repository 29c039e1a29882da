/**
 * TCP header (RFC 9293 §3.1). It follows the IPv4 header:
 *
 *   offset  length  field
 *   0       2       source port
 *   2       2       destination port
 *   4       4       sequence number
 *   8       4       acknowledgment number
 *   12      1       data offset (high 4 bits, in 32-bit words, >= 5), reserved
 *   13      1       control bits: CWR ECE URG ACK PSH RST SYN FIN (bit 7 .. bit 0)
 *   14      2       window
 *   16      2       checksum over the pseudo header (as UDP's, protocol 6) + header + data
 *   18      2       urgent pointer
 *   20      ...     options (data offset * 4 - 20 octets), then data
 */
export var TCP_SRC_PORT = 0;
export var TCP_DST_PORT = 2;
export var TCP_SEQ = 4;
export var TCP_ACK = 8;
export var TCP_OFFSET = 12;
export var TCP_FLAGS = 13;
export var TCP_WINDOW = 14;
export var TCP_CSUM = 16;
export var TCP_URGENT = 18;
/** Length of the TCP header without options, octets. */
export var TCP_HEADER_LEN = 20;

/** Control bits (RFC 9293 §3.1, RFC 3168 for CWR/ECE). */
export var TCP_FIN = 0x01;
export var TCP_SYN = 0x02;
export var TCP_RST = 0x04;
export var TCP_PSH = 0x08;
export var TCP_ACKF = 0x10;
export var TCP_URG = 0x20;
