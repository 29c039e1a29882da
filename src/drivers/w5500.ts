/**
 * WIZnet W5500 driver in MACRAW mode (socket 0 as a plain Ethernet MAC), over an Espruino-shaped SPI bus.
 * Board code: ES5, no allocation per frame beyond the array Espruino's `SPI.send` returns.
 *
 * Usage (Espruino):
 *   SPI2.setup({ mosi: B15, miso: B14, sck: B13, baud: 8000000, mode: 0 });
 *   var eth = require("micronet-w5500").connect(SPI2, B10, { mac: "02:00:00:00:05:00", int: B1 });
 *
 * Sources: W5500 datasheet v1.0.9 (§2.2 SPI frame pp. 13–14, §3 registers, §5 memory p. 27,
 * Sn_MR/Sn_CR/Sn_RX_RSR/Sn_TX_FSR pp. 44–56).
 *
 * What the chip cannot do: MFEN filters multicast by category only (all 01:00:5e groups or none; 33:33
 * always passes). `setMulticast` therefore opens IPv4 multicast when any group is joined and the stack
 * filters groups itself. IPv6 frames are blocked by MIP6B unless `options.ipv6` is true.
 *
 * Chip reset recovery: a reset (RSTn glitch, brown-out, MR.RST) restores every register to its default
 * (datasheet §4.1), which closes socket 0 (Sn_SR 0x00) and clears SHAR, SIMR and the buffer sizes. The
 * driver reads Sn_SR back in `linkUp` (the stack calls it every Config.linkCheckMs), with the last
 * SEND_OK poll of a send that times out, and before reopening the socket after a receive error; when it
 * is not MACRAW (0x42) it runs the init sequence again (MR.RST, SHAR, buffers, interrupts, socket 0 with
 * the current multicast setting), counts it in `reinits` and calls `onReset`. Frames the chip held are lost.
 */
import type { Device, SpiBus, Pin } from './device';
import { parseMac } from '../wire/addr';
import { ERROR_TEXT } from '../features';
import {
  BSB_COMMON, CTRL_RWB, MR, MR_RST, SHAR, SIMR, PHYCFGR, PHYCFGR_LNK, VERSIONR, VERSIONR_W5500,
  Sn_MR, Sn_CR, Sn_IR, Sn_SR, Sn_RXBUF_SIZE, Sn_TX_FSR, Sn_TX_WR, Sn_RX_RSR, Sn_RX_RD, Sn_IMR,
  Sn_MR_MACRAW, Sn_MR_MFEN, Sn_MR_MMB, Sn_MR_MIP6B, Sn_CR_OPEN, Sn_CR_CLOSE, Sn_CR_SEND, Sn_CR_RECV,
  Sn_IR_SEND_OK, Sn_IR_RECV, SOCK_CLOSED, SOCK_MACRAW, MEMORY_SIZE, MACRAW_MTU, MACRAW_HEADER,
} from './w5500-regs';

/** Socket 0 register block, read and write control bytes (VDM): 0x08 / 0x0C. */
var S0_REG = 1;
/** Socket 0 TX buffer block (write 0x14) and RX buffer block (read 0x18). */
var S0_TX = 2;
var S0_RX = 3;
/** Smallest frame the sanity check accepts: an Ethernet header (14 octets). */
var MIN_FRAME = 14;

/** Options of `connect`. Every limit has the default given here. */
export interface W5500Options {
  /** MAC address, "aa:bb:cc:dd:ee:ff" or 6 octets. Default: the address already in SHAR before the
   *  reset (WIZ550io modules preload one); if that is 00:00:00:00:00:00, connect throws. */
  mac?: Uint8Array | number[] | string;
  /** INTn pin (active low). When given, receive() reads its level first and makes no SPI call while it
   *  is high and no frame is known to be waiting (poll the level, not edges: edges can be missed, as the ESP-IDF w5500 driver found). */
  int?: Pin;
  /** RSTn pin: driven low for 1 ms (the datasheet asks ≥ 500 µs), then high, then 2 ms for the PLL to
   *  lock (≤ 1 ms) before the first SPI access (datasheet §5.5.1 reset timing). The waits use `delayMs`,
   *  else a busy-wait on Date.now() bounded by 100000 reads (counted in `waitBounds` if it ends there). */
  reset?: Pin;
  /** Reads a pin level; default the global `digitalRead` (Espruino). */
  readPin?: (pin: Pin) => boolean | number;
  /** Drives a pin; default the global `digitalWrite` (Espruino). */
  writePin?: (pin: Pin, value: boolean | number) => void;
  /** Waits `ms` milliseconds (around the RSTn pulse and between MR.RST polls). Default: a busy-wait on
   *  Date.now() around the RSTn pulse (bounded), none between MR.RST polls (the bounded polls pace it). */
  delayMs?: (ms: number) => void;
  /** How joined multicast groups get through the chip's MAC filter (Sn_MR.MFEN, datasheet p. 44):
   *  'mfen' (default): MFEN stays set and joining a group clears MMB. This relies on MFEN passing
   *  01:00:5e frames, as other drivers observe on real chips (ESP-IDF's and Zephyr's W5500 drivers; docs/simulator-guesses.md), though the datasheet
   *  describes MFEN as unicast and broadcast only.
   *  'stack': for a chip that follows the datasheet (joined groups never arrive with 'mfen'): MFEN is
   *  cleared while any group is joined, so the chip passes every frame, and micronet's Ethernet input
   *  drops unicast for other MACs (eth.notForUs) and IPv4 groups not joined. Costs SPI time and CPU on
   *  a busy LAN (every frame the switch floods to the port is read). */
  multicastFilter?: 'mfen' | 'stack';
  /** Called with the new state whenever linkUp() sees PHYCFGR.LNK change (or a failed re-init). */
  onLink?: (up: boolean) => void;
  /** Called after the driver found socket 0 out of MACRAW (a chip reset, see the file comment) and ran
   *  the init sequence again: `ok` is false when that failed (MR.RST never cleared, VERSIONR wrong, or
   *  socket 0 did not open); the driver then reports the link down, refuses to send (txLinkDown),
   *  receives nothing, and tries again at the next `linkUp` (each try bounded by resetPolls). */
  onReset?: (ok: boolean) => void;
  /** Accept IPv6 frames (clear MIP6B). Default false: micronet is IPv4-only. */
  ipv6?: boolean;
  /** MR.RST and VERSIONR polls after reset. Default 100. */
  resetPolls?: number;
  /** Sn_CR / Sn_SR polls per command. Default 32. */
  commandPolls?: number;
  /** Sn_IR.SEND_OK polls per frame. Default 64 (on a board each poll is one SPI call, ≥ 30 µs). */
  sendPolls?: number;
  /** Reads of Sn_RX_RSR / Sn_TX_FSR before two agree. Default 8. */
  sizeReads?: number;
  /** Frames one receive() call may skip (too long for the caller's buffer) before returning 0. Default 16. */
  rxSkipLimit?: number;
  /** Received octets after which Sn_RX_RD is written and RECV issued (three SPI calls), giving the space
   *  back to the chip. Default 6144 (the chip keeps at least 10 KB, six full-size frames, for frames
   *  arriving meanwhile; 1 gives the space back after every frame, three more SPI calls each). */
  rxCommitBytes?: number;
}

/** Counters of the driver; every error path and every bounded wait has one. */
export interface W5500Counters {
  rxFrames: number; rxBytes: number; txFrames: number; txBytes: number;
  /** A length header outside 14..1514 octets (+2) or beyond Sn_RX_RSR; the socket was reopened. */
  rxBadLength: number;
  /** Sn_RX_RSR above the RX buffer size; the socket was reopened. */
  rxBadSize: number;
  /** Frames longer than the caller's buffer; skipped. */
  rxTooLong: number;
  /** Two successive reads of Sn_RX_RSR / Sn_TX_FSR disagreed (a torn read caught). */
  tornReads: number;
  /** Sn_RX_RSR / Sn_TX_FSR never gave two equal reads within sizeReads. */
  sizeReadTimeouts: number;
  /** Sn_CR did not read 0, or Sn_SR did not reach the expected state, within commandPolls. */
  commandTimeouts: number;
  /** SEND_OK did not arrive within sendPolls. */
  sendTimeouts: number;
  /** A frame refused because the previous SEND never completed and the link is down, or because the chip
   *  could not be re-initialised. */
  txLinkDown: number;
  /** Socket 0 closed and opened again to recover from an error. */
  reopens: number;
  /** Socket 0 closed and opened again to apply a new Sn_MR (multicast change). */
  modeChanges: number;
  /** PHYCFGR.LNK changes seen by linkUp(). */
  linkChanges: number;
  /** Init sequences run again after Sn_SR read back other than MACRAW (a chip reset). */
  reinits: number;
  /** Of those, the ones that failed. */
  reinitFailures: number;
  /** Busy-waits around the RSTn pulse (no delayMs) that ended at their bound before the time had passed. */
  waitBounds: number;
}

/** Parses a MAC string or checks a 6-octet array; throws naming options.mac. */
function parseMacOption(mac: Uint8Array | number[] | string): Uint8Array {
  var out = parseMac(mac, 'W5500: options.mac');
  if (out[0] & 1) throw new Error('W5500: options.mac must be a unicast address (first octet even)');
  return out;
}

function hex2(v: number): string { return (v < 16 ? '0x0' : '0x') + v.toString(16); }

function positive(v: number | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !(v >= 1) || Math.floor(v) !== v) throw new Error('W5500: options.' + name + ' must be an integer >= 1');
  return v;
}

/**
 * A W5500 in MACRAW mode. Create it with `connect`. Implements the Device contract (device.ts).
 * Buffer ownership: receive() writes into the caller's frame and keeps nothing; send() copies the frame
 * into its own transfer buffer before returning.
 */
export class W5500 implements Device {
  /** The 6-octet MAC address in SHAR. */
  readonly mac: Uint8Array;
  /** The INTn pin given in options (for the board's setWatch), or undefined. */
  readonly int: Pin;
  /** Counters (plain numbers, reset only by the user). */
  readonly counters: W5500Counters;
  private spi: SpiBus;
  private cs: Pin;
  private intPin: Pin;
  private readPin: ((pin: Pin) => boolean | number) | null;
  private onLink: ((up: boolean) => void) | null;
  private onReset: ((ok: boolean) => void) | null;
  private resetPolls: number;
  private delay: ((ms: number) => void) | null;
  private commandPolls: number;
  private sendPolls: number;
  private sizeReads: number;
  private rxSkipLimit: number;
  private rxCommitBytes: number;
  private ipv6: boolean;
  /** Register transfers: 3 header octets + up to 12 data octets (allocated once; views of it). */
  private io: Uint8Array;
  private io4: Uint8Array;
  private io5: Uint8Array;
  private io9: Uint8Array;
  /** Buffer reads: [offset hi, offset lo, control, {data: 0, count: n}] (Espruino clocks n octets). */
  private rd = { data: 0, count: 0 };
  private rdCmd: any[];
  /** Buffer writes: [3-octet header, frame view] in one call, no copy. */
  private wrHead = new Uint8Array(3);
  private wrCmd: any[];
  /** SEND and the Sn_IR clear in one VDM burst from Sn_CR: [hdr, hdr, ctrl, Sn_CR, Sn_IR]. */
  private sendCmd = new Uint8Array(5);
  /** The last RX buffer read (as SPI.send returned it): frames at r[rPos..rEnd) are not yet taken. */
  private r: Uint8Array | null = null;
  private rPos = 0;
  private rEnd = 0;
  /** Local copies of Sn_RX_RD and Sn_TX_WR (16-bit, carry dropped). */
  private rxRd = 0;
  private txWr = 0;
  /** Octets known to be waiting (from the last Sn_RX_RSR read, minus what was consumed). */
  private rxAvail = 0;
  /** Octets consumed but not yet released with RX_RD + RECV. */
  private rxUncommitted = 0;
  /** Sn_IR.RECV may be set and needs clearing before the next Sn_RX_RSR read. */
  private rxIrq = false;
  /** The previous SEND did not report SEND_OK. */
  private txStuck = false;
  /** Multicast blocked (MMB set). */
  private mmb = true;
  /** options.multicastFilter 'stack': MFEN cleared while multicast is open. */
  private mfenOffForGroups = false;
  private link = false;
  /** The init sequence completed and socket 0 has not been seen out of MACRAW since. */
  private ready = false;

  constructor(spi: SpiBus, cs: Pin, options?: W5500Options) {
    var o: W5500Options = options || {};
    if (!spi || typeof spi.send !== 'function' || typeof spi.write !== 'function') {
      throw new Error('W5500: spi must have send(data, cs) and write(data, cs)');
    }
    this.spi = spi;
    this.cs = cs;
    this.intPin = o.int;
    this.int = o.int;
    this.readPin = o.readPin || (typeof digitalRead === 'function' ? digitalRead : null);
    if (o.int !== undefined && !this.readPin) throw new Error('W5500: options.int needs options.readPin (no global digitalRead)');
    this.onLink = o.onLink || null;
    this.onReset = o.onReset || null;
    this.commandPolls = positive(o.commandPolls, 32, 'commandPolls');
    this.sendPolls = positive(o.sendPolls, 64, 'sendPolls');
    this.sizeReads = positive(o.sizeReads, 8, 'sizeReads');
    this.rxSkipLimit = positive(o.rxSkipLimit, 16, 'rxSkipLimit');
    this.rxCommitBytes = positive(o.rxCommitBytes, 6144, 'rxCommitBytes');
    this.resetPolls = positive(o.resetPolls, 100, 'resetPolls');
    this.ipv6 = !!o.ipv6;
    this.io = new Uint8Array(15);
    this.io4 = this.io.subarray(0, 4);
    this.io5 = this.io.subarray(0, 5);
    this.io9 = this.io.subarray(0, 9);
    this.rdCmd = [0, 0, 0, this.rd];
    this.wrCmd = [this.wrHead, this.wrHead];
    this.counters = {
      rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxBadLength: 0, rxBadSize: 0, rxTooLong: 0,
      tornReads: 0, sizeReadTimeouts: 0, commandTimeouts: 0, sendTimeouts: 0, txLinkDown: 0,
      reopens: 0, modeChanges: 0, linkChanges: 0, reinits: 0, reinitFailures: 0, waitBounds: 0,
    };
    if (o.multicastFilter !== undefined && o.multicastFilter !== 'mfen' && o.multicastFilter !== 'stack') {
      throw new Error('W5500: options.multicastFilter must be "mfen" or "stack"');
    }
    this.mfenOffForGroups = o.multicastFilter === 'stack';
    var delay = o.delayMs || null;
    this.delay = delay;

    // Hardware reset through RSTn, if wired (datasheet §5.5.1: RSTn low for at least 500 µs, then the
    // PLL locks within 1 ms; no SPI before that).
    if (o.reset !== undefined) {
      var writePin = o.writePin || (typeof digitalWrite === 'function' ? digitalWrite : null);
      if (!writePin) throw new Error('W5500: options.reset needs options.writePin (no global digitalWrite)');
      writePin(o.reset, 0);
      this.wait(1);
      writePin(o.reset, 1);
      this.wait(2);
    }
    var preset = o.mac === undefined ? this.readRegs(BSB_COMMON, SHAR, 6).subarray(3, 9) : null;

    var err = this.resetChip();
    if (err) throw new Error(err);
    // Step 2: SHAR.
    if (o.mac !== undefined) this.mac = parseMacOption(o.mac);
    else {
      var m = new Uint8Array(6);
      m.set(preset as Uint8Array);
      if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) {
        throw new Error('W5500: options.mac is required: the chip has no preset MAC address (SHAR reads 00:00:00:00:00:00)');
      }
      if (m[0] & 1) throw new Error('W5500: the preset MAC address in SHAR is not unicast; pass options.mac');
      this.mac = m;
    }
    err = this.configure();
    if (err) throw new Error(err);
    this.ready = true;
  }

  /** Waits `ms` milliseconds: options.delayMs, else a busy-wait until Date.now() has moved on by more than
   *  `ms` (so at least `ms` passed at 1 ms resolution), bounded by 100000 reads (waitBounds). */
  private wait(ms: number): void {
    if (this.delay) { this.delay(ms); return; }
    var end = Date.now() + ms + 1;
    for (var i = 0; Date.now() < end; i++) {
      if (i >= 100000) { this.counters.waitBounds++; return; }
    }
  }

  /** Init (datasheet §4.1, §4.2), step 1: MR = RST, poll until it reads 0 (bounded), then VERSIONR = 0x04 (it may
   *  read 0 just after reset, so poll it too). Returns '' when done, else the reason. */
  private resetChip(): string {
    var delay = this.delay;
    this.write1(BSB_COMMON, MR, MR_RST);
    var mr = MR_RST, version = 0, i;
    for (i = 0; i < this.resetPolls; i++) {
      mr = this.read1(BSB_COMMON, MR);
      if (!(mr & MR_RST)) break;
      if (delay) delay(1);
    }
    for (i = 0; i < this.resetPolls && !(mr & MR_RST); i++) {
      version = this.read1(BSB_COMMON, VERSIONR);
      if (version === VERSIONR_W5500) break;
      if (delay) delay(1);
    }
    if ((mr & MR_RST) || version !== VERSIONR_W5500) {
      return 'W5500: no chip answers on SPI (MR reads ' + hex2(mr) + ', VERSIONR reads ' + hex2(version) +
        ', expected MR.RST to clear and VERSIONR 0x04): check wiring, the CS pin, power and SPI mode 0';
    }
    return '';
  }

  /** Init, steps 2–8 (after MR.RST; datasheet §4.1, §4.2). Returns '' when done, else the reason. */
  private configure(): string {
    var i;
    this.writeBytes(BSB_COMMON, SHAR, this.mac);
    // Step 3: socket 0 takes all 16 KB of RX and TX memory; sockets 1..7 get none (set those first so the
    // total never exceeds 16 KB, datasheet p. 55).
    for (i = 7; i >= 1; i--) this.write2(4 * i + 1, Sn_RXBUF_SIZE, 0);
    this.write2(S0_REG, Sn_RXBUF_SIZE, (16 << 8) | 16);
    // Steps 4–8: SIMR = 0, S0_MR = MACRAW | MFEN (| MMB | MIP6B), S0_IMR = RECV, OPEN, SR = 0x42, SIMR = 1.
    this.write1(BSB_COMMON, SIMR, 0);
    this.write1(S0_REG, Sn_IMR, Sn_IR_RECV);
    if (!this.open()) {
      return 'W5500: socket 0 did not enter MACRAW (Sn_SR reads ' + hex2(this.read1(S0_REG, Sn_SR)) + ', expected 0x42)';
    }
    this.write1(BSB_COMMON, SIMR, 0x01);
    this.link = (this.read1(BSB_COMMON, PHYCFGR) & PHYCFGR_LNK) !== 0;
    return '';
  }

  /** True when Sn_SR reads other than MACRAW twice in a row (one SPI call when it reads MACRAW; the
   *  second read keeps one bit error on MISO from starting a re-initialisation). */
  private socketLost(): boolean {
    return this.read1(S0_REG, Sn_SR) !== SOCK_MACRAW && this.read1(S0_REG, Sn_SR) !== SOCK_MACRAW;
  }

  /** Runs the init sequence again after a chip reset (MR.RST first, as at connect); counted, reported
   *  through onReset (and onLink when the link state changed). Never throws. */
  private reinit(): void {
    var c = this.counters;
    var was = this.link;
    c.reinits++;
    var err = this.resetChip();
    if (!err) err = this.configure();
    this.ready = err === '';
    if (!this.ready) {
      c.reinitFailures++;
      this.link = false;
    }
    if (this.onReset) this.onReset(this.ready);
    if (this.link !== was) {
      c.linkChanges++;
      if (this.onLink) this.onLink(this.link);
    }
  }

  // ---- SPI helpers: one call per register burst or buffer transfer, variable-length mode ----

  private head(bsb: number, off: number, write: boolean): void {
    var io = this.io;
    io[0] = (off >> 8) & 0xff;
    io[1] = off & 0xff;
    io[2] = (bsb << 3) | (write ? CTRL_RWB : 0);
  }
  private read1(bsb: number, off: number): number {
    this.head(bsb, off, false);
    return this.spi.send(this.io4, this.cs)[3];
  }
  private read2(bsb: number, off: number): number {
    this.head(bsb, off, false);
    var r = this.spi.send(this.io5, this.cs);
    return (r[3] << 8) | r[4];
  }
  /** Reads n ≤ 12 octets of registers (one VDM frame); the data starts at index 3. */
  private readRegs(bsb: number, off: number, n: number): Uint8Array {
    this.head(bsb, off, false);
    return this.spi.send(n === 6 ? this.io9 : this.io.subarray(0, 3 + n), this.cs);
  }
  private write1(bsb: number, off: number, v: number): void {
    this.head(bsb, off, true);
    this.io[3] = v;
    this.spi.write(this.io4, this.cs);
  }
  private write2(bsb: number, off: number, v: number): void {
    this.head(bsb, off, true);
    this.io[3] = (v >> 8) & 0xff;
    this.io[4] = v & 0xff;
    this.spi.write(this.io5, this.cs);
  }
  private writeBytes(bsb: number, off: number, data: Uint8Array): void {
    this.head(bsb, off, true);
    this.io.set(data, 3);
    this.spi.write(this.io.subarray(0, 3 + data.length), this.cs);
  }

  /** Reads a 16-bit size register until two reads agree (datasheet pp. 54–55 note).
   *  A first read of 0 is returned at once: the sizes only grow between our reads, so a torn 0 means
   *  "nothing yet" and is harmless. Returns -1 if no two reads agreed within sizeReads. */
  private readSize(off: number): number {
    var a = this.read2(S0_REG, off);
    if (a === 0) return 0;
    for (var i = 0; i < this.sizeReads; i++) {
      var b = this.read2(S0_REG, off);
      if (a === b) return a;
      this.counters.tornReads++;
      a = b;
    }
    this.counters.sizeReadTimeouts++;
    return -1;
  }

  /** Writes a command to Sn_CR and polls until the chip accepts it (reads 0). False on timeout (counted). */
  private command(cmd: number): boolean {
    this.write1(S0_REG, Sn_CR, cmd);
    for (var i = 0; i < this.commandPolls; i++) {
      if (this.read1(S0_REG, Sn_CR) === 0) return true;
    }
    this.counters.commandTimeouts++;
    return false;
  }

  /** Polls Sn_SR until it reads `state`. False on timeout (counted). */
  private waitState(state: number): boolean {
    for (var i = 0; i < this.commandPolls; i++) {
      if (this.read1(S0_REG, Sn_SR) === state) return true;
    }
    this.counters.commandTimeouts++;
    return false;
  }

  private mode(): number {
    var mfen = this.mmb || !this.mfenOffForGroups ? Sn_MR_MFEN : 0;
    return Sn_MR_MACRAW | mfen | (this.mmb ? Sn_MR_MMB : 0) | (this.ipv6 ? 0 : Sn_MR_MIP6B);
  }

  /** Closes socket 0 if needed, writes Sn_MR, opens it in MACRAW and reloads the pointers.
   *  Whatever was in the RX and TX buffers is discarded by the chip. */
  private open(): boolean {
    if (this.read1(S0_REG, Sn_SR) !== SOCK_CLOSED) {
      this.command(Sn_CR_CLOSE);
      this.waitState(SOCK_CLOSED);
    }
    this.write1(S0_REG, Sn_MR, this.mode());
    this.command(Sn_CR_OPEN);
    var ok = this.waitState(SOCK_MACRAW);
    // One burst: Sn_TX_WR (0x24), Sn_RX_RSR (0x26), Sn_RX_RD (0x28).
    var p = this.readRegs(S0_REG, Sn_TX_WR, 6);
    this.txWr = (p[3] << 8) | p[4];
    this.rxRd = (p[7] << 8) | p[8];
    this.rxAvail = 0;
    this.rxUncommitted = 0;
    this.r = null;
    this.txStuck = false;
    this.rxIrq = true;
    return ok;
  }

  /** Recovers from a receive or transmit error: a full re-initialisation when socket 0 is no longer in
   *  MACRAW (a chip reset), else close, open and reload the pointers (reopens). */
  private reopen(): void {
    if (this.socketLost()) { this.reinit(); return; }
    this.counters.reopens++;
    this.open();
  }

  /** Releases consumed RX space: Sn_RX_RD = local pointer, then RECV (datasheet p. 55). */
  private commitRx(): void {
    this.write2(S0_REG, Sn_RX_RD, this.rxRd);
    this.command(Sn_CR_RECV);
    this.rxUncommitted = 0;
  }

  /** Reads Sn_RX_RSR, Sn_RX_RD and Sn_RX_WR in one burst (0x26–0x2B) until RSR = WR − RD (the two octets
   *  of a size register can change between reads, datasheet pp. 54–55: a consistent triple is not torn).
   *  Returns the octets waiting beyond what the driver has read (Sn_RX_WR − its own RX_RD), or -1 when
   *  no consistent read came within sizeReads (counted). */
  private rxWaiting(): number {
    for (var i = 0; i <= this.sizeReads; i++) {
      var p = this.readRegs(S0_REG, Sn_RX_RSR, 6);
      var wr = (p[7] << 8) | p[8];
      if ((((p[3] << 8) | p[4]) - wr + ((p[5] << 8) | p[6])) & 0xffff) { this.counters.tornReads++; continue; }
      return (wr - this.rxRd) & 0xffff;
    }
    this.counters.sizeReadTimeouts++;
    return -1;
  }

  /** Reads the RX buffer at the driver's Sn_RX_RD: as many waiting octets as one frame and its header can
   *  take (more frames when they are small), in one call at the raw 16-bit pointer (the chip maps it
   *  modulo the buffer size, datasheet p. 31). */
  private fetch(): void {
    var n = this.rxAvail < MACRAW_HEADER + MACRAW_MTU + MACRAW_HEADER ? this.rxAvail : MACRAW_HEADER + MACRAW_MTU + MACRAW_HEADER;
    var c = this.rdCmd;
    c[0] = this.rxRd >> 8;
    c[1] = this.rxRd & 0xff;
    c[2] = (S0_RX << 3);
    this.rd.count = n;
    this.r = this.spi.send(c as any, this.cs);
    this.rPos = 3;
    this.rEnd = 3 + n;
  }

  /**
   * Copies the next received frame (Ethernet header first, no FCS) into frame[0..n) and returns n, or 0
   * when nothing is waiting. Never blocks; every loop is bounded. RX (datasheet §4.2 Sn_RX_RSR, Sn_RX_RD, RECV):
   *  1. when no frame is known to be waiting: Sn_IR.RECV cleared (so a frame arriving after this raises
   *     INTn again), then Sn_RX_RSR/RD/WR in one consistent burst (rxWaiting);
   *  2. the waiting octets read in one call (fetch): the 2-octet big-endian length header (it counts
   *     itself) and the frame, and the frames after it while they fit; the next call takes them from
   *     that read without SPI. A header outside 16..1516 or beyond what is waiting reopens the socket
   *     (rxBadLength; zephyr #46684 recovery);
   *  3. Sn_RX_RD written and RECV issued once rxCommitBytes have been read (datasheet p. 55).
   * A frame longer than `frame` is skipped and counted (rxTooLong).
   */
  receive(frame: Uint8Array): number {
    var c = this.counters;
    if (!this.ready) return 0;
    for (var skipped = 0; skipped < this.rxSkipLimit; skipped++) {
      if (this.rxAvail === 0) {
        this.r = null;
        if (this.intPin !== undefined && this.readPin && this.readPin(this.intPin)) return 0;
        if (this.rxIrq || this.intPin !== undefined) {
          this.write1(S0_REG, Sn_IR, Sn_IR_RECV);
          this.rxIrq = false;
        }
        var avail = this.rxWaiting();
        if (avail <= 0) return 0;
        if (avail > MEMORY_SIZE) { c.rxBadSize++; this.reopen(); return 0; }
        this.rxAvail = avail;
        this.rxIrq = true;
      }
      var r = this.r;
      if (r === null || this.rPos + MACRAW_HEADER > this.rEnd) { this.fetch(); r = this.r as Uint8Array; }
      var hdr = (r[this.rPos] << 8) | r[this.rPos + 1];
      var len = hdr - MACRAW_HEADER;
      if (len < MIN_FRAME || len > MACRAW_MTU || hdr > this.rxAvail) {
        c.rxBadLength++;
        this.reopen();
        return 0;
      }
      if (this.rPos + hdr > this.rEnd) { this.fetch(); r = this.r as Uint8Array; } // the frame starts this read
      var fits = len <= frame.length;
      if (fits) frame.set(r.subarray(this.rPos + MACRAW_HEADER, this.rPos + hdr));
      else c.rxTooLong++;
      this.rPos += hdr;
      this.rxRd = (this.rxRd + hdr) & 0xffff;
      this.rxAvail -= hdr;
      this.rxUncommitted += hdr;
      if (this.rxUncommitted >= this.rxCommitBytes) this.commitRx();
      if (fits) {
        c.rxFrames++;
        c.rxBytes += len;
        return len;
      }
    }
    return 0;
  }

  /** Sn_TX_FSR, Sn_TX_RD and Sn_TX_WR in one burst (0x20–0x25), read until FSR = 16 KB − (WR − RD) (a
   *  consistent triple is not torn, datasheet pp. 54–55; at most sizeReads more reads, counted): true
   *  when the whole buffer is free, i.e. every SEND has completed. */
  private txDone(): boolean {
    for (var i = 0; i <= this.sizeReads; i++) {
      var p = this.readRegs(S0_REG, Sn_TX_FSR, 6);
      var fsr = (p[3] << 8) | p[4];
      if (fsr !== MEMORY_SIZE - ((((p[7] << 8) | p[8]) - ((p[5] << 8) | p[6])) & 0xffff)) { this.counters.tornReads++; continue; }
      return fsr === MEMORY_SIZE;
    }
    this.counters.sizeReadTimeouts++;
    return false;
  }

  /**
   * Transmits frame[0..length) (Ethernet header first, no FCS; the chip pads short frames). TX (datasheet §4.2 Sn_TX_FSR, Sn_TX_WR, SEND):
   *  1. only if the previous SEND never completed: Sn_TX_FSR/TX_RD/TX_WR read (txDone); when it has
   *     completed since, go on; otherwise, link down → false (txLinkDown), link up → the socket is
   *     reopened (reopens). After a completed SEND the buffer is free by definition;
   *  2. the frame at Sn_TX_WR (one SPI call, the header and a view of the frame), Sn_TX_WR += length;
   *  3. Sn_CR = SEND with, in the same burst, Sn_IR = RECV | SEND_OK cleared (the RECV flag for the next
   *     receive, when no INTn pin is watched: the next receive reads the pointers anyway);
   *  4. the SEND's end: txDone polled (at most sendPolls reads). On timeout: false, sendTimeouts counted
   *     (esp-idf #6233), and the chip is re-initialised if socket 0 is no longer MACRAW (a chip reset).
   * Returns false at once (txLinkDown) while a failed re-initialisation leaves the chip unusable.
   * Throws when length is not 14..1514 or exceeds frame.length (API misuse).
   */
  send(frame: Uint8Array, length: number): boolean {
    if (!(length >= MIN_FRAME && length <= MACRAW_MTU && length <= frame.length)) {
      throw new Error(ERROR_TEXT ? 'W5500 send: length must be 14..1514 octets and within the frame (got ' + length + ')' : 'W5500 send: length 14..1514');
    }
    var c = this.counters;
    if (!this.ready) { c.txLinkDown++; return false; }
    if (this.txStuck) {
      if (this.txDone()) this.txStuck = false;
      else if (!this.readLink()) {
        c.txLinkDown++;
        return false;
      } else {
        this.reopen();
        if (!this.ready) { c.txLinkDown++; return false; }
      }
    }
    var h = this.wrHead;
    h[0] = this.txWr >> 8;
    h[1] = this.txWr & 0xff;
    h[2] = (S0_TX << 3) | CTRL_RWB;
    this.wrCmd[1] = length === frame.length ? frame : frame.subarray(0, length);
    this.spi.write(this.wrCmd as any, this.cs);
    this.txWr = (this.txWr + length) & 0xffff;
    this.write2(S0_REG, Sn_TX_WR, this.txWr);
    var sc = this.sendCmd;
    sc[0] = 0;
    sc[1] = Sn_CR;
    sc[2] = (S0_REG << 3) | CTRL_RWB;
    sc[3] = Sn_CR_SEND;
    sc[4] = Sn_IR_SEND_OK | (this.intPin === undefined ? Sn_IR_RECV : 0);
    this.spi.write(sc, this.cs);
    if (this.intPin === undefined) this.rxIrq = false;
    for (var i = 0; i < this.sendPolls; i++) {
      if (this.txDone()) {
        c.txFrames++;
        c.txBytes += length;
        return true;
      }
    }
    c.sendTimeouts++;
    this.txStuck = true;
    // A chip reset closes socket 0: the SEND never completes.
    if (this.socketLost()) this.reinit();
    return false;
  }

  /**
   * Link state from PHYCFGR.LNK. A change bumps linkChanges and calls options.onLink. Also reads Sn_SR
   * (one more SPI call; a second one if it looks wrong) and re-initialises the chip when socket 0 is no
   * longer in MACRAW (a chip reset); false while the chip cannot be re-initialised.
   */
  linkUp(): boolean {
    if (!this.ready || this.socketLost()) this.reinit();
    return this.readLink();
  }

  /** PHYCFGR.LNK (one SPI call; none and false while the chip is not ready); reports a change. */
  private readLink(): boolean {
    var up = this.ready && (this.read1(BSB_COMMON, PHYCFGR) & PHYCFGR_LNK) !== 0;
    if (up !== this.link) {
      this.link = up;
      this.counters.linkChanges++;
      if (this.onLink) this.onLink(up);
    }
    return up;
  }

  /**
   * Multicast filter. The chip filters by category only (datasheet §4.2 Sn_MR): null or a non-empty list clears
   * Sn_MR.MMB (all 01:00:5e groups pass; the stack drops groups it has not joined); an empty list sets MMB
   * (all IPv4 multicast blocked in the chip). A change reopens socket 0 (Sn_MR applies at OPEN), which
   * discards frames waiting in the chip; counted in modeChanges. Throws if macs is neither null nor an array.
   */
  setMulticast(macs: Uint8Array[] | null): void {
    if (macs !== null && !(macs instanceof Array)) throw new Error('W5500 setMulticast: macs must be an array or null');
    var block = macs !== null && macs.length === 0;
    if (block === this.mmb) return;
    this.mmb = block;
    this.counters.modeChanges++;
    if (this.ready) this.open(); // else applied by the next re-initialisation
  }
}

/**
 * Resets and initialises a W5500 on `spi` with chip select `cs` and returns it as a Device.
 * Throws an Error when no chip answers (MR.RST never clears or VERSIONR is not 0x04), when socket 0 does not
 * reach MACRAW (Sn_SR 0x42), or when an option is invalid (the message names it).
 */
export function connect(spi: SpiBus, cs: Pin, options?: W5500Options): W5500 {
  return new W5500(spi, cs, options);
}

/** Espruino's pin functions, present as globals on boards only. */
declare var digitalRead: (pin: Pin) => number;
declare var digitalWrite: (pin: Pin, value: boolean | number) => void;
