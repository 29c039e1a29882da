/**
 * ENC28J60 Ethernet controller driver over SPI (Microchip DS39662E; errata DS80349C).
 * Shipped alone as `micronet-enc28j60`; it needs nothing from the core and implements `Device`.
 *
 *   SPI1.setup({ mosi: B5, miso: B4, sck: B3, baud: 8000000 });   // 8..20 MHz: errata item 1
 *   var eth = require("micronet-enc28j60").connect(SPI1, B1, { mac: "02:4d:4e:00:00:01", int: A8, baud: 8000000 });
 *   var frame = new Uint8Array(1518);
 *   var n = eth.receive(frame);        // 0 when nothing is waiting
 *   eth.send(frame, n);                // false when the link is down
 *
 * SPI: every register command or buffer transfer is one `send`/`write` call (one CS-low frame; the chip
 * needs CS to rise between commands, so commands cannot share a call). Buffer memory: receive ring
 * 0x0000–0x19FF (6656 octets), transmit buffer 0x1A00–0x1FFF. Bank 0 stays selected on the frame path.
 * Per frame (a UDP echo: the request in, the reply out, one more idle poll) it costs about 10 SPI calls:
 *  - receive: ERXWRPTL (a packet is waiting when the chip's write pointer is not our next-packet pointer:
 *    ERXWRPT is read-only and moves once per packet received, DS §7.2.1; ERXWRPTH too when the low octets
 *    agree), one RBM of the header and as much of the frame as the last frame's length (a second RBM
 *    for the rest), PKTDEC. ERDPT is already on the packet (the previous RBM ended there). The space is
 *    given back to the chip (ERXRDPT, errata 14: odd, L then H) once options.rxReleaseOctets (1024) have been read, not per
 *    frame;
 *  - transmit: EWRPT (only the octets that differ from where the last frame left it), one WBM of the
 *    control byte and the frame, ETXND (only when the length changed), BFS TXRTS;
 *  - idle: ERXWRPTL, ERXWRPTH, EIR (not on the first idle poll after a send: that frame is still on the
 *    wire); when the last transmission has ended, BFC TXIF.
 * EPKTCNT is still decremented per packet (PKTDEC: it holds INT low through PKTIF and the chip drops
 * frames at 255) but not read on this path (errata 6: PKTIF is unreliable; EPKTCNT is read after a
 * receive reset). Every wait is bounded by a poll count and every error path has a counter in `stats()`.
 *
 * Errata handled: 1 (SPI ≥ 8 MHz: `options.baud` checked), 6 (PKTIF not trusted), 12 (after an abort
 * the transmit logic is reset, then TXERIF/TXIF cleared; a late collision, TSV bit 29, is retried as
 * Linux and ESP-IDF do), 14 (odd ERXRDPT), B7 (receive ring at 0), the 1 ms wait after SRC (CLKRDY).
 *
 * Chip reset recovery: a reset (brown-out, a glitch on RESET, an SRC) returns every control register
 * to its reset value (DS §11; ECON1 resets to 0), so the chip stops receiving and would send frames
 * without padding or FCS. The driver reads ECON1 back in `linkUp` (the stack calls it every
 * Config.linkCheckMs), after a transmission that timed out or aborted, and on a receive-ring error; if
 * ECON1 no longer holds RXEN and bank 0 it runs the init sequence again (MAC, filters with the current
 * multicast setting, buffers, interrupts, RX enable), counts it in `reinits` and calls `onReset`.
 * Frames the chip held are lost.
 */
import { Device, SpiBus, Pin } from './device';
import * as R from './enc28j60-regs';
import { ERROR_TEXT, STATS_DETAIL } from '../features';

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
   *  MII registers (MACON*, MAADR*, MISTAT, MIRD*) may read wrong, and 20 MHz is the datasheet's maximum.
   *  connect throws otherwise. Set the bus up with `baud: 8000000` or more. */
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
  /** Octets read from the receive ring before their space is given back to the chip (ERXRDPT, two SPI
   *  calls). Default 1024: small frames give their space back every few frames, full-size ones every
   *  frame, so the 6656-octet ring keeps room for three full-size frames beyond what the driver holds
   *  (2048 saves one more call per large-frame echo but lost a fifth more datagrams under bursts in the
   *  soak test); 0 gives the space back after every packet. */
  rxReleaseOctets?: number;
  /** Reads of EIR while waiting for the previous transmission to end. Default 4000 (a 1518-octet
   *  frame takes 1.23 ms on the wire; one poll is 2 SPI octets). */
  txPolls?: number;
  /** Reads of MISTAT while waiting for an MII operation (10.24 µs). Default 200. */
  miiPolls?: number;
  /** Retransmissions after a late collision (TSV bit 29; Linux uses 16). Default 16. */
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

/** Counters for every path of the driver, as numbers. `stats()` returns a new snapshot each call.
 *  Without the build's STATS_DETAIL switch only rxFrames, rxBytes, txFrames, txBytes, rxErrors (every
 *  receive drop and error) and txErrors (aborts, timeouts, link down) are named. */
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
  /** Transmissions aborted (EIR.TXERIF), retries exhausted or not a late collision. */ txAborts: number;
  /** Late collisions seen (TSV bit 29). */ txLateCollisions: number;
  /** Retransmissions after a late collision. */ txRetries: number;
  /** The previous transmission did not end within txPolls polls. */ txTimeouts: number;
  /** `send` refused because the link is down. */ txLinkDown: number;
  /** MII operation still busy after miiPolls polls. */ miiTimeouts: number;
  /** Link state changes reported. */ linkChanges: number;
  /** Init sequences run again after ECON1 read back without RXEN (a chip reset). */ reinits: number;
  /** Of those, the ones that failed (EREVID 0x00/0xFF or the PHY silent). */ reinitFailures: number;
  /** Only without STATS_DETAIL: the sums of the receive and transmit error counters. */
  rxErrors?: number; txErrors?: number;
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
  /** A snapshot of the counters. */
  stats(): Enc28j60Stats;
  /** Reads one control register (R.* encoding); for diagnostics. */
  readReg(reg: number): number;
  /** Reads one PHY register through MII, or -1 on an MII timeout; for diagnostics. */
  readPhy(reg: number): number;
}

/** Counter indexes into the driver's Uint32Array (names in COUNTER_NAMES, same order). */
const C_RX_FRAMES = 0, C_RX_BYTES = 1, C_RX_CRC = 2, C_RX_LEN = 3, C_RX_NOTOK = 4, C_RX_TOOLONG = 5,
  C_RX_RING = 6, C_RX_RESETS = 7, C_RX_DISCARDED = 8, C_RX_OVERFLOWS = 9, C_RX_BURST = 10, C_TX_FRAMES = 11,
  C_TX_BYTES = 12, C_TX_ABORTS = 13, C_TX_LATE = 14, C_TX_RETRIES = 15, C_TX_TIMEOUTS = 16, C_TX_LINKDOWN = 17,
  C_MII_TIMEOUTS = 18, C_LINK_CHANGES = 19, C_REINITS = 20, C_REINIT_FAILURES = 21, C_COUNT = 22;
const COUNTER_NAMES = 'rxFrames rxBytes rxCrcErrors rxLengthErrors rxNotOk rxTooLong rxRingErrors rxResets rxDiscarded rxOverflows rxBurstLimits txFrames txBytes txAborts txLateCollisions txRetries txTimeouts txLinkDown miiTimeouts linkChanges reinits reinitFailures';

/** Largest frame handed to or returned by the driver: 14-octet header + 1500, no FCS. */
const MAX_FRAME = 1514;
/** Receive ring size, octets. */
const RING = R.RX_END - R.RX_START + 1;
/** Smallest byte count of a frame from a padding MAC (60 octets + FCS): the first RBM reads at least this. */
const MIN_COUNT = 64;
/** CRC-32 polynomial (IEEE 802.3), used for the multicast hash (DS §8.3). */
const CRC32_POLY = 0x04c11db7;

/**
 * Hash-table index (0–63) of a destination MAC for EHT0–EHT7 (DS §8.3): CRC-32 with
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

/** An Error naming the argument and the rule (short text on boards built without ERROR_TEXT). */
function fail(long: string, short: string): Error {
  return new Error('ENC28J60: ' + (ERROR_TEXT ? long : short));
}

/** An integer option >= min, or its default. */
function intOption(v: number | undefined, d: number, min: number, name: string): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !(v >= min) || Math.floor(v) !== v) throw fail('options.' + name + ' must be an integer >= ' + min, 'options.' + name + ' >= ' + min);
  return v;
}

/**
 * Resets and configures an ENC28J60 on `spi` with chip select `cs` and returns its driver.
 * `spi` must already be set up in mode 0 at 8 to 20 MHz (e.g. `SPI1.setup({mosi: B5, miso: B4, sck: B3,
 * baud: 8000000})`): errata DS80349C item 1, below 8 MHz MAC and MII register reads may be wrong
 * (Espruino's default is 100 kHz). Pass the same value as `options.baud` to have it checked.
 * Throws if an option is invalid, if no chip answers (EREVID reads 0x00 or 0xFF) or the PHY does not.
 */
export function connect(spi: SpiBus, cs: Pin, options?: Enc28j60Options): Enc28j60 {
  if (!spi || typeof spi.send !== 'function' || typeof spi.write !== 'function') throw fail('spi must have send(data, cs) and write(data, cs)', 'spi needs send, write');
  var o = options || {};
  var full = !!o.fullDuplex;
  var rxBurst = intOption(o.rxBurst, 8, 1, 'rxBurst');
  var txPolls = intOption(o.txPolls, 4000, 1, 'txPolls');
  var miiPolls = intOption(o.miiPolls, 200, 1, 'miiPolls');
  var lcRetries = intOption(o.lateCollisionRetries, 16, 0, 'lateCollisionRetries');
  var releaseOctets = intOption(o.rxReleaseOctets, 1024, 0, 'rxReleaseOctets');
  if (o.baud !== undefined && !(o.baud >= 8000000 && o.baud <= 20000000)) {
    throw fail('options.baud ' + o.baud + ' must be 8000000..20000000: below 8 MHz the ENC28J60 may misread MAC/MII registers (errata 1)', 'options.baud 8e6..2e7');
  }
  var mac = new Uint8Array(6);
  var m = o.mac;
  if (m === undefined) { mac[0] = 2; mac[1] = 0x4d; mac[2] = 0x4e; mac[5] = 1; }
  else {
    var parts: any = typeof m === 'string' ? m.split(':') : m;
    if (!parts || parts.length !== 6) throw fail('options.mac must be 6 octets or "aa:bb:cc:dd:ee:ff"', 'options.mac: 6 octets');
    for (var k = 0; k < 6; k++) {
      var v = typeof m === 'string' ? (parts[k].length === 1 || parts[k].length === 2 ? parseInt(parts[k], 16) : NaN) : parts[k];
      if (!(v >= 0 && v <= 255)) throw fail('options.mac has a bad octet "' + parts[k] + '"', 'options.mac: bad octet');
      mac[k] = v;
    }
  }

  // ---- state (hot names first: Espruino looks a name up by walking the scope in order)
  var c = new Uint32Array(C_COUNT);
  /** Address of the next packet in the receive ring (next-packet pointer). */
  var next = R.RX_START;
  /** ERDPT as the driver last left it (-1: unknown). */
  var rdpt = -1;
  /** Octets read from the ring since ERXRDPT was last moved. */
  var held = 0;
  /** Bytes of the first RBM beyond the header: the last good frame's count, rounded to even. */
  var guess = MIN_COUNT;
  /** EWRPT and ETXND as the driver last left them (-1: unknown). */
  var ewrpt = -1, etxnd = -1;
  /** A transmission was started and its end not seen yet; length of the frame in the buffer. */
  var txBusy = false, txLen = 0, txFresh = false;
  /** The last transmission timed out: reset the transmit logic before the next one (errata 12). */
  var eirStale = false;
  var link = false;
  /** The init sequence completed and no reset has been seen since. */
  var ready = false;
  /** Bank selected in ECON1.BSEL, as far as the driver knows (-1: unknown). */
  var bank = -1;
  /** Command buffers, allocated once: 2- and 3-octet register commands, RBM reads. */
  var c2 = new Uint8Array(2);
  var c3 = new Uint8Array(3);
  var rbm = { data: 0, count: 0 };
  var rbmCmd = [R.OP_RBM, rbm];
  var wbmHead = new Uint8Array([R.OP_WBM, 0x00]);
  var wbmCmd: any[] = [wbmHead, wbmHead];
  /** EHT0–7 and ERXFCON as the multicast setting wants them (kept for a re-initialisation). */
  var eht = new Uint8Array(8);
  var fcon = R.ERXFCON_UCEN | R.ERXFCON_CRCEN | R.ERXFCON_BCEN;

  // ---- SPI primitives (DS §4.2)

  /** One two-octet command (WCR/BFS/BFC): a single `write`. */
  function cmd(op: number, val: number): void {
    c2[0] = op;
    c2[1] = val;
    spi.write(c2, cs);
  }

  /** Selects the bank of `reg` with BFC/BFS on ECON1.BSEL (never a read-modify-write of ECON1, which
   *  could race the hardware clearing TXRTS: a read-modify-write bug seen in other drivers). Common registers need none. */
  function setBank(reg: number): void {
    if ((reg & 0x1f) >= 0x1b) return;
    var b = (reg >> 5) & 3;
    if (b === bank) return;
    var clr = bank < 0 ? 3 : bank & ~b & 3;
    var set = bank < 0 ? b : b & ~bank & 3;
    if (clr) cmd(R.OP_BFC | R.ECON1, clr);
    if (set) cmd(R.OP_BFS | R.ECON1, set);
    bank = b;
  }

  /** RCR: ETH registers answer in the 2nd octet, MAC/MII registers after a dummy octet (DS §4.2.1). */
  function readReg(reg: number): number {
    setBank(reg);
    var mm = reg & R.MACMII;
    var b = mm ? c3 : c2;
    b[0] = R.OP_RCR | (reg & 0x1f);
    b[1] = 0;
    b[2] = 0;
    return spi.send(b, cs)[mm ? 2 : 1];
  }

  /** WCR (BFS/BFC with `op`): bank selected first. */
  function writeReg(reg: number, val: number, op?: number): void {
    setBank(reg);
    cmd((op === undefined ? R.OP_WCR : op) | (reg & 0x1f), val & 0xff);
  }

  /** Writes a register pair, low register first (ERXRDPT commits on the high write, DS §7.2.4). */
  function write16(regL: number, val: number): void {
    writeReg(regL, val);
    writeReg(regL + 1, val >> 8);
  }

  /** Reads `n` octets of buffer memory at ERDPT in one RBM; the data starts at index 1. */
  function readBuf(n: number): Uint8Array {
    rbm.count = n;
    return spi.send(rbmCmd as any, cs);
  }

  function delay(ms: number): void {
    if (o.delayMs) { o.delayMs(ms); return; }
    // Busy-wait on the clock, reading ESTAT meanwhile (allowed during the post-SRC hold; lets SPI-timed
    // simulators see the time pass).
    var end = Date.now() + ms + 1;
    for (var i = 0; i < 100000 && Date.now() < end; i++) readReg(R.ESTAT);
  }

  // ---- MII (DS §3.3.1, §3.3.2)

  /** Polls MISTAT.BUSY (bounded). False on timeout (counted). */
  function miiWait(): boolean {
    for (var i = 0; i < miiPolls; i++) if (!(readReg(R.MISTAT) & R.MISTAT_BUSY)) return true;
    c[C_MII_TIMEOUTS]++;
    return false;
  }

  /** Reads a PHY register: MIREGADR, MICMD.MIIRD, poll BUSY, MICMD = 0, MIRDL then MIRDH. -1 on timeout. */
  function readPhy(reg: number): number {
    writeReg(R.MIREGADR, reg);
    writeReg(R.MICMD, R.MICMD_MIIRD);
    var ok = miiWait();
    writeReg(R.MICMD, 0);
    if (!ok) return -1;
    var lo = readReg(R.MIRDL);
    return lo | (readReg(R.MIRDH) << 8);
  }

  /** Writes a PHY register: MIREGADR, MIWRL, MIWRH (starts the write), poll BUSY. */
  function writePhy(reg: number, val: number): boolean {
    writeReg(R.MIREGADR, reg);
    writeReg(R.MIWRL, val);
    writeReg(R.MIWRH, val >> 8);
    return miiWait();
  }

  /** Leaves bank 0 selected (the frame path's registers). */
  function bank0(): void {
    setBank(R.ERDPTL);
  }

  // ---- init (DS §6 "Initialization", errata DS80349): '' when done, else the reason it stopped

  function setup(): string {
    if (o.reset) { o.reset.reset(); delay(1); o.reset.set(); }
    // 1. SRC, then wait at least 1 ms (errata 2: CLKRDY is unreliable after a soft reset).
    c2[0] = R.OP_SRC;
    spi.write(c2.subarray(0, 1), cs);
    bank = 0; // SRC clears ECON1
    delay(1);
    // 2. ECON1 = 0; ECON2 = AUTOINC | VRPS.
    writeReg(R.ECON1, 0);
    writeReg(R.ECON2, R.ECON2_AUTOINC | R.ECON2_VRPS);
    // 3. Buffers: RX ring at 0 (B7 errata), ERXRDPT = ERXND (odd, errata 14); TX buffer after it.
    write16(R.ERXSTL, R.RX_START);
    write16(R.ERXRDPTL, R.RX_END);
    write16(R.ERXNDL, R.RX_END);
    write16(R.ETXSTL, R.TX_START);
    write16(R.ETXNDL, R.TX_END);
    next = R.RX_START;
    rdpt = ewrpt = etxnd = -1;
    held = 0;
    txBusy = false;
    link = false;
    // 4. Revision check: 0x00 or 0xFF means nothing drives MISO.
    var rev = readReg(R.EREVID);
    if (rev === 0x00 || rev === 0xff) return ERROR_TEXT ? 'no chip answers on SPI (EREVID = 0x' + (rev ? 'ff' : '00') + '); check wiring, the cs pin, power and SPI mode 0' : 'no chip (EREVID)';
    drv.revision = rev;
    // 5. Receive filters: unicast to our MAC, broadcast, CRC check, and the multicast setting.
    programFilter();
    // 6. MAC: receive enable, pause frames both ways.
    writeReg(R.MACON1, R.MACON1_MARXEN | R.MACON1_TXPAUS | R.MACON1_RXPAUS);
    // 7. Duplex: padding to 60 + CRC, length check; inter-packet gaps from DS §6.5.
    writeReg(R.MACON3, R.MACON3_PADCFG0 | R.MACON3_TXCRCEN | R.MACON3_FRMLNEN | (full ? R.MACON3_FULDPX : 0));
    if (!full) {
      writeReg(R.MACON4, R.MACON4_DEFER);
      writeReg(R.MAIPGH, 0x0c);
    }
    writeReg(R.MAIPGL, 0x12);
    writeReg(R.MABBIPG, full ? 0x15 : 0x12);
    // 8. Maximum frame length (FCS included) and the MAC address (MAADR1 is the first octet on the wire;
    //    MAADR1..6 sit at 0x64, 0x65, 0x62, 0x63, 0x60, 0x61 of bank 3).
    write16(R.MAMXFLL, R.MAX_FRAMELEN);
    for (var i = 0; i < 6; i++) writeReg(R.MAADR1 - ((i >> 1) << 1) + (i & 1), mac[i]);
    // 9. PHY: LEDs, duplex, no loopback of our own frames in half duplex (HDLDIS).
    var ok = writePhy(R.PHLCON, o.phlcon === undefined ? 0x3476 : o.phlcon);
    ok = writePhy(R.PHCON1, full ? R.PHCON1_PDPXMD : 0) && ok;
    ok = writePhy(R.PHCON2, full ? 0 : R.PHCON2_HDLDIS) && ok;
    // 10. Link interrupt on; clear EIR; interrupts (not TXIE: a finished transmission does not hold INT
    //     low, the driver polls TXIF); start receiving.
    ok = writePhy(R.PHIE, R.PHIE_PGEIE | R.PHIE_PLNKIE) && ok;
    if (!ok) return ERROR_TEXT ? 'PHY (MII) does not answer: MISTAT.BUSY stays set' : 'PHY silent';
    writeReg(R.EIR, R.EIR_DMAIF | R.EIR_TXIF | R.EIR_TXERIF | R.EIR_RXERIF, R.OP_BFC);
    writeReg(R.EIE, R.EIE_INTIE | R.EIE_PKTIE | R.EIE_LINKIE | R.EIE_TXERIE | R.EIE_RXERIE);
    writeReg(R.ECON1, R.ECON1_RXEN, R.OP_BFS);
    var st = readPhy(R.PHSTAT2);
    link = st >= 0 && (st & R.PHSTAT2_LSTAT) !== 0;
    bank0();
    return '';
  }

  /** ERXFCON and EHT0–7 from the multicast setting (EHT only when the hash filter is on). */
  function programFilter(): void {
    if (fcon & R.ERXFCON_HTEN) for (var j = 0; j < 8; j++) writeReg(R.EHT0 + j, eht[j]);
    writeReg(R.ERXFCON, fcon);
  }

  // ---- reset detection (DS §11)

  /** True when ECON1 reads other than RXEN | bank 0 twice in a row (TXRTS ignored: set while a
   *  transmission is in progress; a reset clears ECON1). The second read keeps one bit error on MISO
   *  from starting a re-initialisation. */
  function configLost(): boolean {
    bank0();
    return (readReg(R.ECON1) & ~R.ECON1_TXRTS) !== R.ECON1_RXEN && (readReg(R.ECON1) & ~R.ECON1_TXRTS) !== R.ECON1_RXEN;
  }

  /** Runs the init sequence again after a chip reset; counted, reported through onReset/onLink.
   *  Never throws: a failure leaves the driver not ready (link down, receive returns 0). */
  function reinit(): void {
    var was = link;
    c[C_REINITS]++;
    ready = setup() === '';
    if (!ready) { c[C_REINIT_FAILURES]++; link = false; }
    if (o.onReset) o.onReset(ready);
    if (link !== was) linkChanged(link);
  }

  function linkChanged(up: boolean): void {
    link = up;
    c[C_LINK_CHANGES]++;
    if (o.onLink) o.onLink(up);
  }

  function checkLink(): boolean {
    readPhy(R.PHIR); // clears PLNKIF/PGIF and with them EIR.LINKIF
    var st = readPhy(R.PHSTAT2);
    bank0();
    if (st >= 0 && ((st & R.PHSTAT2_LSTAT) !== 0) !== link) linkChanged(!link);
    return link;
  }

  // ---- receive (DS §7.2)

  /** Nothing waiting: EIR handles RXERIF (counted), LINKIF (checkLink) and the end of a transmission.
   *  Skipped once right after a send (that transmission is still on the wire; the next send's wait or
   *  the next idle poll reads EIR). */
  function idle(): void {
    if (txFresh) { txFresh = false; return; }
    var eir = readReg(R.EIR);
    if (eir & R.EIR_RXERIF) {
      // The chip dropped frames (ring full or EPKTCNT = 255). The ring itself is intact (DS §7.2.4).
      c[C_RX_OVERFLOWS]++;
      writeReg(R.EIR, R.EIR_RXERIF, R.OP_BFC);
    }
    if (eir & R.EIR_LINKIF) checkLink();
    if (txBusy && eir & (R.EIR_TXIF | R.EIR_TXERIF)) txEnd(eir, 0);
  }

  /** Frees the ring up to `next` for the chip: ERXRDPT = next − 1, odd (errata 14), L then H. */
  function release(): void {
    var rd = next - 1;
    if (rd < R.RX_START) rd = R.RX_END;
    write16(R.ERXRDPTL, rd);
    held = 0;
  }

  /** Receive logic reset after ring corruption: RXEN off, RXRST pulse, ring reprogrammed, EPKTCNT
   *  decremented to 0 (RXRST resets the receive logic only, DS §11, Receive Only Reset: EPKTCNT would
   *  still count the lost packets and the next receive would read stale headers), RXEN on. */
  function resetRx(): void {
    c[C_RX_RESETS]++;
    writeReg(R.ECON1, R.ECON1_RXEN, R.OP_BFC);
    writeReg(R.ECON1, R.ECON1_RXRST, R.OP_BFS);
    writeReg(R.ECON1, R.ECON1_RXRST, R.OP_BFC);
    write16(R.ERXSTL, R.RX_START);
    write16(R.ERXNDL, R.RX_END);
    next = R.RX_START;
    release();
    for (var i = 0; i < 255 && readReg(R.EPKTCNT) > 0; i++) {
      writeReg(R.ECON2, R.ECON2_PKTDEC, R.OP_BFS);
      c[C_RX_DISCARDED]++;
    }
    writeReg(R.EIR, R.EIR_RXERIF, R.OP_BFC);
    writeReg(R.ECON1, R.ECON1_RXEN, R.OP_BFS);
    bank0();
    rdpt = -1;
  }

  /**
   * Copies the next good received frame (header first, no FCS) into frame[0..) and returns its length
   * in octets, or 0 when none is waiting. At most `rxBurst` packets are examined per call; bad ones are
   * dropped and counted. Never throws on bad input from the wire.
   */
  function receive(frame: Uint8Array): number {
    for (var i = 0; i < rxBurst; i++) {
      if (!ready) return 0;
      // 0. A packet is waiting when ERXWRPT (bank 0, read-only, moved once per packet) is not `next`.
      var p = next;
      if (readReg(R.ERXWRPTL) === (p & 0xff) && readReg(R.ERXWRPTL + 1) === p >> 8) { idle(); return 0; }
      // 1. ERDPT = next packet (skipped when the previous read left ERDPT there already).
      if (rdpt !== p) write16(R.ERDPTL, p);
      // 2. The six header octets (next-packet pointer, byte count, status bits 16–31) and, in the same
      //    RBM, as much of the frame as the last one had (AUTOINC wraps ERDPT at ERXND).
      var first = guess;
      var h = readBuf(6 + first);
      var nxt = h[1] | (h[2] << 8);
      var cnt = h[3] | (h[4] << 8);
      var st = h[5] | (h[6] << 8);
      // Sanity: the next pointer must be where this packet ends (6 + count, rounded up to even, wrapped).
      var even = (cnt + 1) & ~1;
      var end = p + 6 + even;
      if (end > R.RX_END) end -= RING;
      if (cnt > R.MAX_FRAMELEN || nxt !== end) {
        c[C_RX_RING]++;
        // A reset moves ERDPT to 0x05FA (the datasheet's register reset values): check for one before resetting only the receiver.
        if (configLost()) reinit();
        else resetRx();
        return 0;
      }
      var len = cnt - 4;
      var got = 0;
      rdpt = -1;
      if (!(st & R.RSV_RXOK)) c[st & R.RSV_CRCERR ? C_RX_CRC : st & R.RSV_LENCHK ? C_RX_LEN : C_RX_NOTOK]++;
      else if (len < 14) c[C_RX_LEN]++;
      else if (len > frame.length) c[C_RX_TOOLONG]++;
      else {
        // 3. The frame: what the first RBM brought, then (one more RBM) the rest, FCS and pad octet
        //    included, so that ERDPT ends on the next packet.
        if (len > first) {
          frame.set(h.subarray(7, 7 + first));
          frame.set(readBuf(even - first).subarray(1, 1 + len - first), first);
          rdpt = nxt;
        } else {
          frame.set(h.subarray(7, 7 + len));
          if (even === first) rdpt = nxt;
        }
        guess = even < MIN_COUNT ? MIN_COUNT : even;
        c[C_RX_FRAMES]++;
        c[C_RX_BYTES] += len;
        got = len;
      }
      // 4. The packet is done: EPKTCNT − 1 (PKTDEC); its space goes back to the chip once
      //    options.rxReleaseOctets have been read.
      next = nxt;
      held += 6 + even;
      writeReg(R.ECON2, R.ECON2_PKTDEC, R.OP_BFS);
      if (held >= releaseOctets) release();
      if (got) return got;
    }
    c[C_RX_BURST]++;
    return 0;
  }

  // ---- transmit (DS §7.1)

  /** Pulses ECON1.TXRST (errata 12: after an abort the transmit logic may stall). */
  function resetTx(): void {
    writeReg(R.ECON1, R.ECON1_TXRST, R.OP_BFS);
    writeReg(R.ECON1, R.ECON1_TXRST, R.OP_BFC);
  }

  /**
   * The transmission in progress ended (EIR `eir` shows TXIF or TXERIF). Returns true when it went out,
   * false when it aborted for good; retries a late collision (returns -1: still busy).
   */
  function txEnd(eir: number, attempt: number): any {
    if (!(eir & R.EIR_TXERIF)) {
      writeReg(R.EIR, R.EIR_TXIF, R.OP_BFC);
      txBusy = false;
      return true;
    }
    // Aborted. The transmit status vector (DS Table 7-1, 7 octets at ETXND + 1) tells why: bit 29 is a
    // late collision, the case Linux's enc28j60.c and ESP-IDF retransmit (the frame is still in the
    // buffer). ESTAT.LATECOL is read-only and not used.
    writeReg(R.ECON1, R.ECON1_TXRTS, R.OP_BFC);
    write16(R.ERDPTL, R.TX_START + txLen + 1);
    rdpt = -1;
    var late = (readBuf(4)[4] & 0x20) !== 0;
    // Errata 12: reset the transmit logic, THEN clear TXERIF/TXIF (clearing TXRST may raise TXERIF
    // again), then ESTAT.TXABRT (R/C).
    resetTx();
    writeReg(R.EIR, R.EIR_TXIF | R.EIR_TXERIF, R.OP_BFC);
    writeReg(R.ESTAT, R.ESTAT_TXABRT, R.OP_BFC);
    if (late) c[C_TX_LATE]++;
    if (late && attempt < lcRetries) {
      c[C_TX_RETRIES]++;
      writeReg(R.ECON1, R.ECON1_TXRTS, R.OP_BFS);
      return -1;
    }
    c[C_TX_ABORTS]++;
    txBusy = false;
    // After a reset ETXST is 0 and MACON3 has no padding or FCS (the datasheet's register reset values): the send aborts.
    if (configLost()) reinit();
    return false;
  }

  /**
   * Waits (at most txPolls reads of EIR per attempt) for the transmission in progress to end. On a late
   * collision the frame, still in the buffer, is sent again (up to lateCollisionRetries times). Counted:
   * txTimeouts, txAborts, txLateCollisions, txRetries.
   */
  function flush(): boolean {
    for (var attempt = 0; txBusy; attempt++) {
      var eir = 0;
      for (var i = 0; i < txPolls && !(eir & (R.EIR_TXIF | R.EIR_TXERIF)); i++) eir = readReg(R.EIR);
      if (!(eir & (R.EIR_TXIF | R.EIR_TXERIF))) {
        c[C_TX_TIMEOUTS]++;
        txBusy = false;
        // The next send resets the transmit logic (a timeout is an error too, errata 12).
        eirStale = true;
        if (configLost()) reinit();
        return false;
      }
      var r = txEnd(eir, attempt);
      if (r !== -1) return r;
    }
    return true;
  }

  /**
   * Transmits frame[0..length) (header first, no FCS; the MAC pads to 60 octets and appends the FCS).
   * Returns false if the link is down. The frame is copied to the chip before it returns; the
   * transmission's end is seen (bounded) by the next idle `receive`, `send` or `flush`.
   * Throws if `length` is not 14–1514 or exceeds frame.length (API misuse).
   */
  function send(frame: Uint8Array, length: number): boolean {
    if (!(length >= 14 && length <= MAX_FRAME && length <= frame.length)) {
      throw fail('send: length ' + length + ' must be 14..1514 octets and at most frame.length', 'send: length 14..1514');
    }
    if (link && txBusy) flush();
    if (!link) { c[C_TX_LINKDOWN]++; return false; } // also when a re-init in flush found it down
    if (eirStale) {
      eirStale = false;
      resetTx();
      writeReg(R.EIR, R.EIR_TXIF | R.EIR_TXERIF, R.OP_BFC);
    }
    // 3. EWRPT = ETXST (only the octets that changed since the last frame left it).
    if (ewrpt !== R.TX_START) {
      if ((ewrpt & 0xff) !== (R.TX_START & 0xff)) writeReg(R.EWRPTL, R.TX_START);
      if (ewrpt >> 8 !== R.TX_START >> 8) writeReg(R.EWRPTL + 1, R.TX_START >> 8);
    }
    // 4. WBM: control byte 0x00 (MACON3's padding and CRC) and the frame, one call.
    wbmCmd[1] = length === frame.length ? frame : frame.subarray(0, length);
    spi.write(wbmCmd as any, cs);
    ewrpt = R.TX_START + 1 + length;
    // 5. ETXND = the frame's last octet (only when it changed).   6. BFS TXRTS.
    var nd = R.TX_START + length;
    if (etxnd !== nd) {
      if ((etxnd & 0xff) !== (nd & 0xff)) writeReg(R.ETXNDL, nd);
      if (etxnd >> 8 !== nd >> 8) writeReg(R.ETXNDL + 1, nd >> 8);
      etxnd = nd;
    }
    writeReg(R.ECON1, R.ECON1_TXRTS, R.OP_BFS);
    txBusy = txFresh = true;
    txLen = length;
    c[C_TX_FRAMES]++;
    c[C_TX_BYTES] += length;
    return true;
  }

  // ---- filters (DS §8)

  /**
   * Multicast filter: `null` accepts all multicast (ERXFCON.MCEN); a list programs the hash table
   * (ERXFCON.HTEN, EHT0–7) with each 6-octet MAC; an empty list accepts none. Unicast to our MAC and
   * broadcast are always accepted. ERXFCON and EHT are changed with RXEN = 0 (DS §8.1). The setting is
   * kept and programmed again by a re-initialisation after a chip reset.
   * Throws if an entry is not a 6-octet array.
   */
  function setMulticast(macs: Uint8Array[] | null): void {
    var i;
    if (macs !== null) {
      for (i = 0; i < macs.length; i++) {
        if (!macs[i] || macs[i].length < 6) throw fail('setMulticast: macs[' + i + '] must be a 6-octet MAC address', 'setMulticast: macs[' + i + '] 6 octets');
      }
    }
    eht.fill(0);
    fcon = R.ERXFCON_UCEN | R.ERXFCON_CRCEN | R.ERXFCON_BCEN | (macs === null ? R.ERXFCON_MCEN : R.ERXFCON_HTEN);
    if (macs !== null) {
      for (i = 0; i < macs.length; i++) {
        var h = hashIndex(macs[i], 0);
        eht[h >> 3] |= 1 << (h & 7);
      }
    }
    if (!ready) return; // programmed by the next (re-)initialisation
    writeReg(R.ECON1, R.ECON1_RXEN, R.OP_BFC);
    programFilter();
    writeReg(R.ECON1, R.ECON1_RXEN, R.OP_BFS);
    bank0();
  }

  function stats(): Enc28j60Stats {
    var out: any = {};
    var names = COUNTER_NAMES.split(' ');
    if (STATS_DETAIL) for (var i = 0; i < C_COUNT; i++) out[names[i]] = c[i];
    else {
      out.rxFrames = c[C_RX_FRAMES]; out.rxBytes = c[C_RX_BYTES]; out.txFrames = c[C_TX_FRAMES]; out.txBytes = c[C_TX_BYTES];
      out.rxErrors = c[C_RX_CRC] + c[C_RX_LEN] + c[C_RX_NOTOK] + c[C_RX_TOOLONG] + c[C_RX_RING] + c[C_RX_OVERFLOWS];
      out.txErrors = c[C_TX_ABORTS] + c[C_TX_TIMEOUTS] + c[C_TX_LINKDOWN];
    }
    return out;
  }

  var drv: any = {
    mac: mac,
    int: o.int,
    revision: 0,
    receive: receive,
    send: send,
    linkUp: function () {
      if (!ready || configLost()) reinit();
      return link;
    },
    checkLink: checkLink,
    flush: flush,
    setMulticast: setMulticast,
    stats: stats,
    readReg: function (reg: number) { var v = readReg(reg); bank0(); return v; },
    readPhy: function (reg: number) { var v = readPhy(reg); bank0(); return v; },
  };
  var err = setup();
  if (err) throw fail(err, err);
  ready = true;
  return drv;
}
