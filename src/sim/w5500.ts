/**
 * A register-level simulated WIZnet W5500 (Node only; never shipped to boards). It answers SPI frames like
 * the chip (datasheet v1.0.9 §2.2 pp. 13–14) and models what the datasheet describes.
 *
 * Two sides:
 *  - SPI side: `sim.spi` is an SpiBus shaped like Espruino's SPI object (`send(data, cs)` returns a NEW
 *    Uint8Array of the same length, `write(data, cs)`); one call is one CS-low frame. Give it to the
 *    driver: `connect(sim.spi, sim.cs, { mac, int: sim.cs /*any token*\/, readPin: () => sim.intLevel })`.
 *  - Wire side: the sim is a WirePort (hub.ts). Attaching to a virtual LAN is one line:
 *        const hub = new Hub(); const sim = new W5500Sim().attach(hub);
 *    Frames the chip transmits go to `hub` (and to `sim.onTransmit` if set); frames on the hub arrive
 *    through `sim.deliver(frame, length)`, which any other frame source (a tap bridge) may call directly.
 *
 * Modelled: control byte with block select (BSB) and RWB; VDM (frame ends when CS rises) and FDM 1/2/4
 * (extra octets ignored and counted, GUESS); MISO 0x01 0x02 0x03 during the header; common and socket
 * registers with reset values; MR.RST; VERSIONR; 16 KB TX and RX memory shared by sockets 0..7 by their
 * Sn_TXBUF_SIZE / Sn_RXBUF_SIZE, every byte of a burst mapped base(n) + (offset mod size) (datasheet §3.3);
 * socket 0 MACRAW: OPEN/CLOSE/SEND/RECV, the 2-octet length header, RSR = RX_WR − RX_RD freed only at
 * RECV, FSR, SEND_OK, Sn_IR/SIR/INTn; MFEN/BCASTB/MMB/MIP6B filtering as datasheet §4.2 Sn_MR describes;
 * PHYCFGR.LNK. Sockets 1..7 only hold registers (no TCP/UDP engine).
 *
 * GUESSes (where the datasheet is silent): OPEN resets the socket pointers to 0; a frame that does not fit is dropped
 * whole; BCASTB/MMB/MIP6B also apply with MFEN = 0; Sn_MR is latched at OPEN; a SEND while the link is
 * down, or with `faults.sendOkNever`, leaves the data in TX memory and never sets SEND_OK; the chip pads
 * frames to 60 octets on transmit; frames arriving shorter than 60 octets are zero-padded (the wire
 * minimum) and frames shorter than 14 or longer than 1514 are dropped; INTLEVEL is stored but not timed;
 * Sn_IR.RECV is set once per stored frame (not again after a RECV that leaves data); a RSTn pulse shorter
 * than 500 µs resets nothing.
 * Time: `nowUs` (µs) moves by 8 bits / `baud` per SPI octet and by `advance`/`delayMs`, or follows the
 * `clock` option alone (a bench board's loop). It times the RSTn pulse and the PLL lock after it
 * (datasheet §5.5.1 reset timing: RSTn low ≥ 500 µs, then up to 1 ms until the PLL is locked; SPI in that
 * time is misuse and reads 0). The latency knobs count SPI frames, not time.
 * MFEN: `mfenMode` 'observed' (default) lets 01:00:5e and 33:33 through with MFEN set, as other drivers
 * report of real chips; 'datasheet' passes only our unicast and broadcast, as the datasheet describes
 * MFEN (a part that follows it). See docs/simulator-guesses.md.
 */
import type { Pin, SpiBus, SpiData } from '../drivers/device';
import { spiOctets } from './spi';
import type { Hub, WirePort } from './hub';
import * as R from '../drivers/w5500-regs';

/** Misuse the sim detected in the driver's SPI traffic (each a count). */
export interface W5500Misuse {
  /** SPI frame shorter than the 3 header octets. */
  shortFrame: number;
  /** SPI call with a CS token other than the sim's. */
  wrongCs: number;
  /** Octets after the 1/2/4 of a fixed-length (FDM) frame. */
  fdmOverrun: number;
  /** BSB value that selects no block (reserved). */
  badBlock: number;
  /** Write to a read-only register (SR, TX_FSR, TX_RD, RX_RSR, RX_WR, SIR, VERSIONR). */
  readOnlyWrite: number;
  /** Sn_CR written while the previous command was still pending. */
  commandWhileBusy: number;
  /** Unknown or unmodelled Sn_CR command. */
  badCommand: number;
  /** SEND or RECV on a socket that is not open in MACRAW. */
  commandWhileClosed: number;
  /** OPEN in MACRAW on a socket other than 0 (stays CLOSED). */
  macrawNotSocket0: number;
  /** OPEN with the buffer sizes of all sockets adding up to more than 16 KB. */
  bufferTotalOver16k: number;
  /** RECV with Sn_RX_RD moved past Sn_RX_WR. */
  recvPastWrite: number;
  /** SEND of 0 octets, of more than 1514, or of more than the TX buffer. */
  badSendLength: number;
  /** SEND while a previous SEND of the same socket has not completed. */
  sendWhileSending: number;
  /** Buffer access to a socket whose buffer size is 0. */
  zeroSizeBuffer: number;
  /** SPI call while RSTn is held low (the chip does not answer). */
  spiDuringReset: number;
  /** RSTn pulse shorter than 500 µs (datasheet §5.5.1): ignored, the chip is not reset. */
  shortResetPulse: number;
  /** SPI call within 1 ms after RSTn rose (PLL not locked yet, datasheet §5.5.1): MISO reads 0. */
  spiBeforeReady: number;
}

export interface W5500SimCounters {
  spiCalls: number; spiSendCalls: number; spiWriteCalls: number; spiBytes: number;
  /** Frames offered by the wire side. */
  wireFrames: number;
  rxAccepted: number;
  rxRunt: number; rxGiant: number; rxLinkDown: number; rxClosed: number;
  rxFilteredUnicast: number; rxFilteredBroadcast: number; rxFilteredMulticast: number; rxFilteredIPv6: number;
  /** Dropped because the RX buffer had no room (or faults.rxFull). */
  rxOverflow: number;
  txFrames: number; txBytes: number;
  /** SENDs left pending (link down or faults.sendOkNever). */
  txStalled: number;
  resets: number;
}

/** Fault knobs; all off by default. */
export interface W5500Faults {
  /** Treat the RX buffer as full: every arriving frame is dropped (rxOverflow). */
  rxFull: boolean;
  /** The next N stored frames get `corruptHeaderValue` as their length header. */
  corruptHeaders: number;
  corruptHeaderValue: number;
  /** SEND never completes: no transmission, no SEND_OK (like a link lost mid-TX, esp-idf #6233). */
  sendOkNever: boolean;
  /** SPI calls during which SEND stays in progress before the frame leaves and SEND_OK is set. */
  sendLatency: number;
  /** SPI calls during which Sn_CR still reads the command after it is written. */
  commandLatency: number;
  /** SPI calls during which MR still reads RST after a reset. */
  resetLatency: number;
  /** Reads of VERSIONR that return 0 after a reset (datasheet §4.1). */
  versionZeroReads: number;
}

/** Shortest RSTn low pulse that resets the chip, µs (datasheet §5.5.1, T_RC). */
export const RESET_LOW_MIN_US = 500;
/** Time after RSTn rises until the PLL is locked and SPI works, µs (datasheet §5.5.1, T_PL). */
export const PLL_LOCK_US = 1000;

const SOCKETS = 8;
const SOCKET_REGS = 0x30;
const COMMON_REGS = 0x40;
const MIN_WIRE_FRAME = 60;

interface Socket {
  regs: Uint8Array;
  /** Internal pointers (16-bit). */
  txRd: number; txWrSent: number; rxWr: number; rxRdDone: number;
  /** Sn_MR latched at OPEN. */
  mode: number;
  cmdBusy: number;
  sendBusy: number;
  sendStalled: boolean;
}

type TearReg = 'RSR' | 'FSR';

export class W5500Sim implements WirePort {
  /** CS token this chip answers to (any value; the driver passes it back with every call). */
  readonly cs: Pin;
  readonly spi: SpiBus;
  readonly common = new Uint8Array(COMMON_REGS);
  readonly sockets: Socket[] = [];
  /** 16 KB of TX and 16 KB of RX memory (datasheet §5, p. 27). */
  readonly txMem = new Uint8Array(R.MEMORY_SIZE);
  readonly rxMem = new Uint8Array(R.MEMORY_SIZE);
  readonly faults: W5500Faults = {
    rxFull: false, corruptHeaders: 0, corruptHeaderValue: 0, sendOkNever: false,
    sendLatency: 0, commandLatency: 0, resetLatency: 0, versionZeroReads: 0,
  };
  readonly counters: W5500SimCounters = {
    spiCalls: 0, spiSendCalls: 0, spiWriteCalls: 0, spiBytes: 0, wireFrames: 0, rxAccepted: 0,
    rxRunt: 0, rxGiant: 0, rxLinkDown: 0, rxClosed: 0, rxFilteredUnicast: 0, rxFilteredBroadcast: 0,
    rxFilteredMulticast: 0, rxFilteredIPv6: 0, rxOverflow: 0, txFrames: 0, txBytes: 0, txStalled: 0, resets: 0,
  };
  readonly misuse: W5500Misuse = {
    shortFrame: 0, wrongCs: 0, fdmOverrun: 0, badBlock: 0, readOnlyWrite: 0, commandWhileBusy: 0,
    badCommand: 0, commandWhileClosed: 0, macrawNotSocket0: 0, bufferTotalOver16k: 0, recvPastWrite: 0,
    badSendLength: 0, sendWhileSending: 0, zeroSizeBuffer: 0, spiDuringReset: 0, shortResetPulse: 0, spiBeforeReady: 0,
  };
  /** Simulated time, µs (see the file comment). */
  nowUs = 0;
  /** SPI clock, bits per second (moves `nowUs` per octet without a `clock`). */
  baud: number;
  /** 'observed' (01:00:5e and 33:33 pass MFEN) or 'datasheet' (MFEN passes unicast to SHAR and broadcast only). */
  mfenMode: 'observed' | 'datasheet';
  /** Advances simulated time by `ms` milliseconds (pass as the driver's `delayMs` option). */
  readonly delayMs: (ms: number) => void;
  /** Called with every transmitted frame (after padding), besides the hub. */
  onTransmit: ((frame: Uint8Array, length: number) => void) | null = null;

  private link: boolean;
  private phyMode: number;
  private resetBusy = 0;
  private rstnLow = false;
  private rstnLowAt = 0;
  private readyAt = 0;
  private timeSource: (() => number) | null;
  private versionZero = 0;
  private intLevelNow = 1;
  private intListeners: Array<(level: number) => void> = [];
  private hub: Hub | null = null;
  private hubTx: ((frame: Uint8Array, length: number) => void) | null = null;
  private tears: { reg: TearReg; action: () => void }[] = [];
  private txFrame = new Uint8Array(R.MACRAW_MTU);

  /**
   * @param options.cs    CS token (default the string "W5500_CS").
   * @param options.link  link up at power-on (default true).
   * @param options.shar  MAC address preset in SHAR at power-on, like a WIZ550io's (default zeros;
   *                      MR.RST clears it like any register).
   * @param options.baud  SPI clock in bits per second (default 8 MHz).
   * @param options.clock time source in µs; when given the chip's time is that clock alone.
   * @param options.mfenMode 'observed' (default) or 'datasheet' (see the file comment).
   */
  constructor(options: { cs?: Pin; link?: boolean; shar?: Uint8Array; baud?: number; clock?: () => number; mfenMode?: 'observed' | 'datasheet' } = {}) {
    this.cs = options.cs === undefined ? 'W5500_CS' : options.cs;
    this.baud = options.baud ?? 8e6;
    this.timeSource = options.clock ?? null;
    this.mfenMode = options.mfenMode ?? 'observed';
    this.delayMs = (ms: number) => this.advance(ms * 1000);
    this.link = options.link === undefined ? true : options.link;
    this.phyMode = 0x38; // OPMD = 0 (pins), OPMDC = 111: all capable, auto-negotiation
    for (let n = 0; n < SOCKETS; n++) {
      this.sockets.push({ regs: new Uint8Array(SOCKET_REGS), txRd: 0, txWrSent: 0, rxWr: 0, rxRdDone: 0, mode: 0,
        cmdBusy: 0, sendBusy: 0, sendStalled: false });
    }
    this.resetRegisters();
    if (options.shar) this.common.set(options.shar, R.SHAR);
    this.spi = {
      send: (data, cs) => this.transfer(data, cs, true),
      write: (data, cs) => { this.transfer(data, cs, false); },
    };
  }

  // ---------------------------------------------------------------- wire side

  /** Attaches the wire side to a hub (detaching from any previous one); returns this. */
  attach(hub: Hub): this {
    this.detach();
    this.hub = hub;
    this.hubTx = hub.attach(this);
    return this;
  }

  detach(): void {
    if (this.hub) this.hub.detach(this);
    this.hub = null;
    this.hubTx = null;
  }

  /** A frame arrives at the PHY (frame[0..length), no FCS). Copied if accepted. */
  deliver(frame: Uint8Array, length: number): void {
    const c = this.counters;
    c.wireFrames++;
    if (length < 14) { c.rxRunt++; return; }
    if (length > R.MACRAW_MTU) { c.rxGiant++; return; }
    if (!this.link) { c.rxLinkDown++; return; }
    const s = this.sockets[0];
    if (s.regs[R.Sn_SR] !== R.SOCK_MACRAW) { c.rxClosed++; return; }
    if (!this.accepts(s.mode, frame)) return;
    const flen = Math.max(length, MIN_WIRE_FRAME);
    const need = flen + R.MACRAW_HEADER;
    const size = this.rxSize(0);
    if (this.faults.rxFull || size - this.rsr(0) < need) { c.rxOverflow++; return; }
    let hdr = need;
    if (this.faults.corruptHeaders > 0) { this.faults.corruptHeaders--; hdr = this.faults.corruptHeaderValue & 0xffff; }
    const base = this.rxBase(0);
    let p = s.rxWr;
    this.rxMem[base + (p % size)] = hdr >> 8;
    this.rxMem[base + ((p + 1) & 0xffff) % size] = hdr & 0xff;
    p = (p + 2) & 0xffff;
    for (let i = 0; i < flen; i++) this.rxMem[base + ((p + i) & 0xffff) % size] = i < length ? frame[i] : 0;
    s.rxWr = (s.rxWr + need) & 0xffff;
    c.rxAccepted++;
    s.regs[R.Sn_IR] |= R.Sn_IR_RECV;
    this.updateInt();
  }

  /** MFEN/BCASTB/MMB/MIP6B (datasheet §4.2 Sn_MR, observed behaviour; blocking bits with MFEN = 0 are a GUESS). */
  private accepts(mode: number, f: Uint8Array): boolean {
    const c = this.counters;
    if ((mode & R.Sn_MR_MIP6B) && f[12] === 0x86 && f[13] === 0xdd) { c.rxFilteredIPv6++; return false; }
    const bcast = (f[0] & f[1] & f[2] & f[3] & f[4] & f[5]) === 0xff;
    if (bcast) {
      if (mode & R.Sn_MR_BCASTB) { c.rxFilteredBroadcast++; return false; }
      return true;
    }
    if (f[0] & 1) {
      if (f[0] === 0x01 && f[1] === 0x00 && f[2] === 0x5e) {
        if (mode & R.Sn_MR_MMB) { c.rxFilteredMulticast++; return false; }
        if (this.mfenMode === 'datasheet' && mode & R.Sn_MR_MFEN) { c.rxFilteredMulticast++; return false; }
        return true;
      }
      if (f[0] === 0x33 && f[1] === 0x33 && (this.mfenMode === 'observed' || !(mode & R.Sn_MR_MFEN))) return true;
      if (mode & R.Sn_MR_MFEN) { c.rxFilteredMulticast++; return false; }
      return true;
    }
    if (mode & R.Sn_MR_MFEN) {
      for (let i = 0; i < 6; i++) if (f[i] !== this.common[R.SHAR + i]) { c.rxFilteredUnicast++; return false; }
    }
    return true;
  }

  // ---------------------------------------------------------------- PHY, INTn, knobs

  /** Drives the RSTn pin (hardware reset, active low). While low the chip ignores SPI (MISO reads 0);
   *  the rising edge restores every register, like MR.RST. Give it to the driver as its `writePin`. */
  setRstn(level: boolean | number): void {
    const low = !level;
    this.sync();
    if (low && !this.rstnLow) this.rstnLowAt = this.nowUs;
    if (this.rstnLow && !low) {
      if (this.nowUs - this.rstnLowAt < RESET_LOW_MIN_US) this.misuse.shortResetPulse++;
      else {
        this.chipReset();
        this.readyAt = this.nowUs + PLL_LOCK_US;
      }
    }
    this.rstnLow = low;
  }

  /** Advances simulated time by `us` (with a `clock`: catches up with it instead). */
  advance(us: number): void {
    if (this.timeSource) this.sync();
    else this.nowUs += us;
  }

  /** With an external clock: catches up with it (never moves time backwards). */
  private sync(): void {
    if (!this.timeSource) return;
    const t = this.timeSource();
    if (t > this.nowUs) this.nowUs = t;
  }

  /** Holds RSTn low for `us` (default 1 ms) and releases it: a full hardware reset, as a brown-out or a
   *  reset button would do. */
  pulseRstn(us = 1000): void {
    this.setRstn(0);
    this.advance(us);
    this.setRstn(1);
  }

  /** Sets the link state (PHYCFGR.LNK, SPD and DPX). */
  setLink(up: boolean): void { this.link = up; }
  get linkState(): boolean { return this.link; }
  /** Link goes down and comes back before anyone looks (PHYCFGR.LNK is not latched). */
  flapLink(): void { this.setLink(false); this.setLink(true); }

  /** INTn level: 0 while an enabled interrupt is pending, else 1. */
  get intLevel(): number { return this.intLevelNow; }
  /** Calls `listener(level)` on every INTn change (for a bench board's setWatch). Returns an unsubscribe. */
  onInt(listener: (level: number) => void): () => void {
    this.intListeners.push(listener);
    return () => { const i = this.intListeners.indexOf(listener); if (i >= 0) this.intListeners.splice(i, 1); };
  }

  /** Torn read: the next read of socket 0's Sn_RX_RSR or Sn_TX_FSR runs `action` between its high and
   *  low octet (e.g. deliver a frame, or `completeStalledSend`), as if the chip updated it mid-read. */
  armTear(reg: TearReg, action: () => void): void { this.tears.push({ reg, action }); }

  /** Completes a SEND left pending by the link or by `faults.sendOkNever` (transmits it, sets SEND_OK). */
  completeStalledSend(n = 0): void {
    const s = this.sockets[n];
    if (!s.sendStalled) return;
    s.sendStalled = false;
    this.finishSend(n);
  }

  /** Sn_RX_RSR of socket n: received octets not yet released by RECV. */
  rsr(n = 0): number { return (this.sockets[n].rxWr - this.sockets[n].rxRdDone) & 0xffff; }
  /** Sn_TX_FSR of socket n. */
  fsr(n = 0): number { return Math.max(0, this.txSize(n) - ((this.sockets[n].txWrSent - this.sockets[n].txRd) & 0xffff)); }
  /** Sn_MR as latched at the last OPEN. */
  openMode(n = 0): number { return this.sockets[n].mode; }
  /** Total misuse count. */
  misuseTotal(): number { let t = 0; for (const k of Object.keys(this.misuse)) t += (this.misuse as any)[k]; return t; }

  // ---------------------------------------------------------------- registers

  private resetRegisters(): void {
    const c = this.common;
    c.fill(0);
    c[R.RTR] = 0x07; c[R.RTR + 1] = 0xd0;
    c[R.RCR] = 0x08;
    c[R.PTIMER] = 0x28;
    c[R.PMRU] = 0xff; c[R.PMRU + 1] = 0xff;
    c[R.VERSIONR] = R.VERSIONR_W5500;
    for (const s of this.sockets) {
      const r = s.regs;
      r.fill(0);
      r.fill(0xff, R.Sn_DHAR, R.Sn_DHAR + 6);
      r[R.Sn_TTL] = 0x80;
      r[R.Sn_RXBUF_SIZE] = 2; r[R.Sn_TXBUF_SIZE] = 2;
      r[R.Sn_IMR] = 0xff;
      r[R.Sn_FRAG] = 0x40;
      s.txRd = s.txWrSent = s.rxWr = s.rxRdDone = 0;
      s.mode = 0; s.cmdBusy = 0; s.sendBusy = 0; s.sendStalled = false;
    }
    this.updateInt();
  }

  private txSize(n: number): number { return this.sockets[n].regs[R.Sn_TXBUF_SIZE] * 1024; }
  private rxSize(n: number): number { return this.sockets[n].regs[R.Sn_RXBUF_SIZE] * 1024; }
  private txBase(n: number): number { let b = 0; for (let i = 0; i < n; i++) b += this.txSize(i); return b; }
  private rxBase(n: number): number { let b = 0; for (let i = 0; i < n; i++) b += this.rxSize(i); return b; }

  private phycfgr(): number {
    return R.PHYCFGR_RST | this.phyMode | (this.link ? R.PHYCFGR_DPX | R.PHYCFGR_SPD | R.PHYCFGR_LNK : 0);
  }

  private readCommon(off: number): number {
    if (off === R.MR && this.resetBusy > 0) return R.MR_RST;
    if (off === R.PHYCFGR) return this.phycfgr();
    if (off === R.VERSIONR && this.versionZero > 0) { this.versionZero--; return 0; }
    if (off === R.SIR) return this.sir();
    return off < COMMON_REGS ? this.common[off] : 0;
  }

  private writeCommon(off: number, v: number): void {
    if (off >= COMMON_REGS) return;
    switch (off) {
      case R.MR:
        if (v & R.MR_RST) { this.chipReset(); return; }
        this.common[off] = v;
        return;
      case R.IR: this.common[off] &= ~v; return;
      case R.SIR: case R.VERSIONR: case R.UIPR: case R.UIPR + 1: case R.UIPR + 2: case R.UIPR + 3:
      case R.UPORTR: case R.UPORTR + 1:
        this.misuse.readOnlyWrite++; return;
      case R.PHYCFGR:
        // OPMD/OPMDC are configurable; RST = 0 restarts the PHY (not timed here).
        this.phyMode = v & 0x78;
        return;
      default:
        this.common[off] = v;
    }
  }

  private chipReset(): void {
    this.resetRegisters();
    this.counters.resets++;
    this.resetBusy = this.faults.resetLatency > 0 ? this.faults.resetLatency + 1 : 0;
    this.versionZero = this.faults.versionZeroReads;
  }

  private sir(): number {
    let v = 0;
    for (let n = 0; n < SOCKETS; n++) {
      const r = this.sockets[n].regs;
      if (r[R.Sn_IR] & r[R.Sn_IMR]) v |= 1 << n;
    }
    return v;
  }

  private readSocket(n: number, off: number): number {
    const s = this.sockets[n];
    const r = s.regs;
    switch (off) {
      case R.Sn_CR: return s.cmdBusy > 0 ? r[R.Sn_CR] : 0;
      case R.Sn_TX_FSR: return this.fsr(n) >> 8;
      case R.Sn_TX_FSR + 1: return this.fsr(n) & 0xff;
      case R.Sn_TX_RD: return s.txRd >> 8;
      case R.Sn_TX_RD + 1: return s.txRd & 0xff;
      case R.Sn_RX_RSR: return this.rsr(n) >> 8;
      case R.Sn_RX_RSR + 1: return this.rsr(n) & 0xff;
      case R.Sn_RX_WR: return s.rxWr >> 8;
      case R.Sn_RX_WR + 1: return s.rxWr & 0xff;
      default: return off < SOCKET_REGS ? r[off] : 0;
    }
  }

  private writeSocket(n: number, off: number, v: number): void {
    const s = this.sockets[n];
    const r = s.regs;
    if (off >= SOCKET_REGS) return;
    switch (off) {
      case R.Sn_CR: this.command(n, v); return;
      case R.Sn_IR: r[R.Sn_IR] &= ~v; return;
      case R.Sn_SR: case R.Sn_TX_FSR: case R.Sn_TX_FSR + 1: case R.Sn_TX_RD: case R.Sn_TX_RD + 1:
      case R.Sn_RX_RSR: case R.Sn_RX_RSR + 1: case R.Sn_RX_WR: case R.Sn_RX_WR + 1:
        this.misuse.readOnlyWrite++; return;
      default: r[off] = v;
    }
  }

  private u16(r: Uint8Array, off: number): number { return (r[off] << 8) | r[off + 1]; }

  /** Sn_CR commands (datasheet §4.2, pp. 46–48). */
  private command(n: number, cmd: number): void {
    const s = this.sockets[n];
    const r = s.regs;
    if (s.cmdBusy > 0) this.misuse.commandWhileBusy++;
    r[R.Sn_CR] = cmd;
    s.cmdBusy = this.faults.commandLatency > 0 ? this.faults.commandLatency + 1 : 0;
    switch (cmd) {
      case R.Sn_CR_OPEN: {
        const p = r[R.Sn_MR] & 0x0f;
        let total = 0;
        for (let i = 0; i < SOCKETS; i++) total += this.sockets[i].regs[R.Sn_RXBUF_SIZE];
        let totalTx = 0;
        for (let i = 0; i < SOCKETS; i++) totalTx += this.sockets[i].regs[R.Sn_TXBUF_SIZE];
        if (total > 16 || totalTx > 16) this.misuse.bufferTotalOver16k++;
        s.txRd = s.txWrSent = s.rxWr = s.rxRdDone = 0;
        r[R.Sn_TX_WR] = r[R.Sn_TX_WR + 1] = r[R.Sn_RX_RD] = r[R.Sn_RX_RD + 1] = 0;
        s.sendBusy = 0; s.sendStalled = false;
        if (p === R.Sn_MR_MACRAW) {
          if (n !== 0) { this.misuse.macrawNotSocket0++; r[R.Sn_SR] = R.SOCK_CLOSED; break; }
          s.mode = r[R.Sn_MR];
          r[R.Sn_SR] = R.SOCK_MACRAW;
        } else if (p === R.Sn_MR_UDP) { s.mode = r[R.Sn_MR]; r[R.Sn_SR] = R.SOCK_UDP; this.misuse.badCommand++; }
        else if (p === R.Sn_MR_TCP) { s.mode = r[R.Sn_MR]; r[R.Sn_SR] = R.SOCK_INIT; this.misuse.badCommand++; }
        else r[R.Sn_SR] = R.SOCK_CLOSED;
        break;
      }
      case R.Sn_CR_CLOSE:
        r[R.Sn_SR] = R.SOCK_CLOSED;
        s.sendBusy = 0; s.sendStalled = false;
        break;
      case R.Sn_CR_RECV: {
        if (r[R.Sn_SR] !== R.SOCK_MACRAW) { this.misuse.commandWhileClosed++; break; }
        const rd = this.u16(r, R.Sn_RX_RD);
        const adv = (rd - s.rxRdDone) & 0xffff;
        if (adv > this.rsr(n)) { this.misuse.recvPastWrite++; s.rxRdDone = s.rxWr; break; }
        s.rxRdDone = rd;
        break;
      }
      case R.Sn_CR_SEND: {
        if (r[R.Sn_SR] !== R.SOCK_MACRAW) { this.misuse.commandWhileClosed++; break; }
        if (s.sendBusy > 0 || s.sendStalled) this.misuse.sendWhileSending++;
        s.txWrSent = this.u16(r, R.Sn_TX_WR);
        if (!this.link || this.faults.sendOkNever) { s.sendStalled = true; this.counters.txStalled++; break; }
        if (this.faults.sendLatency > 0) { s.sendBusy = this.faults.sendLatency + 1; break; }
        this.finishSend(n);
        break;
      }
      default:
        this.misuse.badCommand++;
    }
    this.updateInt();
  }

  /** Sends [TX_RD, TX_WR as of SEND) as one frame, padded to 60 octets; TX_RD = TX_WR; SEND_OK. */
  private finishSend(n: number): void {
    const s = this.sockets[n];
    const len = (s.txWrSent - s.txRd) & 0xffff;
    const size = this.txSize(n);
    s.txRd = s.txWrSent;
    s.regs[R.Sn_IR] |= R.Sn_IR_SEND_OK;
    if (len === 0 || len > R.MACRAW_MTU || len > size) { this.misuse.badSendLength++; this.updateInt(); return; }
    const base = this.txBase(n);
    const start = (s.txWrSent - len) & 0xffff;
    const out = this.txFrame;
    for (let i = 0; i < len; i++) out[i] = this.txMem[base + ((start + i) & 0xffff) % size];
    let wireLen = len;
    if (wireLen < MIN_WIRE_FRAME) { out.fill(0, wireLen, MIN_WIRE_FRAME); wireLen = MIN_WIRE_FRAME; }
    this.counters.txFrames++;
    this.counters.txBytes += wireLen;
    this.updateInt();
    if (this.onTransmit) this.onTransmit(out, wireLen);
    if (this.hubTx) this.hubTx(out, wireLen);
  }

  private updateInt(): void {
    const c = this.common;
    const pending = ((c[R.IR] & c[R.IMR]) | (this.sir() & c[R.SIMR])) !== 0;
    const level = pending ? 0 : 1;
    if (level !== this.intLevelNow) {
      this.intLevelNow = level;
      for (const l of this.intListeners.slice()) l(level);
    }
  }

  // ---------------------------------------------------------------- SPI

  /** Advances the SPI-call clock: pending reset, commands and sends progress by one step. */
  private tick(): void {
    if (this.resetBusy > 0) this.resetBusy--;
    for (let n = 0; n < SOCKETS; n++) {
      const s = this.sockets[n];
      if (s.cmdBusy > 0) s.cmdBusy--;
      if (s.sendBusy > 0 && --s.sendBusy === 0) this.finishSend(n);
    }
  }

  private readByte(bsb: number, off: number): number {
    if (bsb === R.BSB_COMMON) return this.readCommon(off);
    const n = (bsb - 1) >> 2;
    const kind = (bsb - 1) & 3;
    if (kind === 0) {
      if (n === 0 && (off === R.Sn_RX_RSR + 1 || off === R.Sn_TX_FSR + 1)) this.runTear(off - 1);
      return this.readSocket(n, off);
    }
    if (kind === 1) { const size = this.txSize(n); if (!size) { this.misuse.zeroSizeBuffer++; return 0; } return this.txMem[this.txBase(n) + off % size]; }
    const size = this.rxSize(n); if (!size) { this.misuse.zeroSizeBuffer++; return 0; }
    return this.rxMem[this.rxBase(n) + off % size];
  }

  private runTear(off: number): void {
    const reg: TearReg = off === R.Sn_RX_RSR ? 'RSR' : 'FSR';
    const i = this.tears.findIndex((t) => t.reg === reg);
    if (i < 0) return;
    const t = this.tears.splice(i, 1)[0];
    t.action();
  }

  private writeByte(bsb: number, off: number, v: number): void {
    if (bsb === R.BSB_COMMON) { this.writeCommon(off, v); return; }
    const n = (bsb - 1) >> 2;
    const kind = (bsb - 1) & 3;
    if (kind === 0) { this.writeSocket(n, off, v); return; }
    if (kind === 1) { const size = this.txSize(n); if (!size) { this.misuse.zeroSizeBuffer++; return; } this.txMem[this.txBase(n) + off % size] = v; return; }
    const size = this.rxSize(n); if (!size) { this.misuse.zeroSizeBuffer++; return; }
    this.rxMem[this.rxBase(n) + off % size] = v;
  }

  /** One CS-low SPI frame: [offset hi][offset lo][control][data…] (datasheet §2.2). */
  private transfer(input: SpiData | number[], cs: Pin, readBack: boolean): Uint8Array {
    const data = spiOctets(input);
    const c = this.counters;
    c.spiCalls++;
    if (readBack) c.spiSendCalls++; else c.spiWriteCalls++;
    c.spiBytes += data.length;
    const out = new Uint8Array(data.length);
    if (cs !== undefined && cs !== this.cs) { this.misuse.wrongCs++; return out; }
    if (this.timeSource) this.sync();
    if (this.rstnLow) { this.misuse.spiDuringReset++; return out; }
    if (this.nowUs < this.readyAt) { this.misuse.spiBeforeReady++; this.nowUs += this.timeSource ? 0 : (data.length * 8e6) / this.baud; return out; }
    if (!this.timeSource) this.nowUs += (data.length * 8e6) / this.baud;
    this.tick();
    if (data.length < 3) { this.misuse.shortFrame++; return out; }
    out[0] = 0x01; out[1] = 0x02; out[2] = 0x03;
    const addr = (data[0] << 8) | data[1];
    const ctl = data[2];
    const bsb = ctl >> 3;
    const write = (ctl & R.CTRL_RWB) !== 0;
    const om = ctl & 3;
    let n = data.length - 3;
    if (om !== R.CTRL_OM_VDM) {
      const fixed = om === R.CTRL_OM_FDM1 ? 1 : om === R.CTRL_OM_FDM2 ? 2 : 4;
      if (n > fixed) { this.misuse.fdmOverrun++; n = fixed; }
    }
    if (bsb !== R.BSB_COMMON && (bsb > 31 || ((bsb - 1) & 3) === 3)) { this.misuse.badBlock++; return out; }
    for (let i = 0; i < n; i++) {
      const off = (addr + i) & 0xffff;
      if (write) this.writeByte(bsb, off, data[3 + i]);
      else out[3 + i] = this.readByte(bsb, off);
    }
    this.updateInt();
    return out;
  }
}
