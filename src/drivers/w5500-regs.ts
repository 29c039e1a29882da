/**
 * W5500 register map (datasheet v1.0.9 §3–4, pp. 13–14, 27–56). Names follow the
 * datasheet. Offsets are octet addresses inside a block; multi-octet registers are big-endian.
 * Shared by the driver (board code, ES5) and the simulator (Node).
 */

// ---- SPI frame (datasheet §2.2, pp. 13–14): [offset hi][offset lo][control][data…] ----
/** Control byte = BSB << 3 | RWB << 2 | OM. RWB = 1 is a write. */
export var CTRL_RWB = 0x04;
/** OM = 00: variable-length data mode (VDM), the frame ends when CS rises. */
export var CTRL_OM_VDM = 0x00;
/** OM = 01/10/11: fixed-length data mode (FDM), 1/2/4 data octets. */
export var CTRL_OM_FDM1 = 0x01;
export var CTRL_OM_FDM2 = 0x02;
export var CTRL_OM_FDM4 = 0x03;

/** Block select (BSB): common registers. */
export var BSB_COMMON = 0;
/** Block select for socket n registers / TX buffer / RX buffer: 4n+1, 4n+2, 4n+3. */
export function bsbSocket(n: number): number { return 4 * n + 1; }
export function bsbTx(n: number): number { return 4 * n + 2; }
export function bsbRx(n: number): number { return 4 * n + 3; }

// ---- Common registers (BSB 0), datasheet §3.1 ----
export var MR = 0x00;          // mode: RST 7 (self-clearing), WOL 5, PB 4, PPPoE 3, FARP 1
export var GAR = 0x01;         // gateway address, 4 octets
export var SUBR = 0x05;        // subnet mask, 4 octets
export var SHAR = 0x09;        // source hardware address (MAC), 6 octets
export var SIPR = 0x0f;        // source IP address, 4 octets
export var INTLEVEL = 0x13;    // interrupt low-level timer, 2 octets
export var IR = 0x15;          // interrupt (write 1 to clear)
export var IMR = 0x16;         // interrupt mask
export var SIR = 0x17;         // socket interrupt: bit n = socket n
export var SIMR = 0x18;        // socket interrupt mask
export var RTR = 0x19;         // retry time, 2 octets, reset 0x07D0
export var RCR = 0x1b;         // retry count, reset 0x08
export var PTIMER = 0x1c;      // PPP LCP request timer, reset 0x28
export var PMAGIC = 0x1d;
export var PHAR = 0x1e;        // 6 octets
export var PSID = 0x24;        // 2 octets
export var PMRU = 0x26;        // 2 octets, reset 0xFFFF
export var UIPR = 0x28;        // 4 octets
export var UPORTR = 0x2c;      // 2 octets
export var PHYCFGR = 0x2e;     // PHY configuration
export var VERSIONR = 0x39;    // chip version, always 0x04

export var MR_RST = 0x80;
export var PHYCFGR_RST = 0x80;  // 0 = reset the PHY (active low)
export var PHYCFGR_OPMD = 0x40;
export var PHYCFGR_DPX = 0x04;  // 1 = full duplex
export var PHYCFGR_SPD = 0x02;  // 1 = 100 Mb/s
export var PHYCFGR_LNK = 0x01;  // 1 = link up
export var VERSIONR_W5500 = 0x04;

// ---- Socket n registers (BSB 4n+1), datasheet §3.2 pp. 44–56 ----
export var Sn_MR = 0x00;
export var Sn_CR = 0x01;
export var Sn_IR = 0x02;
export var Sn_SR = 0x03;
export var Sn_PORT = 0x04;
export var Sn_DHAR = 0x06;
export var Sn_DIPR = 0x0c;
export var Sn_DPORT = 0x10;
export var Sn_MSSR = 0x12;
export var Sn_TOS = 0x15;
export var Sn_TTL = 0x16;
export var Sn_RXBUF_SIZE = 0x1e;
export var Sn_TXBUF_SIZE = 0x1f;
export var Sn_TX_FSR = 0x20;
export var Sn_TX_RD = 0x22;
export var Sn_TX_WR = 0x24;
export var Sn_RX_RSR = 0x26;
export var Sn_RX_RD = 0x28;
export var Sn_RX_WR = 0x2a;
export var Sn_IMR = 0x2c;
export var Sn_FRAG = 0x2d;
export var Sn_KPALVTR = 0x2f;

/** Sn_MR protocol P[3:0] and the MACRAW-only flags. */
export var Sn_MR_CLOSE = 0x00;
export var Sn_MR_TCP = 0x01;
export var Sn_MR_UDP = 0x02;
export var Sn_MR_MACRAW = 0x04;
export var Sn_MR_MFEN = 0x80;   // MAC filter enable: accept own MAC, broadcast, multicast
export var Sn_MR_BCASTB = 0x40; // block broadcast
export var Sn_MR_MMB = 0x20;    // block IPv4 multicast (01:00:5e) in MACRAW
export var Sn_MR_MIP6B = 0x10;  // block IPv6 (EtherType 0x86DD) in MACRAW

/** Sn_CR commands. The register reads 0 once the command is accepted. */
export var Sn_CR_OPEN = 0x01;
export var Sn_CR_LISTEN = 0x02;
export var Sn_CR_CONNECT = 0x04;
export var Sn_CR_DISCON = 0x08;
export var Sn_CR_CLOSE = 0x10;
export var Sn_CR_SEND = 0x20;
export var Sn_CR_SEND_MAC = 0x21;
export var Sn_CR_SEND_KEEP = 0x22;
export var Sn_CR_RECV = 0x40;

/** Sn_IR bits (write 1 to clear). */
export var Sn_IR_SEND_OK = 0x10;
export var Sn_IR_TIMEOUT = 0x08;
export var Sn_IR_RECV = 0x04;
export var Sn_IR_DISCON = 0x02;
export var Sn_IR_CON = 0x01;

/** Sn_SR states. */
export var SOCK_CLOSED = 0x00;
export var SOCK_INIT = 0x13;
export var SOCK_ESTABLISHED = 0x17;
export var SOCK_UDP = 0x22;
export var SOCK_MACRAW = 0x42;

/** Total TX and total RX memory, shared by the 8 sockets (datasheet §5, p. 27). */
export var MEMORY_SIZE = 16384;
/** Largest frame MACRAW moves, without FCS (datasheet p. 53: MTU 1514). */
export var MACRAW_MTU = 1514;
/** Octets of the MACRAW receive header (big-endian length that counts itself). */
export var MACRAW_HEADER = 2;
