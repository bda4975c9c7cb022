/**
 * Local APIC (Intel SDM vol. 3, chapter 11): the xAPIC MMIO page and the same registers as
 * x2APIC MSRs 0x800-0x8FF (11.12), IA32_APIC_BASE (global enable, x2APIC enable, base
 * relocation), interrupt acceptance and priority (IRR -> highest vector above PPR -> CPU,
 * 11.8), EOI with level-triggered EOI broadcast to the IOAPIC, the LVT (timer, thermal,
 * performance, LINT0, LINT1, error), the ESR, IPIs through the ICR with shorthands, and the
 * timer (lapic-timer.ts). Version 0x14 with six LVT entries (max LVT 5), as QEMU's.
 * One CPU: IPIs reach this APIC or nobody. LINT0 in ExtINT mode (or with the APIC globally
 * disabled) passes the 8259's INTR through: the vector then comes from the PIC's INTA.
 * MSR accesses return undefined/false where the SDM raises #GP; the CPU raises it.
 */

import { Emitter, type Event } from "../common/lifecycle.js";
import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps, U64 } from "../memory/types.js";
import type { VirtualClock } from "./clock.js";
import type { CpuInterruptSink, InterruptSource } from "./cpu-interrupts.js";
import { Device } from "./device.js";
import { IrqPin, type IrqLevel } from "./irq.js";
import { LapicTimer, TimerMode, type LapicTimerState, type TscSource } from "./lapic-timer.js";
import { ApicRegs as R, DeliveryMode, LVT_WRITE_MASK, type ApicInterruptTarget } from "./lapic-defs.js";
import {
  apicDestinationMatches, BASE_BSP, BASE_EN, BASE_EXTD, blankLapicState, clearBit, ESR_ILLEGAL_REG, ESR_RECV_ILLEGAL,
  ESR_SEND_ILLEGAL, highestBit, type LapicCoreState, Lvt, LVT_MASKED, setBit, SVR_ENABLE, testBit,
} from "./lapic-state.js";

export { DeliveryMode, type ApicInterruptTarget } from "./lapic-defs.js";
export type { LapicCoreState } from "./lapic-state.js";

export const MSR_IA32_APIC_BASE = 0x1b;
export const MSR_IA32_TSC_DEADLINE = 0x6e0;
const X2APIC_MSR_FIRST = 0x800;
const X2APIC_MSR_LAST = 0x8ff;

export interface LapicOptions {
  clock: VirtualClock;
  logger: Logger;
  cpu: CpuInterruptSink;
  /** The initial APIC ID (8-bit in xAPIC mode). */
  apicId: number;
  /** Bootstrap processor (IA32_APIC_BASE bit 8); default true. */
  bsp?: boolean;
  /** APIC timer input clock in Hz; QEMU uses 1 GHz. Default 1e9. */
  busHz?: number;
  /** TSC for TSC-deadline mode. */
  tsc: TscSource;
  /** Whether IA32_APIC_BASE.EXTD may be set (CPUID.1:ECX.x2APIC should agree). Default true. */
  x2apic?: boolean;
  /** The 8259's INTA, for LINT0 in ExtINT mode (also settable later with connectExtInt). */
  extInt?: InterruptSource;
  /** Called when the guest moves the xAPIC page (IA32_APIC_BASE), with the new base address. */
  onBaseChange?: (gpa: number) => void;
}

export interface LapicState {
  [key: string]: LapicCoreState | LapicTimerState;
  core: LapicCoreState;
  timer: LapicTimerState;
}

export class Lapic extends Device<LapicState> implements RegionOps, InterruptSource, ApicInterruptTarget {
  readonly typeName = "apic";
  readonly valid = { min: 4, max: 4 } as const;
  readonly impl = { min: 4, max: 4 } as const;
  /** LINT0 input (the 8259's INT on a PC) and LINT1 input (NMI). */
  readonly lint0: IrqPin;
  readonly lint1: IrqPin;
  private _s: LapicCoreState;
  private readonly _timer: LapicTimer;
  private readonly _opts: LapicOptions;
  private readonly _bsp: boolean;
  private readonly _x2Supported: boolean;
  private _extInt: InterruptSource | undefined;
  private _pending = false;
  private readonly _onLevelEoi = this._register(new Emitter<number>());
  /** Fires with the vector when the guest EOIs a level-triggered interrupt (to the IOAPICs). */
  readonly onLevelEoi: Event<number> = this._onLevelEoi.event;

  constructor(id: string, opts: LapicOptions) {
    super(id);
    const busHz = opts.busHz ?? 1e9;
    if (!Number.isInteger(busHz) || busHz <= 0) throw new ConfigError(`apic: busHz must be a positive integer, got ${busHz}`);
    if (!Number.isInteger(opts.apicId) || opts.apicId < 0 || opts.apicId > 0xfe) {
      throw new ConfigError(`apic: apicId must be 0..254, got ${opts.apicId}`);
    }
    this._opts = opts;
    this._bsp = opts.bsp ?? true;
    this._x2Supported = opts.x2apic ?? true;
    this._extInt = opts.extInt;
    this._s = blankLapicState(opts.apicId);
    this._timer = new LapicTimer(opts.clock, busHz, opts.tsc, () => this._timerMode(), () => this._timerFired());
    this._register(this._timer.timer);
    this.lint0 = new IrqPin((l) => this._lintChanged(0, l));
    this.lint1 = new IrqPin((l) => this._lintChanged(1, l));
  }

  /** Connect the 8259 (the ExtINT vector source) after construction. */
  connectExtInt(source: InterruptSource): void {
    this._extInt = source;
    this._update();
  }

  get apicId(): number { return this._s.id; }
  get x2apicMode(): boolean { return this._s.x2apic; }
  get globallyEnabled(): boolean { return this._s.enabled; }
  get baseAddress(): number { return this._s.base; }

  /** MOV from CR8: the TPR's priority class (SDM 10.8.6.1 / 11.8.6.1). */
  readCr8(): number {
    return (this._s.tpr >> 4) & 0xf;
  }

  /** MOV to CR8: TPR[7:4] = value[3:0], TPR[3:0] = 0. */
  writeCr8(value: number): void {
    this._s.tpr = (value & 0xf) << 4;
    this._update();
  }

  protected onReset(): void {
    const oldBase = this._s.base;
    this._s = blankLapicState(this._opts.apicId);
    this._s.lint0 = this.lint0.level;
    this._s.lint1 = this.lint1.level;
    this._timer.reset();
    if (oldBase !== this._s.base) this._opts.onBaseChange?.(this._s.base);
    this._update();
  }

  private _timerMode(): TimerMode {
    return ((this._s.lvt[Lvt.TIMER]! >> 17) & 3) as TimerMode;
  }

  private get _swEnabled(): boolean {
    return (this._s.svr & SVR_ENABLE) !== 0;
  }

  // ---- priority and delivery -------------------------------------------------------------

  private _ppr(): number {
    const isrv = Math.max(highestBit(this._s.isr), 0);
    return (this._s.tpr >> 4) >= (isrv >> 4) ? this._s.tpr & 0xff : isrv & 0xf0;
  }

  private _apr(): number {
    const irrv = Math.max(highestBit(this._s.irr), 0), isrv = Math.max(highestBit(this._s.isr), 0);
    const t = this._s.tpr;
    return (t >> 4) >= (irrv >> 4) && (t >> 4) >= (isrv >> 4) ? t & 0xff : Math.max(irrv, isrv) & 0xf0;
  }

  /** Is the 8259's INTR routed through (LINT0 ExtINT, APIC disabled, or an IOAPIC ExtINT message)? */
  private _extIntPending(): boolean {
    if (!this._extInt) return false;
    if (this._s.extIntRequested) return true;
    if (this._s.lint0 === 0) return false;
    if (!this._s.enabled) return true;
    const lvt = this._s.lvt[Lvt.LINT0]!;
    return this._swEnabled && (lvt & LVT_MASKED) === 0 && ((lvt >> 8) & 7) === DeliveryMode.EXTINT;
  }

  private _deliverableIrr(): number {
    if (!this._s.enabled || !this._swEnabled) return -1;
    const v = highestBit(this._s.irr);
    return v >= 0 && (v & 0xf0) > (this._ppr() & 0xf0) ? v : -1;
  }

  hasInterrupt(): boolean {
    return this._extIntPending() || this._deliverableIrr() >= 0;
  }

  /** INTA: the vector for the CPU. Moves it from IRR to ISR; the spurious vector if none. */
  ackInterrupt(): number {
    if (this._extIntPending() && this._extInt) {
      this._s.extIntRequested = false;
      const v = this._extInt.ackInterrupt();
      this._update();
      return v;
    }
    const v = this._deliverableIrr();
    if (v < 0) return this._s.svr & 0xff;
    clearBit(this._s.irr, v);
    setBit(this._s.isr, v);
    this._update();
    return v;
  }

  private _update(): void {
    const p = this.hasInterrupt();
    if (p !== this._pending) {
      this._pending = p;
      this._opts.cpu.setInterruptPending(p);
    }
  }

  private _error(bits: number): void {
    this._s.pendingEsr |= bits;
    const lvt = this._s.lvt[Lvt.ERROR]!;
    if ((lvt & LVT_MASKED) === 0) this._accept(lvt & 0xff, false);
  }

  /** A fixed interrupt arrives (from the LVT, an IPI, the IOAPIC or an MSI). */
  private _accept(vector: number, level: boolean): void {
    if (vector < 16) { this._error(ESR_RECV_ILLEGAL); return; }
    setBit(this._s.irr, vector);
    if (level) setBit(this._s.tmr, vector); else clearBit(this._s.tmr, vector);
    this._update();
  }

  /** Deliver a message with the given delivery mode to this APIC (mode per ICR/redirection entry encoding). */
  private _deliverLocal(mode: number, vector: number, level: boolean, assert: boolean): void {
    switch (mode) {
      case DeliveryMode.FIXED: case DeliveryMode.LOWEST: this._accept(vector, level); break;
      case DeliveryMode.NMI: this._opts.cpu.nmi(); break;
      case DeliveryMode.INIT: if (assert || !level) this._opts.cpu.init(); break;
      case DeliveryMode.STARTUP: this._opts.cpu.sipi(vector & 0xff); break;
      case DeliveryMode.EXTINT: this._s.extIntRequested = true; this._update(); break;
      default: this._opts.logger.unimp(`apic: delivery mode ${mode} (SMI or reserved)`, `apic-dm-${mode}`);
    }
  }

  /** Entry point for the IOAPIC (and MSIs): an interrupt message on the APIC bus. */
  deliver(vector: number, deliveryMode: DeliveryMode, logicalDest: boolean, dest: number, levelTriggered: boolean): void {
    // 8-bit destinations from the IOAPIC/MSI: 0xff is a broadcast in either mode.
    const d = this._s.x2apic && dest === 0xff ? 0xffffffff : dest;
    if (!apicDestinationMatches(this._s, d, logicalDest)) return;
    this._deliverLocal(deliveryMode, vector, levelTriggered, true);
  }

  /** An MSI write (PCI MSI address 0xFEExxxxx / data), SDM 11.11. */
  deliverMsi(address: number, data: number): void {
    if ((address >>> 20) !== 0xfee) {
      this._opts.logger.guestError(`apic: MSI to non-APIC address 0x${(address >>> 0).toString(16)}`);
      return;
    }
    const dest = (address >>> 12) & 0xff;
    const logical = ((address >> 2) & 1) === 1;
    this.deliver(data & 0xff, ((data >> 8) & 7) as DeliveryMode, logical, dest, ((data >> 15) & 1) === 1);
  }

  private _sendIpi(lo: number, hi: number): void {
    const vector = lo & 0xff, mode = (lo >> 8) & 7, logical = ((lo >> 11) & 1) === 1;
    const assert = ((lo >> 14) & 1) === 1, level = ((lo >> 15) & 1) === 1, shorthand = (lo >> 18) & 3;
    if ((mode === DeliveryMode.FIXED || mode === DeliveryMode.LOWEST) && vector < 16) {
      this._error(ESR_SEND_ILLEGAL);
      return;
    }
    const dest = this._s.x2apic ? hi >>> 0 : hi >>> 24;
    const self = shorthand === 1 || shorthand === 2 || (shorthand === 0 && apicDestinationMatches(this._s, dest, logical));
    this._opts.logger.log("apic", `apic: IPI icr=${hi.toString(16)}:${lo.toString(16)} self=${self}`);
    // Level-triggered IPIs other than INIT de-assert are edge in effect (SDM 11.6.1).
    if (self) this._deliverLocal(mode, vector, mode === DeliveryMode.INIT && level, assert);
  }

  private _eoi(): void {
    const v = highestBit(this._s.isr);
    if (v < 0) return;
    clearBit(this._s.isr, v);
    if (testBit(this._s.tmr, v)) this._onLevelEoi.fire(v);
    this._update();
  }

  private _timerFired(): void {
    const lvt = this._s.lvt[Lvt.TIMER]!;
    if ((lvt & LVT_MASKED) === 0) this._accept(lvt & 0xff, false);
  }

  private _lintChanged(pin: 0 | 1, level: IrqLevel): void {
    const prev = pin === 0 ? this._s.lint0 : this._s.lint1;
    if (pin === 0) this._s.lint0 = level; else this._s.lint1 = level;
    const lvt = this._s.lvt[Lvt.LINT0 + pin]!;
    const rising = level === 1 && prev === 0;
    if (!this._s.enabled) {
      // APIC globally disabled: LINT0 is INTR (handled by _extIntPending), LINT1 is NMI.
      if (pin === 1 && rising) this._opts.cpu.nmi();
    } else if ((lvt & LVT_MASKED) === 0 && this._swEnabled) {
      const mode = (lvt >> 8) & 7;
      const levelTrig = ((lvt >> 15) & 1) === 1 && mode === DeliveryMode.FIXED;
      if (mode !== DeliveryMode.EXTINT && (rising || (levelTrig && level === 1))) {
        this._deliverLocal(mode, lvt & 0xff, levelTrig, true);
      }
    }
    this._update();
  }

  // ---- registers -------------------------------------------------------------------------

  /** Read register index `reg` (offset >> 4); undefined when not readable in this mode. */
  private _readReg(reg: number): number | undefined {
    const s = this._s;
    if (reg >= R.ISR0 && reg < R.ISR0 + 8) return s.isr[reg - R.ISR0]!;
    if (reg >= R.TMR0 && reg < R.TMR0 + 8) return s.tmr[reg - R.TMR0]!;
    if (reg >= R.IRR0 && reg < R.IRR0 + 8) return s.irr[reg - R.IRR0]!;
    if (reg >= R.LVT_TIMER && reg <= R.LVT_ERROR) return s.lvt[reg - R.LVT_TIMER]!;
    switch (reg) {
      case R.ID: return s.x2apic ? s.id : (s.id << 24) >>> 0;
      case R.VERSION: return 0x14 | (5 << 16);
      case R.TPR: return s.tpr;
      case R.APR: return s.x2apic ? undefined : this._apr();
      case R.PPR: return this._ppr();
      case R.LDR: return s.ldr;
      case R.DFR: return s.x2apic ? undefined : s.dfr;
      case R.SVR: return s.svr;
      case R.ESR: return s.esr;
      case R.ICR_LO: return s.icrLo;
      case R.ICR_HI: return s.x2apic ? undefined : s.icrHi;
      case R.TIMER_INITIAL: return this._timer.s.initialCount;
      case R.TIMER_CURRENT: return this._timer.currentCount();
      case R.TIMER_DIVIDE: return this._timer.s.divideConfig;
      default: return undefined;
    }
  }

  /** Write register `reg`; false when the register is not writable in this mode. */
  private _writeReg(reg: number, v: number): boolean {
    const s = this._s;
    v >>>= 0;
    if (reg >= R.LVT_TIMER && reg <= R.LVT_ERROR) { this._writeLvt(reg - R.LVT_TIMER, v); return true; }
    switch (reg) {
      case R.ID: if (s.x2apic) return false; s.id = v >>> 24; return true;
      case R.TPR: s.tpr = v & 0xff; break;
      case R.EOI: this._eoi(); return true;
      case R.LDR: if (s.x2apic) return false; s.ldr = (v & 0xff000000) >>> 0; return true;
      case R.DFR: if (s.x2apic) return false; s.dfr = (v | 0x0fffffff) >>> 0; return true;
      case R.SVR: this._writeSvr(v); break;
      case R.ESR: s.esr = s.pendingEsr; s.pendingEsr = 0; return true;
      case R.ICR_LO: s.icrLo = v & ~0x1000; this._sendIpi(s.icrLo, s.icrHi); return true;
      case R.ICR_HI: if (s.x2apic) return false; s.icrHi = (v & 0xff000000) >>> 0; return true;
      case R.TIMER_INITIAL: this._timer.writeInitialCount(v); return true;
      case R.TIMER_DIVIDE: this._timer.writeDivideConfig(v); return true;
      default: return false;
    }
    this._update();
    return true;
  }

  private _writeSvr(v: number): void {
    this._s.svr = v & 0x3ff;
    if ((v & SVR_ENABLE) === 0) for (let i = 0; i < 6; i++) this._s.lvt[i] = (this._s.lvt[i]! | LVT_MASKED) >>> 0;
  }

  private _writeLvt(i: number, v: number): void {
    let nv = v & LVT_WRITE_MASK[i]!;
    if (!this._swEnabled) nv |= LVT_MASKED;
    if (i === Lvt.TIMER) {
      if (((nv >> 17) & 3) === 3) nv &= ~(3 << 17); // reserved mode: treat as one-shot
      const old = this._timerMode();
      this._s.lvt[i] = nv >>> 0;
      this._timer.modeChanged(old, this._timerMode());
    } else {
      // Keep the read-only remote IRR / delivery status bits out; store what was written.
      this._s.lvt[i] = nv >>> 0;
    }
    this._update();
  }

  read(offset: number, _size: AccessSize): number {
    if (!this._s.enabled || this._s.x2apic) {
      this._opts.logger.guestError(`apic: MMIO read at 0x${offset.toString(16)} while the xAPIC interface is off`);
      return 0;
    }
    const v = (offset & 0xf) === 0 ? this._readReg(offset >> 4) : undefined;
    if (v === undefined) {
      if ((offset >> 4) !== R.EOI) this._opts.logger.guestError(`apic: read of register 0x${offset.toString(16)}`);
      return 0;
    }
    return v >>> 0;
  }

  write(offset: number, value: number, _size: AccessSize): void {
    if (!this._s.enabled || this._s.x2apic) {
      this._opts.logger.guestError(`apic: MMIO write at 0x${offset.toString(16)} while the xAPIC interface is off`);
      return;
    }
    if ((offset & 0xf) !== 0 || !this._writeReg(offset >> 4, value)) {
      this._opts.logger.guestError(`apic: write of read-only/reserved register 0x${offset.toString(16)}`);
      this._error(ESR_ILLEGAL_REG);
    }
  }

  /** Does this device implement MSR `index` (the CPU routes these here)? */
  static handlesMsr(index: number): boolean {
    return index === MSR_IA32_APIC_BASE || index === MSR_IA32_TSC_DEADLINE ||
      (index >= X2APIC_MSR_FIRST && index <= X2APIC_MSR_LAST);
  }

  /** RDMSR; undefined means #GP. */
  readMsr(index: number): U64 | undefined {
    const s = this._s;
    if (index === MSR_IA32_APIC_BASE) {
      return { lo: (s.base | (s.enabled ? BASE_EN : 0) | (s.x2apic ? BASE_EXTD : 0) | (this._bsp ? BASE_BSP : 0)) >>> 0, hi: 0 };
    }
    if (index === MSR_IA32_TSC_DEADLINE) return this._timer.readDeadline();
    if (!s.x2apic || index < X2APIC_MSR_FIRST || index > X2APIC_MSR_LAST) return undefined;
    const reg = index - X2APIC_MSR_FIRST;
    if (reg === R.ICR_LO) return { lo: s.icrLo, hi: s.icrHi };
    const v = this._readReg(reg);
    return v === undefined ? undefined : { lo: v >>> 0, hi: 0 };
  }

  /** WRMSR; false means #GP. */
  writeMsr(index: number, lo: number, hi: number): boolean {
    if (index === MSR_IA32_APIC_BASE) return this._writeApicBase(lo >>> 0, hi >>> 0);
    if (index === MSR_IA32_TSC_DEADLINE) { this._timer.writeDeadline(lo, hi); return true; }
    const s = this._s;
    if (!s.x2apic || index < X2APIC_MSR_FIRST || index > X2APIC_MSR_LAST) return false;
    const reg = index - X2APIC_MSR_FIRST;
    switch (reg) {
      case R.ICR_LO:
        s.icrLo = (lo & ~0x1000) >>> 0;
        s.icrHi = hi >>> 0;
        this._sendIpi(s.icrLo, s.icrHi);
        return true;
      case R.SELF_IPI:
        if (hi !== 0 || (lo & ~0xff) !== 0) return false;
        this._sendIpi((lo & 0xff) | (1 << 18), 0);
        return true;
      case R.EOI: case R.ESR:
        if (lo !== 0 || hi !== 0) return false;
        break;
      case R.TIMER_CURRENT: case R.PPR: case R.VERSION: case R.ID: case R.LDR:
        return false;
      default:
        if (hi !== 0) return false;
    }
    return this._writeReg(reg, lo);
  }

  private _writeApicBase(lo: number, hi: number): boolean {
    const s = this._s;
    if ((lo & 0x2ff) !== 0 || hi > 0xf) return false; // reserved bits (MAXPHYADDR 36 for the base)
    const en = (lo & BASE_EN) !== 0, x2 = (lo & BASE_EXTD) !== 0;
    if (x2 && !this._x2Supported) return false;
    if (x2 && !en) return false; // invalid state
    if (s.x2apic && en && !x2) return false; // x2APIC -> xAPIC is illegal
    if (!s.enabled && en && x2) return false; // disabled -> x2APIC must pass through xAPIC
    const base = (hi * 0x1_0000_0000) + ((lo & 0xfffff000) >>> 0);
    if (!en && s.enabled) {
      // Global disable: the APIC loses its state as on reset (except the ID and base).
      const keep = { id: s.id, base: s.base, lint0: s.lint0, lint1: s.lint1 };
      this._s = { ...blankLapicState(keep.id), ...keep, enabled: false };
      this._timer.reset();
    }
    this._s.enabled = en;
    if (x2 && !this._s.x2apic) {
      this._s.x2apic = true;
      const id = this._s.id;
      this._s.ldr = (((id >>> 4) << 16) | (1 << (id & 0xf))) >>> 0;
    }
    if (!en) this._s.x2apic = false;
    if (base !== this._s.base) {
      this._s.base = base;
      this._opts.onBaseChange?.(base);
    }
    this._update();
    return true;
  }

  getState(): LapicState {
    const s = this._s;
    return { core: { ...s, irr: [...s.irr], isr: [...s.isr], tmr: [...s.tmr], lvt: [...s.lvt] }, timer: { ...this._timer.s } };
  }

  setState(state: LapicState): void {
    const c = state.core;
    this._s = { ...c, irr: [...c.irr], isr: [...c.isr], tmr: [...c.tmr], lvt: [...c.lvt] };
    this._timer.restore(state.timer);
    this._pending = !this.hasInterrupt();
    this._update();
  }

  override describe(): Record<string, number | boolean> {
    return { id: this._s.id, x2apic: this._s.x2apic, base: this._s.base };
  }
}
