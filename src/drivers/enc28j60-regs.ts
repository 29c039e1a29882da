/**
 * ENC28J60 register map, named as in the datasheet (DS39662E §3, Table 3-2; §4).
 *
 * Control registers are encoded as one number: bits 4:0 = address inside the bank, bits 6:5 = bank,
 * bit 7 = MAC/MII register (an RCR of it clocks one dummy byte before the value, DS39662E §4.2).
 * Addresses 0x1B–0x1F (EIE, EIR, ESTAT, ECON2, ECON1) exist in every bank; their bank bits are 0 and the
 * driver never switches banks for them. Multi-byte registers are given by their low (L) register; the
 * high (H) register is the next address. Buffer pointers are 13 bits (0x0000–0x1FFF).
 */

/** Marks a MAC/MII register (dummy byte on RCR; BFS/BFC not allowed, DS39662E §4.2). */
export const MACMII = 0x80;

// ---- SPI instruction set (DS §4.2, Table 4-1) ----
/** Read Control Register: opcode 000, argument = address. */
export const OP_RCR = 0x00;
/** Read Buffer Memory: fixed byte 0x3A. */
export const OP_RBM = 0x3a;
/** Write Control Register: opcode 010. */
export const OP_WCR = 0x40;
/** Write Buffer Memory: fixed byte 0x7A. */
export const OP_WBM = 0x7a;
/** Bit Field Set: opcode 100 (ETH registers only). */
export const OP_BFS = 0x80;
/** Bit Field Clear: opcode 101 (ETH registers only). */
export const OP_BFC = 0xa0;
/** System Reset Command (soft reset): fixed byte 0xFF. */
export const OP_SRC = 0xff;

// ---- Common registers (all banks) ----
export const EIE = 0x1b;
export const EIR = 0x1c;
export const ESTAT = 0x1d;
export const ECON2 = 0x1e;
export const ECON1 = 0x1f;

// ---- Bank 0 ----
export const ERDPTL = 0x00;
export const EWRPTL = 0x02;
export const ETXSTL = 0x04;
export const ETXNDL = 0x06;
export const ERXSTL = 0x08;
export const ERXNDL = 0x0a;
export const ERXRDPTL = 0x0c;
export const ERXWRPTL = 0x0e;
export const EDMASTL = 0x10;
export const EDMANDL = 0x12;
export const EDMADSTL = 0x14;
export const EDMACSL = 0x16;

// ---- Bank 1 ----
export const EHT0 = 0x20;
export const EPMM0 = 0x28;
export const EPMCSL = 0x30;
export const EPMOL = 0x34;
export const ERXFCON = 0x38;
export const EPKTCNT = 0x39;

// ---- Bank 2 (MAC/MII) ----
export const MACON1 = 0x40 | MACMII;
export const MACON3 = 0x42 | MACMII;
export const MACON4 = 0x43 | MACMII;
export const MABBIPG = 0x44 | MACMII;
export const MAIPGL = 0x46 | MACMII;
export const MAIPGH = 0x47 | MACMII;
export const MACLCON1 = 0x48 | MACMII;
export const MACLCON2 = 0x49 | MACMII;
export const MAMXFLL = 0x4a | MACMII;
export const MICMD = 0x52 | MACMII;
export const MIREGADR = 0x54 | MACMII;
export const MIWRL = 0x56 | MACMII;
export const MIWRH = 0x57 | MACMII;
export const MIRDL = 0x58 | MACMII;
export const MIRDH = 0x59 | MACMII;

// ---- Bank 3 ----
/** MAADR5 and MAADR6 hold the 5th and 6th octets of the MAC address (wire order). */
export const MAADR5 = 0x60 | MACMII;
export const MAADR6 = 0x61 | MACMII;
export const MAADR3 = 0x62 | MACMII;
export const MAADR4 = 0x63 | MACMII;
/** MAADR1 holds the first octet on the wire (DS39662E §3, Table 3-2). */
export const MAADR1 = 0x64 | MACMII;
export const MAADR2 = 0x65 | MACMII;
export const MISTAT = 0x6a | MACMII;
export const EREVID = 0x72;
export const ECOCON = 0x75;
export const EFLOCON = 0x77;

// ---- Bits (DS §3) ----
export const ECON1_TXRST = 0x80;
export const ECON1_RXRST = 0x40;
export const ECON1_DMAST = 0x20;
export const ECON1_CSUMEN = 0x10;
export const ECON1_TXRTS = 0x08;
export const ECON1_RXEN = 0x04;
export const ECON1_BSEL = 0x03;

export const ECON2_AUTOINC = 0x80;
export const ECON2_PKTDEC = 0x40;
export const ECON2_PWRSV = 0x20;
export const ECON2_VRPS = 0x08;

export const ESTAT_INT = 0x80;
export const ESTAT_BUFER = 0x40;
export const ESTAT_LATECOL = 0x10;
export const ESTAT_RXBUSY = 0x04;
export const ESTAT_TXABRT = 0x02;
export const ESTAT_CLKRDY = 0x01;

export const EIE_INTIE = 0x80;
export const EIE_PKTIE = 0x40;
export const EIE_DMAIE = 0x20;
export const EIE_LINKIE = 0x10;
export const EIE_TXIE = 0x08;
export const EIE_TXERIE = 0x02;
export const EIE_RXERIE = 0x01;

export const EIR_PKTIF = 0x40;
export const EIR_DMAIF = 0x20;
export const EIR_LINKIF = 0x10;
export const EIR_TXIF = 0x08;
export const EIR_TXERIF = 0x02;
export const EIR_RXERIF = 0x01;

export const MACON1_TXPAUS = 0x08;
export const MACON1_RXPAUS = 0x04;
export const MACON1_PASSALL = 0x02;
export const MACON1_MARXEN = 0x01;

/** PADCFG2:0 = 001: pad to 60 octets and append the CRC. */
export const MACON3_PADCFG0 = 0x20;
export const MACON3_TXCRCEN = 0x10;
export const MACON3_PHDREN = 0x08;
export const MACON3_HFRMEN = 0x04;
export const MACON3_FRMLNEN = 0x02;
export const MACON3_FULDPX = 0x01;

export const MACON4_DEFER = 0x40;

export const MICMD_MIISCAN = 0x02;
export const MICMD_MIIRD = 0x01;

export const MISTAT_NVALID = 0x04;
export const MISTAT_SCAN = 0x02;
export const MISTAT_BUSY = 0x01;

export const ERXFCON_UCEN = 0x80;
export const ERXFCON_ANDOR = 0x40;
export const ERXFCON_CRCEN = 0x20;
export const ERXFCON_PMEN = 0x10;
export const ERXFCON_MPEN = 0x08;
export const ERXFCON_HTEN = 0x04;
export const ERXFCON_MCEN = 0x02;
export const ERXFCON_BCEN = 0x01;

/** Per-packet control byte written before a frame in the transmit buffer (DS §7.1, Figure 7-1). */
export const CTRL_PHUGEEN = 0x08;
export const CTRL_PPADEN = 0x04;
export const CTRL_PCRCEN = 0x02;
export const CTRL_POVERRIDE = 0x01;

// ---- PHY registers (reached through MIREGADR, DS §3.3) ----
export const PHCON1 = 0x00;
export const PHSTAT1 = 0x01;
export const PHID1 = 0x02;
export const PHID2 = 0x03;
export const PHCON2 = 0x10;
export const PHSTAT2 = 0x11;
export const PHIE = 0x12;
export const PHIR = 0x13;
export const PHLCON = 0x14;

export const PHCON1_PRST = 0x8000;
export const PHCON1_PLOOPBK = 0x4000;
export const PHCON1_PPWRSV = 0x0800;
export const PHCON1_PDPXMD = 0x0100;
export const PHSTAT1_LLSTAT = 0x0004;
export const PHCON2_FRCLNK = 0x4000;
export const PHCON2_TXDIS = 0x2000;
export const PHCON2_HDLDIS = 0x0100;
export const PHSTAT2_LSTAT = 0x0400;
export const PHSTAT2_DPXSTAT = 0x0200;
export const PHIE_PLNKIE = 0x0010;
export const PHIE_PGEIE = 0x0002;
export const PHIR_PLNKIF = 0x0010;
export const PHIR_PGIF = 0x0004;

// ---- Receive status vector, bits 16–31 as the 16-bit word at packet offset 4 (DS Table 7-3) ----
/** Bit 16: long event / drop event. */
export const RSV_LONGDROP = 0x0001;
/** Bit 18: carrier event previously seen. */
export const RSV_CARRIER = 0x0004;
/** Bit 20: CRC error. */
export const RSV_CRCERR = 0x0010;
/** Bit 21: length check error (type/length field does not match the data length). */
export const RSV_LENCHK = 0x0020;
/** Bit 22: length out of range (set for every EtherType > 1500, i.e. normal Ethernet II). */
export const RSV_LENRANGE = 0x0040;
/** Bit 23: received OK. */
export const RSV_RXOK = 0x0080;
export const RSV_MULTICAST = 0x0100;
export const RSV_BROADCAST = 0x0200;
export const RSV_DRIBBLE = 0x0400;
export const RSV_CONTROL = 0x0800;
export const RSV_PAUSE = 0x1000;
export const RSV_UNKNOWNOP = 0x2000;
export const RSV_VLAN = 0x4000;

// ---- Buffer layout used by the driver (DS39662E §6.1) ----
/** Receive ring start: 0 because of the Rev B7 ERXWRPT errata (DS39662E §7.2). */
export const RX_START = 0x0000;
/** Receive ring end (inclusive, odd). The ring is 6656 octets. */
export const RX_END = 0x19ff;
/** Transmit buffer start: control byte, up to 1514 frame octets, then the 7-octet TSV. */
export const TX_START = 0x1a00;
/** Transmit buffer end of the memory (inclusive). */
export const TX_END = 0x1fff;
/** Largest frame the MAC accepts, FCS included (MAMXFL, DS §6.5). */
export const MAX_FRAMELEN = 1518;
