/**
 * ENC28J60 Ethernet controller driver over SPI (Microchip DS39662E; errata DS80349C; CHIPS.md part 1).
 * Shipped alone as `micronet-enc28j60`; it needs nothing from the core and implements `Device`.
 *
 *   var eth = require("micronet-enc28j60").connect(SPI1, B1, { mac: "02:4d:4e:00:00:01", int: A8 });
 *   var frame = new Uint8Array(1518);
 *   var n = eth.receive(frame);        // 0 when nothing is waiting
 *   eth.send(frame, n);                // false when the link is down
 *
 * SPI: every register command or buffer transfer is one `send`/`write` call (one CS-low frame).
 * Buffer memory layout: receive ring 0x0000–0x19FF (6656 octets), transmit buffer 0x1A00–0x1FFF.
 * Every wait is bounded by a poll count and every error path has a counter in `stats()`.
 *
 * Chip reset recovery: a reset (brown-out, a glitch on RESET, an SRC) returns every control register
 * to its reset value (DS §11; CHIPS.md §1.2: ECON1 resets to 0), so the chip stops receiving and would
 * send frames without padding or FCS. The driver reads ECON1 back in `linkUp` (the stack calls it every
 * Config.linkCheckMs), after a transmission that timed out or aborted, and on a receive-ring error; if
 * ECON1 no longer holds RXEN and the bank last selected, it runs the init sequence again (MAC, filters
 * with the current multicast setting, buffers, interrupts, RX enable), counts it in `reinits` and calls
 * `onReset`. Frames the chip held are lost.
 */
import { Device, SpiBus, Pin } from './device';
import * as R from './enc28j60-regs';

/** Options of `connect`. Every limit has the default given here. */
export interface Enc28j60Options {
  /** MAC address: 6 octets, or "aa:bb:cc:dd:ee:ff". Default 02:4d:4e:00:00:01 (locally administered;
   *  give each board its own). */
  mac?: Uint8Array | number[] | string;
  /** INT pin (active low). Not used by the driver: kept as `.int` for the board's `setWatch`. */
  int?: Pin;
  /** RESET pin (active low). When given, pulsed low for 1 ms with `pin.reset()`/`pin.set()` before SRC. */
  reset?: Pin;
  /** The SPI clock the bus was set up with, bits per second (the driver cannot read it from the bus).
   *  When given it must be 8000000..20000000: errata DS80349C item 1 says that below 8 MHz the MAC and
   *  MII registers (MACON*, MAADR*, MISTAT, MIRD*) may read wrong, and 20 MHz is the datasheet's maximum
   *  (DS §16, T_SCK). connect throws otherwise. Set the bus up with `baud: 8000000` or more. */
  baud?: number;
  /** Full duplex (MACON3.FULDPX + PHCON1.PDPXMD). Default false: half duplex, as most hubs/switch
   *  ports autonegotiate with a chip that cannot (DS §6.6). */
  fullDuplex?: boolean;
  /** Waits `ms` milliseconds. Default: a busy-wait that polls ESTAT until `Date.now()` has moved on by
   *  `ms` (bounded by 100000 polls), so SPI-timed simulators see the time pass too. */
  delayMs?: (ms: number) => void;
  /** Packets examined per `receive` call (dropped ones included) before it gives up and returns 0.
   *  Default 8. */
  rxBurst?: number;
  /** Reads of EIR while waiting for the previous transmission to end. Default 4000 (a 1518-octet
   *  frame takes 1.23 ms on the wire; one poll is 2 SPI octets). */
  txPolls?: number;
  /** Reads of MISTAT while waiting for an MII operation (10.24 µs). Default 200. */
  miiPolls?: number;
  /** Retransmissions after a late collision (DS errata; [L] uses 16). Default 16. */
  lateCollisionRetries?: number;
  /** PHLCON value (LED configuration, DS Register 2-2). Default 0x3476: LEDA link, LEDB activity. */
  phlcon?: number;
  /** Called with the new state when the link goes up or down (seen by `checkLink`, which `receive`
   *  runs when EIR.LINKIF is set, and by a re-initialisation). */
  onLink?: (up: boolean) => void;
  /** Called after the driver found the chip's configuration gone (ECON1 read back without RXEN, see
   *  the file comment) and ran the init sequence again: `ok` is false when that failed (no chip
   *  answers, PHY silent); the driver then reports the link down and tries again at the next `linkUp`. */
  onReset?: (ok: boolean) => void;
}

/** Counters for every path of the driver. All plain numbers, never reset by the driver. */
export interface Enc28j60Stats {
  rxFrames: number; rxBytes: number;
  /** RSV bit 20 (CRC error) set. */ rxCrcErrors: number;
  /** RSV bit 21 (length check) set, or frame shorter than an Ethernet header. */ rxLengthErrors: number;
  /** RSV bit 23 (received OK) clear for another reason. */ rxNotOk: number;
  /** Frame longer than the caller's buffer. */ rxTooLong: number;
  /** Next-packet pointer or byte count inconsistent with the ring: receive logic reset. */ rxRingErrors: number;
  /** Receive logic resets (RXRST) done. */ rxResets: number;
  /** Packets the chip still counted (EPKTCNT) after a receive logic reset, decremented away. */ rxDiscarded: number;
  /** EIR.RXERIF seen: the chip dropped frames (ring full or EPKTCNT = 255). */ rxOverflows: number;
  /** `receive` calls that stopped at the rxBurst bound with packets still pending. */ rxBurstLimits: number;
  txFrames: number; txBytes: number;
  /** Transmissions aborted (EIR.TXERIF), retries exhausted. */ txAborts: number;
  /** Late collisions seen (ESTAT.LATECOL). */ txLateCollisions: number;
  /** Retransmissions after a late collision. */ txRetries: number;
  /** The previous transmission did not end within txPolls polls. */ txTimeouts: number;
  /** `send` refused because the link is down. */ txLinkDown: number;
  /** MII operation still busy after miiPolls polls. */ miiTimeouts: number;
  /** Link state changes reported. */ linkChanges: number;
  /** Init sequences run again after ECON1 read back without RXEN (a chip reset). */ reinits: number;
  /** Of those, the ones that failed (EREVID 0x00/0xFF or the PHY silent). */ reinitFailures: number;
}

/** The driver object returned by `connect`: a Device plus chip-specific calls. */
export interface Enc28j60 extends Device {
  /** The INT pin given in options (or undefined), for the board's setWatch. */
  readonly int: Pin;
  /** Silicon revision read from EREVID at init (0x06 = Rev B7). */
  readonly revision: number;
  /** Link state as last seen (no PHY read). Also reads ECON1 back once (two octets on SPI; twice if the
   *  first read looks wrong) and re-initialises the chip when its configuration is gone; returns false
   *  while the chip does not answer. */
  linkUp(): boolean;
  /** Reads PHSTAT2.LSTAT (and PHIR, clearing the link interrupt); calls onLink on a change. */
  checkLink(): boolean;
  /** Waits (bounded) for the transmission in progress. True if it ended well or none was pending. */
  flush(): boolean;
  /** The live counters object. */
  stats(): Enc28j60Stats;
  /** Reads one control register (R.* encoding); for diagnostics. */
  readReg(reg: number): number;
  /** Reads one PHY register through MII, or -1 on an MII timeout; for diagnostics. */
  readPhy(reg: number): number;
}

/** Largest frame handed to or returned by the driver: 14-octet header + 1500, no FCS. */
var MAX_FRAME = 1514;
/** CRC-32 polynomial (IEEE 802.3), used for the multicast hash (DS §8.3, CHIPS.md §1.8). */
var CRC32_POLY = 0x04c11db7;

/**
 * Hash-table index (0–63) of a destination MAC for EHT0–EHT7 (DS §8.3; CHIPS.md §1.8): CRC-32 with
 * preset 0xFFFFFFFF over the 6 octets, each octet fed least significant bit first into a shift-left
 * register, no final inversion; the index is CRC bits 28:23.
 */
export function hashIndex(mac: Uint8Array | number[], off?: number): number {
  var o = off || 0;
  var crc = -1;
  for (var i = 0; i < 6; i++) {
    var b = mac[o + i];
    for (var j = 0; j < 8; j++) {
      var fb = ((crc >>> 31) ^ (b >> j)) & 1;
      crc = crc << 1;
      if (fb) crc = crc ^ CRC32_POLY;
    }
  }
  return (crc >>> 23) & 0x3f;
}

function parseMacOption(m: Uint8Array | number[] | string | undefined): Uint8Array {
  var out = new Uint8Array(6);
  if (m === undefined) { out[0] = 0x02; out[1] = 0x4d; out[2] = 0x4e; out[5] = 0x01; return out; }
  if (typeof m === 'string') {
    var parts = m.split(':');
    if (parts.length !== 6) throw new Error('options.mac "' + m + '" must be 6 hex octets separated by ":"');
    for (var i = 0; i < 6; i++) {
      var v = parseInt(parts[i], 16);
      if (!(parts[i].length >= 1 && parts[i].length <= 2) || isNaN(v)) throw new Error('options.mac "' + m + '" has a bad octet "' + parts[i] + '"');
      out[i] = v;
    }
    return out;
  }
  if (!m || m.length !== 6) throw new Error('options.mac must have 6 octets');
  for (var k = 0; k < 6; k++) out[k] = m[k];
  return out;
}

function intOption(v: number | undefined, d: number, min: number, name: string): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !(v >= min) || Math.floor(v) !== v) throw new Error('options.' + name + ' must be an integer >= ' + min);
  return v;
}

/**
 * The driver state. Created by `connect`; plain class (no inheritance) so the ES5 output stays small.
 */
export class Enc28j60Driver implements Enc28j60 {
  readonly mac: Uint8Array;
  readonly int: Pin;
  revision = 0;
  private spi: SpiBus;
  private cs: Pin;
  private opts: Enc28j60Options;
  private full: boolean;
  private rxBurst: number;
  private txPolls: number;
  private miiPolls: number;
  private lcRetries: number;
  /** Bank selected in ECON1.BSEL, as far as the driver knows (-1: unknown). */
  private bank = -1;
  /** Two- and three-octet command buffers, reused for every register command. */
  private c2 = new Uint8Array(2);
  private c3 = new Uint8Array(3);
  /** Buffer transfers: opcode + control byte + up to 1518 octets, allocated once. */
  private buf = new Uint8Array(R.MAX_FRAMELEN + 2);
  /** RBM of the 6-octet packet header (opcode + 6 clocks), allocated once. */
  private rbm6 = new Uint8Array([R.OP_RBM, 0, 0, 0, 0, 0, 0]);
  /** RBM of the first 4 octets of the transmit status vector, allocated once. */
  private tsvCmd = new Uint8Array([R.OP_RBM, 0, 0, 0, 0]);
  /** Length of the frame last written to the transmit buffer (ETXND = TX_START + txLen). */
  private txLen = 0;
  /** SRC command, allocated once. */
  private src = new Uint8Array([R.OP_SRC]);
  /** EHT0–7 and ERXFCON as the multicast setting wants them (kept for a re-initialisation). */
  private eht = new Uint8Array(8);
  private fcon = R.ERXFCON_UCEN | R.ERXFCON_CRCEN | R.ERXFCON_BCEN;
  /** The init sequence completed and no reset has been seen since. */
  private ready = false;
  /** Address of the next packet in the receive ring (next-packet pointer). */
  private next = R.RX_START;
  /** ERDPT as the driver last left it (-1: unknown). */
  private rdpt = -1;
  /** EPKTCNT as last read, minus the packets handled since. */
  private pending = 0;
  /** A transmission was started and its end not seen yet. */
  private txBusy = false;
  private link = false;
  private counters: Enc28j60Stats = {
    rxFrames: 0, rxBytes: 0, rxCrcErrors: 0, rxLengthErrors: 0, rxNotOk: 0, rxTooLong: 0, rxRingErrors: 0,
    rxResets: 0, rxDiscarded: 0, rxOverflows: 0, rxBurstLimits: 0, txFrames: 0, txBytes: 0, txAborts: 0, txLateCollisions: 0,
    txRetries: 0, txTimeouts: 0, txLinkDown: 0, miiTimeouts: 0, linkChanges: 0, reinits: 0, reinitFailures: 0,
  };

  constructor(spi: SpiBus, cs: Pin, options?: Enc28j60Options) {
    if (!spi || typeof spi.send !== 'function' || typeof spi.write !== 'function') throw new Error('spi must have send(data, cs) and write(data, cs)');
    var o = options || {};
    this.opts = o;
    this.spi = spi;
    this.cs = cs;
    this.int = o.int;
    this.mac = parseMacOption(o.mac);
    this.full = !!o.fullDuplex;
    this.rxBurst = intOption(o.rxBurst, 8, 1, 'rxBurst');
    this.txPolls = intOption(o.txPolls, 4000, 1, 'txPolls');
    this.miiPolls = intOption(o.miiPolls, 200, 1, 'miiPolls');
    this.lcRetries = intOption(o.lateCollisionRetries, 16, 0, 'lateCollisionRetries');
    if (o.baud !== undefined && !(o.baud >= 8000000 && o.baud <= 20000000)) {
      throw new Error('options.baud ' + o.baud + ' must be 8000000..20000000: below 8 MHz the ENC28J60 may misread MAC/MII registers (errata 1)');
    }
  }

  // ---------------------------------------------------------------- SPI primitives (DS §4.2)

  /** Selects the bank of `reg` with at most two BFC/BFS commands on ECON1.BSEL (never a read-modify-write
   *  of ECON1, which could race the hardware clearing TXRTS: CHIPS.md §1.10 item 7). */
  private setBank(reg: number): void {
    if ((reg & 0x1f) >= 0x1b) return; // common register
    var b = (reg >> 5) & 3;
    if (b === this.bank) return;
    var cur = this.bank;
    var clr = cur < 0 ? 3 : cur & ~b & 3;
    var set = cur < 0 ? b : b & ~cur & 3;
    if (clr) this.cmd(R.OP_BFC | R.ECON1, clr);
    if (set) this.cmd(R.OP_BFS | R.ECON1, set);
    this.bank = b;
  }

  /** One two-octet command (WCR/BFS/BFC): a single `write`. */
  private cmd(op: number, v: number): void {
    var c = this.c2;
    c[0] = op;
    c[1] = v;
    this.spi.write(c, this.cs);
  }

  /** RCR: ETH registers answer in the 2nd octet, MAC/MII registers after a dummy octet (DS §4.2.1). */
  readReg(reg: number): number {
    this.setBank(reg);
    if (reg & R.MACMII) {
      var c3 = this.c3;
      c3[0] = R.OP_RCR | (reg & 0x1f);
      c3[1] = 0;
      c3[2] = 0;
      return this.spi.send(c3, this.cs)[2];
    }
    var c = this.c2;
    c[0] = R.OP_RCR | (reg & 0x1f);
    c[1] = 0;
    return this.spi.send(c, this.cs)[1];
  }

  /** WCR. */
  private writeReg(reg: number, v: number): void {
    this.setBank(reg);
    this.cmd(R.OP_WCR | (reg & 0x1f), v & 0xff);
  }

  /** Writes a register pair, low register first (ERXRDPT commits on the high write, DS §7.2.4). */
  private write16(regL: number, v: number): void {
    this.writeReg(regL, v & 0xff);
    this.writeReg(regL + 1, (v >> 8) & 0xff);
  }

  /** BFS/BFC: ETH registers only (they do not work on MAC/MII registers, DS §4.2.5). */
  private bitSet(reg: number, mask: number): void {
    this.setBank(reg);
    this.cmd(R.OP_BFS | (reg & 0x1f), mask);
  }
  private bitClear(reg: number, mask: number): void {
    this.setBank(reg);
    this.cmd(R.OP_BFC | (reg & 0x1f), mask);
  }

  private delay(ms: number): void {
    if (this.opts.delayMs) { this.opts.delayMs(ms); return; }
    // Busy-wait on the clock, reading ESTAT meanwhile (harmless; lets SPI-timed simulators advance).
    var end = Date.now() + ms + 1;
    var c = this.c2;
    for (var i = 0; i < 100000 && Date.now() < end; i++) {
      c[0] = R.OP_RCR | R.ESTAT;
      c[1] = 0;
      this.spi.send(c, this.cs);
    }
  }

  // ---------------------------------------------------------------- MII (DS §3.3.1, §3.3.2)

  /** Polls MISTAT.BUSY (bounded). False on timeout (counted). */
  private miiWait(): boolean {
    for (var i = 0; i < this.miiPolls; i++) {
      if (!(this.readReg(R.MISTAT) & R.MISTAT_BUSY)) return true;
    }
    this.counters.miiTimeouts++;
    return false;
  }

  /** Reads a PHY register: MIREGADR, MICMD.MIIRD, poll BUSY, MICMD = 0, MIRDL then MIRDH. -1 on timeout. */
  readPhy(reg: number): number {
    this.writeReg(R.MIREGADR, reg);
    this.writeReg(R.MICMD, R.MICMD_MIIRD);
    var ok = this.miiWait();
    this.writeReg(R.MICMD, 0);
    if (!ok) return -1;
    var lo = this.readReg(R.MIRDL);
    return lo | (this.readReg(R.MIRDH) << 8);
  }

  /** Writes a PHY register: MIREGADR, MIWRL, MIWRH (starts the write), poll BUSY. */
  private writePhy(reg: number, v: number): boolean {
    this.writeReg(R.MIREGADR, reg);
    this.writeReg(R.MIWRL, v & 0xff);
    this.writeReg(R.MIWRH, (v >> 8) & 0xff);
    return this.miiWait();
  }

  // ---------------------------------------------------------------- init (CHIPS.md §1.4)

  /** Resets and configures the chip. Throws when no chip answers or the PHY does not respond. */
  init(): void {
    var err = this.setup();
    this.ready = err === '';
    if (err) throw new Error(err);
  }

  /** The init sequence (CHIPS.md §1.4). Returns '' when done, else the reason it stopped. */
  private setup(): string {
    var o = this.opts;
    if (o.reset) { o.reset.reset(); this.delay(1); o.reset.set(); }
    // 1. SRC, then wait at least 1 ms (errata: CLKRDY is unreliable after a soft reset).
    this.spi.write(this.src, this.cs);
    this.bank = 0; // SRC clears ECON1
    this.delay(1);
    // 2. ECON1 = 0; ECON2 = AUTOINC | VRPS.
    this.writeReg(R.ECON1, 0);
    this.bank = 0;
    this.writeReg(R.ECON2, R.ECON2_AUTOINC | R.ECON2_VRPS);
    // 3. Buffers: RX ring at 0 (B7 errata), ERXRDPT = ERXND (odd, errata 14); TX buffer after it.
    this.write16(R.ERXSTL, R.RX_START);
    this.write16(R.ERXRDPTL, R.RX_END);
    this.write16(R.ERXNDL, R.RX_END);
    this.write16(R.ETXSTL, R.TX_START);
    this.write16(R.ETXNDL, R.TX_END);
    this.next = R.RX_START;
    this.rdpt = -1;
    this.pending = 0;
    this.txBusy = false;
    // 4. Revision check: 0x00 or 0xFF means nothing drives MISO.
    var rev = this.readReg(R.EREVID);
    if (rev === 0x00 || rev === 0xff) {
      this.link = false;
      return 'ENC28J60: no chip answers on SPI (EREVID = 0x' + (rev < 16 ? '0' : '') + rev.toString(16) +
        '); check wiring, the cs pin, power and SPI mode 0';
    }
    this.revision = rev;
    // 5. Receive filters: unicast to our MAC, broadcast, CRC check, and the multicast setting of
    //    setMulticast (the hash table only when it is in use: EHT0–7 reset to 0, CHIPS.md §1.2).
    if (this.fcon & R.ERXFCON_HTEN) {
      for (var j = 0; j < 8; j++) this.writeReg(R.EHT0 + j, this.eht[j]);
    }
    this.writeReg(R.ERXFCON, this.fcon);
    // 6. MAC: receive enable, pause frames both ways.
    this.writeReg(R.MACON1, R.MACON1_MARXEN | R.MACON1_TXPAUS | R.MACON1_RXPAUS);
    // 7. Duplex: padding to 60 + CRC, length check; inter-packet gaps from DS §6.5.
    if (this.full) {
      this.writeReg(R.MACON3, R.MACON3_PADCFG0 | R.MACON3_TXCRCEN | R.MACON3_FRMLNEN | R.MACON3_FULDPX);
      this.writeReg(R.MAIPGL, 0x12);
      this.writeReg(R.MABBIPG, 0x15);
    } else {
      this.writeReg(R.MACON3, R.MACON3_PADCFG0 | R.MACON3_TXCRCEN | R.MACON3_FRMLNEN);
      this.writeReg(R.MACON4, R.MACON4_DEFER);
      this.writeReg(R.MAIPGL, 0x12);
      this.writeReg(R.MAIPGH, 0x0c);
      this.writeReg(R.MABBIPG, 0x12);
    }
    // 8. Maximum frame length (FCS included) and the MAC address (MAADR1 is the first octet on the wire).
    this.write16(R.MAMXFLL, R.MAX_FRAMELEN);
    var m = this.mac;
    this.writeReg(R.MAADR1, m[0]);
    this.writeReg(R.MAADR2, m[1]);
    this.writeReg(R.MAADR3, m[2]);
    this.writeReg(R.MAADR4, m[3]);
    this.writeReg(R.MAADR5, m[4]);
    this.writeReg(R.MAADR6, m[5]);
    // 9. PHY: LEDs, duplex, no loopback of our own frames in half duplex (HDLDIS).
    var ok = this.writePhy(R.PHLCON, o.phlcon === undefined ? 0x3476 : o.phlcon);
    ok = this.writePhy(R.PHCON1, this.full ? R.PHCON1_PDPXMD : 0) && ok;
    ok = this.writePhy(R.PHCON2, this.full ? 0 : R.PHCON2_HDLDIS) && ok;
    // 10. Link interrupt on; clear EIR; enable interrupts; start receiving.
    ok = this.writePhy(R.PHIE, R.PHIE_PGEIE | R.PHIE_PLNKIE) && ok;
    if (!ok) {
      this.link = false;
      return 'ENC28J60: PHY (MII) does not answer: MISTAT.BUSY stays set';
    }
    this.bitClear(R.EIR, R.EIR_DMAIF | R.EIR_TXIF | R.EIR_TXERIF | R.EIR_RXERIF);
    this.writeReg(R.EIE, R.EIE_INTIE | R.EIE_PKTIE | R.EIE_LINKIE | R.EIE_TXIE | R.EIE_TXERIE | R.EIE_RXERIE);
    this.bitSet(R.ECON1, R.ECON1_RXEN);
    var st = this.readPhy(R.PHSTAT2);
    this.link = st >= 0 && (st & R.PHSTAT2_LSTAT) !== 0;
    return '';
  }

  // ---------------------------------------------------------------- reset detection (DS §11)

  /** One RCR of ECON1 (a common register: no bank switch). True when it does not read RXEN | BSEL as
   *  the driver left it. TXRTS is ignored (set while a transmission is in progress); TXRST, RXRST,
   *  DMAST and CSUMEN are only ever set inside a driver call. A reset clears ECON1 (CHIPS.md §1.2). */
  private econ1Wrong(): boolean {
    var c = this.c2;
    c[0] = R.OP_RCR | R.ECON1;
    c[1] = 0;
    var v = this.spi.send(c, this.cs)[1] & ~R.ECON1_TXRTS;
    return v !== (R.ECON1_RXEN | (this.bank & R.ECON1_BSEL));
  }

  /** True when ECON1 reads wrong twice in a row (the second read keeps one bit error on MISO from
   *  starting a re-initialisation). */
  private configLost(): boolean {
    return this.econ1Wrong() && this.econ1Wrong();
  }

  /** Runs the init sequence again after a chip reset; counted, reported through onReset/onLink.
   *  Never throws: a failure leaves the driver not ready (link down, receive returns 0). */
  private reinit(): void {
    var c = this.counters;
    var was = this.link;
    c.reinits++;
    var err = this.setup();
    this.ready = err === '';
    if (!this.ready) c.reinitFailures++;
    if (this.opts.onReset) this.opts.onReset(this.ready);
    if (this.link !== was) {
      c.linkChanges++;
      if (this.opts.onLink) this.opts.onLink(this.link);
    }
  }

  // ---------------------------------------------------------------- link (DS §3.3, CHIPS.md §1.7)

  linkUp(): boolean {
    if (!this.ready || this.configLost()) this.reinit();
    return this.link;
  }

  checkLink(): boolean {
    this.readPhy(R.PHIR); // clears PLNKIF/PGIF and with them EIR.LINKIF
    var st = this.readPhy(R.PHSTAT2);
    if (st < 0) return this.link;
    var up = (st & R.PHSTAT2_LSTAT) !== 0;
    if (up !== this.link) {
      this.link = up;
      this.counters.linkChanges++;
      if (this.opts.onLink) this.opts.onLink(up);
    }
    return up;
  }

  // ---------------------------------------------------------------- receive (DS §7.2, CHIPS.md §1.5)

  /** Reads EPKTCNT and EIR; handles RXERIF (counted) and LINKIF (checkLink). */
  private refresh(): void {
    this.pending = this.readReg(R.EPKTCNT);
    var eir = this.readReg(R.EIR);
    if (eir & R.EIR_RXERIF) {
      // The chip dropped frames (ring full or EPKTCNT = 255). The ring itself is intact: the frames in
      // it stay valid and draining frees space, so reception resumes (DS §7.2.4). Clear the flag.
      this.counters.rxOverflows++;
      this.bitClear(R.EIR, R.EIR_RXERIF);
    }
    if (eir & R.EIR_LINKIF) this.checkLink();
    // A finished transmission leaves TXIF/TXERIF set, which holds INT low and would hide the next
    // falling edge from an edge-triggered setWatch: handle it now.
    if (eir & (R.EIR_TXIF | R.EIR_TXERIF)) {
      if (this.txBusy) this.flush();
      else this.bitClear(R.EIR, R.EIR_TXIF | R.EIR_TXERIF);
    }
  }

  /**
   * Copies the next good received frame (header first, no FCS) into frame[0..) and returns its length
   * in octets, or 0 when none is waiting. At most `rxBurst` packets are examined per call; bad ones are
   * dropped and counted. Never throws on bad input from the wire.
   */
  receive(frame: Uint8Array): number {
    for (var i = 0; i < this.rxBurst; i++) {
      if (!this.ready) return 0;
      if (this.pending <= 0) {
        this.refresh();
        if (this.pending <= 0) return 0;
      }
      var n = this.readPacket(frame);
      if (n > 0) return n;
    }
    this.counters.rxBurstLimits++;
    return 0;
  }

  /** Handles the packet at `next`: returns its frame length, or 0 if it was dropped. */
  private readPacket(frame: Uint8Array): number {
    var p = this.next;
    var c = this.counters;
    // 1. ERDPT = next packet (skipped when the previous read left ERDPT there already).
    if (this.rdpt !== p) this.write16(R.ERDPTL, p);
    // 2. Six header octets: next-packet pointer, byte count, status bits 16–31.
    var h = this.spi.send(this.rbm6, this.cs);
    var nxt = h[1] | (h[2] << 8);
    var cnt = h[3] | (h[4] << 8);
    var st = h[5] | (h[6] << 8);
    // Sanity: the next pointer must be where this packet ends (6 + count, rounded up to even, wrapped).
    var end = p + 6 + cnt;
    end += end & 1;
    if (end > R.RX_END) end -= R.RX_END - R.RX_START + 1;
    if (cnt > R.MAX_FRAMELEN || nxt !== end || nxt > R.RX_END) {
      c.rxRingErrors++;
      // A reset moves ERDPT to 0x05FA (CHIPS.md §1.2): check for one before resetting only the receiver.
      if (this.configLost()) this.reinit();
      else this.resetRx();
      return 0;
    }
    var len = cnt - 4;
    var got = 0;
    if (!(st & R.RSV_RXOK)) {
      if (st & R.RSV_CRCERR) c.rxCrcErrors++;
      else if (st & R.RSV_LENCHK) c.rxLengthErrors++;
      else c.rxNotOk++;
      this.rdpt = -1;
    } else if (len < 14) {
      c.rxLengthErrors++;
      this.rdpt = -1;
    } else if (len > frame.length) {
      c.rxTooLong++;
      this.rdpt = -1;
    } else {
      // 3. The frame, its FCS and the pad octet in one RBM (AUTOINC wraps at ERXND), so that ERDPT
      //    ends on the next packet; one `set` copies the frame octets out of the returned array.
      var b = this.buf;
      b[0] = R.OP_RBM;
      var n = (cnt + 1) & ~1;
      var r = this.spi.send(b.subarray(0, n + 1), this.cs);
      frame.set(r.subarray(1, len + 1));
      this.rdpt = nxt;
      c.rxFrames++;
      c.rxBytes += len;
      got = len;
    }
    this.release(nxt);
    return got;
  }

  /** Frees the packet space up to `nxt`: ERXRDPT = nxt − 1, odd (errata 14), L then H; PKTDEC. */
  private release(nxt: number): void {
    this.next = nxt;
    var rd = nxt - 1;
    if (rd < R.RX_START || rd > R.RX_END) rd = R.RX_END;
    this.write16(R.ERXRDPTL, rd);
    this.bitSet(R.ECON2, R.ECON2_PKTDEC);
    this.pending--;
  }

  /** Receive logic reset after ring corruption: RXEN off, RXRST pulse, ring reprogrammed, RXEN on.
   *  Frames in the ring are lost (counted in rxResets). */
  private resetRx(): void {
    this.counters.rxResets++;
    this.bitClear(R.ECON1, R.ECON1_RXEN);
    this.bitSet(R.ECON1, R.ECON1_RXRST);
    this.bitClear(R.ECON1, R.ECON1_RXRST);
    this.write16(R.ERXSTL, R.RX_START);
    this.write16(R.ERXNDL, R.RX_END);
    this.write16(R.ERXRDPTL, R.RX_END);
    // RXRST resets the receive logic only (DS §11, Receive Only Reset): EPKTCNT keeps counting packets that are gone.
    // Decrement it to 0 (at most 255 PKTDECs), else the next receive reads stale headers at ERXST.
    for (var i = 0; i < 255 && this.readReg(R.EPKTCNT) > 0; i++) {
      this.bitSet(R.ECON2, R.ECON2_PKTDEC);
      this.counters.rxDiscarded++;
    }
    this.bitClear(R.EIR, R.EIR_RXERIF);
    this.bitSet(R.ECON1, R.ECON1_RXEN);
    this.next = R.RX_START;
    this.rdpt = -1;
    this.pending = 0;
  }

  // ---------------------------------------------------------------- transmit (DS §7.1, CHIPS.md §1.6)

  /** Octet 3 of the transmit status vector (TSV bits 24–31; bit 29 = late collision), read with one
   *  RBM at ETXND + 1 (DS §7.1 Table 7-1). Moves ERDPT: the receive path sets it again. */
  private readTsv3(): number {
    this.write16(R.ERDPTL, R.TX_START + this.txLen + 1);
    this.rdpt = -1;
    var r = this.spi.send(this.tsvCmd, this.cs);
    return r[4];
  }

  /** Pulses ECON1.TXRST (errata 12: the transmit logic may stall; reset it before each send). */
  private resetTx(): void {
    this.bitSet(R.ECON1, R.ECON1_TXRST);
    this.bitClear(R.ECON1, R.ECON1_TXRST);
  }

  /**
   * Waits (at most txPolls reads of EIR) for the transmission in progress to end. On a late collision
   * the frame, still in the buffer, is sent again (up to lateCollisionRetries times). Counted:
   * txTimeouts, txAborts, txLateCollisions, txRetries.
   */
  flush(): boolean {
    if (!this.txBusy) return true;
    this.txBusy = false;
    var c = this.counters;
    for (var attempt = 0; ; attempt++) {
      var eir = 0;
      for (var i = 0; i < this.txPolls; i++) {
        eir = this.readReg(R.EIR);
        if (eir & (R.EIR_TXIF | R.EIR_TXERIF)) break;
      }
      if (!(eir & (R.EIR_TXIF | R.EIR_TXERIF))) {
        c.txTimeouts++;
        if (this.configLost()) this.reinit();
        return false; // the TXRST of the next send cancels it
      }
      if (!(eir & R.EIR_TXERIF)) {
        this.bitClear(R.EIR, R.EIR_TXIF); // releases INT
        return true;
      }
      // Aborted. The transmit status vector (DS Table 7-1, 7 octets at ETXND + 1) tells why: bit 29 is
      // a late collision, the case Linux's enc28j60.c and ESP-IDF retransmit (the frame is still in the
      // buffer). ESTAT.LATECOL is read-only and not used.
      this.bitClear(R.ECON1, R.ECON1_TXRTS);
      var late = (this.readTsv3() & 0x20) !== 0;
      // Errata 12: reset the transmit logic, THEN clear TXERIF/TXIF (clearing TXRST may raise TXERIF
      // again), then ESTAT.TXABRT (R/C).
      this.resetTx();
      this.bitClear(R.EIR, R.EIR_TXIF | R.EIR_TXERIF);
      this.bitClear(R.ESTAT, R.ESTAT_TXABRT);
      if (late) c.txLateCollisions++;
      if (late && attempt < this.lcRetries) {
        c.txRetries++;
        this.bitSet(R.ECON1, R.ECON1_TXRTS);
        continue;
      }
      c.txAborts++;
      // After a reset ETXST is 0 and MACON3 has no padding or FCS (CHIPS.md §1.2): the send aborts.
      if (this.configLost()) this.reinit();
      return false;
    }
  }

  /**
   * Transmits frame[0..length) (header first, no FCS; the MAC pads to 60 octets and appends the FCS).
   * Returns false if the link is down. The frame is copied to the chip before it returns; the
   * transmission's end is checked (bounded) by the next `send` or by `flush`.
   * Throws if `length` is not 14–1514 or exceeds frame.length (API misuse).
   */
  send(frame: Uint8Array, length: number): boolean {
    if (!(length >= 14 && length <= MAX_FRAME && length <= frame.length)) {
      throw new Error('send: length ' + length + ' must be 14..1514 octets and at most frame.length');
    }
    if (!this.link) { this.counters.txLinkDown++; return false; }
    this.flush();
    if (!this.link) { this.counters.txLinkDown++; return false; } // a re-init in flush found it down
    // 1. Errata 12: reset the transmit logic.   2. Clear TXIF and TXERIF.
    this.resetTx();
    this.bitClear(R.EIR, R.EIR_TXIF | R.EIR_TXERIF);
    // 3. EWRPT = ETXST.   4. WBM control byte 0x00 (use MACON3 settings) and the frame.
    this.write16(R.EWRPTL, R.TX_START);
    var b = this.buf;
    b[0] = R.OP_WBM;
    b[1] = 0x00;
    b.set(length === frame.length ? frame : frame.subarray(0, length), 2);
    this.spi.write(b.subarray(0, length + 2), this.cs);
    // 5. ETXND = last octet of the frame.   6. Start: BFS TXRTS.
    this.write16(R.ETXNDL, R.TX_START + length);
    this.txLen = length;
    this.bitSet(R.ECON1, R.ECON1_TXRTS);
    this.txBusy = true;
    this.counters.txFrames++;
    this.counters.txBytes += length;
    return true;
  }

  // ---------------------------------------------------------------- filters (DS §8, CHIPS.md §1.8)

  /**
   * Multicast filter: `null` accepts all multicast (ERXFCON.MCEN); a list programs the hash table
   * (ERXFCON.HTEN, EHT0–7) with each 6-octet MAC; an empty list accepts none. Unicast to our MAC and
   * broadcast are always accepted. ERXFCON and EHT are changed with RXEN = 0 (DS §8.1). The setting is
   * kept and programmed again by a re-initialisation after a chip reset.
   * Throws if an entry is not a 6-octet array.
   */
  setMulticast(macs: Uint8Array[] | null): void {
    var i;
    if (macs !== null) {
      for (i = 0; i < macs.length; i++) {
        if (!macs[i] || macs[i].length < 6) throw new Error('setMulticast: macs[' + i + '] must be a 6-octet MAC address');
      }
    }
    var eht = this.eht;
    eht.fill(0);
    var fcon = R.ERXFCON_UCEN | R.ERXFCON_CRCEN | R.ERXFCON_BCEN;
    if (macs === null) fcon |= R.ERXFCON_MCEN;
    else {
      fcon |= R.ERXFCON_HTEN;
      for (i = 0; i < macs.length; i++) {
        var k = hashIndex(macs[i], 0);
        eht[k >> 3] |= 1 << (k & 7);
      }
    }
    this.fcon = fcon;
    if (!this.ready) return; // programmed by the next (re-)initialisation
    this.bitClear(R.ECON1, R.ECON1_RXEN);
    for (var j = 0; j < 8; j++) this.writeReg(R.EHT0 + j, eht[j]);
    this.writeReg(R.ERXFCON, fcon);
    this.bitSet(R.ECON1, R.ECON1_RXEN);
  }

  stats(): Enc28j60Stats {
    return this.counters;
  }
}

/**
 * Resets and configures an ENC28J60 on `spi` with chip select `cs` and returns its driver.
 * `spi` must already be set up in mode 0 at 8 to 20 MHz (e.g. `SPI1.setup({mosi: B5, miso: B4, sck: B3,
 * baud: 8000000})`): errata DS80349C item 1, below 8 MHz MAC and MII register reads may be wrong
 * (Espruino's default is 100 kHz). Pass the same value as `options.baud` to have it checked. Throws if no chip answers (EREVID reads 0x00 or 0xFF) or the PHY does not answer.
 */
export function connect(spi: SpiBus, cs: Pin, options?: Enc28j60Options): Enc28j60 {
  var d = new Enc28j60Driver(spi, cs, options);
  d.init();
  return d;
}
