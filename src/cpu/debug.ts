/**
 * Debug features (SDM vol 3 ch. 17): DR0-DR3/DR6/DR7 instruction and data breakpoints, the
 * general-detect condition, TF single-step, and the host debugger's own breakpoints and
 * single-step (for a gdbstub), which stop `cpu.run()` with "debug" instead of raising #DB.
 *
 * Unarmed code pays nothing: everything below is keyed on hflags bits that are clear unless
 * EFLAGS.TF is set, a DR7 breakpoint is enabled, or the host debugger is active.
 *  - HFlag.TF / HFlag.DEBUG / HFlag.HSTEP: the translator makes blocks of one instruction,
 *    calls `debug_insn_bp` before an instruction at an execute-breakpoint address (the check
 *    is baked into the block, so a new breakpoint address flushes all translations), clears RF
 *    after that check (RF is cleared at the start of every instruction after the code
 *    breakpoint check, SDM 17.3.1.1), and under single-step records in RunWord.DEBUG_TRAP
 *    that an instruction started (with TF as it was before the instruction) and requests an
 *    exit, so the run loop sees every instruction boundary (every block entry, chained or
 *    not, must keep checking RunWord.EXIT_REQUEST for this to hold).
 *  - Data breakpoints: pages holding a watched address are never entered in the TLB, so every
 *    access to them takes the softmmu slow path, which records hits in DEBUG_TRAP (B0-B3) and
 *    requests an exit. The #DB is delivered after the instruction (trap), as on hardware.
 *  - The run loop (`Cpu._run`) delivers pending traps: a pending exception (the instruction
 *    faulted, or INT n) discards them; otherwise DR6 gets B0-B3/BS and #DB is delivered with
 *    RIP = the next instruction.
 *
 * I/O breakpoints (CR4.DE and DR7 R/W = 10) are checked by the IN/OUT helpers, also a trap.
 *
 * MOV SS / POP SS delay debug traps until after the next instruction (Inhibit.DEBUG in
 * RunWord.INHIBIT_IRQ, which the run loop honours).
 *
 * A task switch to a TSS whose T bit is set records DebugTrap.BT: #DB (DR6.BT) before the new
 * task's first instruction.
 *
 * Not modelled: DR7.LE/GE (exact breakpoints are always exact here); a REP string instruction reports a data breakpoint or a
 * single-step after each chunk of up to REP_UNROLL iterations rather than after each one.
 */

import { HelperFlag, IrType } from "../jit/ir/types.js";
import type { Cpu } from "./cpu.js";
import { fault, guarded } from "./descriptors.js";
import { Eflag } from "./flags.js";
import { cpuHelper } from "./helper.js";
import { HFlag, RunWord, SegIndex, StateOff } from "./state-layout.js";
import { Vec } from "./softmmu.js";

export const enum Dr6 { B_MASK = 0xf, BD = 1 << 13, BS = 1 << 14, BT = 1 << 15 }
export const enum Dr7 { ENABLE_MASK = 0xff, GD = 1 << 13 }

/**
 * RunWord.DEBUG_TRAP bits: data breakpoints hit (as DR6 B0-B3), TF single-step (DR6.BS), a task
 * switch to a TSS with the T bit (DR6.BT, task-switch.ts), host step.
 */
export const enum DebugTrap { DATA = 0xf, BS = 1 << 14, BT = 1 << 15, HOST_STEP = 1 << 30 }
/** RunWord.DEBUG_ARMED bits (mirrored into hflags by CpuState.updateHflags). */
export const enum DebugArm { BREAKPOINTS = 1, HOST_STEP = 2 }

/** EXC_VECTOR value meaning "a host breakpoint was hit": run() returns "debug". */
export const HOST_BREAK_VECTOR = 0x200;

export type DebugStopCause = "breakpoint" | "step";

interface DataBp { index: number; start: number; end: number; write: boolean; read: boolean }
interface IoBp { index: number; start: number; end: number }

const TWO32 = 4294967296;
/** Breakpoint length from DR7 LENn (00 1 byte, 01 2, 10 8, 11 4). */
const LENGTHS = [1, 2, 8, 4] as const;

export class CpuDebug {
  /** Why the last run() returned "debug". */
  stopCause: DebugStopCause = "step";
  private _hostBps = new Set<number>();
  private _hostStep = false;
  /** RIP at which a host breakpoint is skipped once (resuming from it). */
  private _hostSkip: number | null = null;
  /** Enabled guest execute breakpoints: linear address -> DR index. */
  private _execBps = new Map<number, number>();
  private _dataBps: DataBp[] = [];
  private _ioBps: IoBp[] = [];
  /** I/O breakpoints are armed (IN/OUT helpers then call ioAccess). */
  ioArmed = false;
  private _watchPages = new Set<number>();
  private _execKey = "";

  constructor(private readonly _cpu: Cpu) {}

  // ---- host debugger interface (the future gdbstub)
  /** Host breakpoints: linear addresses where run() stops with "debug" before the instruction. */
  setHostBreakpoints(addrs: Iterable<number>): void {
    this._hostBps = new Set(addrs);
    const pc = this._linearRip();
    this._hostSkip = this._hostBps.has(pc) ? pc : null;
    this.configChanged();
  }
  /** Host single-step: run() stops with "debug" after each instruction (or at a handler's first one). */
  setHostStep(on: boolean): void {
    this._hostStep = on;
    this.configChanged();
  }
  get hostStep(): boolean { return this._hostStep; }

  /**
   * Recompute the armed state after DR7, DR0-DR3, the host breakpoints or host step changed.
   * New execute-breakpoint addresses flush all translations (the checks are baked into
   * blocks); new data breakpoints flush the TLB (watched pages must miss it).
   */
  configChanged(): void {
    const cpu = this._cpu, s = cpu.state;
    const dr7 = s.lo(StateOff.DR + 7 * 8);
    const exec = new Map<number, number>();
    const data: DataBp[] = [];
    const io: IoBp[] = [];
    const de = (s.cr4 & 8) !== 0; // CR4.DE: R/W = 10 selects I/O breakpoints
    for (let i = 0; i < 4; i++) {
      if (!((dr7 >>> (i * 2)) & 3)) continue;
      const rw = (dr7 >>> (16 + i * 4)) & 3, len = LENGTHS[(dr7 >>> (18 + i * 4)) & 3]!;
      const addr = s.getNum(StateOff.DR + i * 8);
      const start = addr - (((addr % len) + len) % len);
      if (rw === 0) exec.set(addr, i);
      else if (rw !== 2) data.push({ index: i, start, end: start + len, write: true, read: rw === 3 });
      else if (de) io.push({ index: i, start: start & 0xffff, end: (start & 0xffff) + len });
    }
    const execKey = [...exec.keys(), -1, ...this._hostBps].join(",");
    const oldPages = [...this._watchPages].join(",");
    this._execBps = exec;
    this._dataBps = data;
    this._ioBps = io;
    this.ioArmed = io.length > 0;
    this._watchPages = new Set(data.flatMap((d) => [Math.floor(d.start / 4096), Math.floor((d.end - 1) / 4096)]));
    const armed = (exec.size || data.length || io.length || this._hostBps.size ? DebugArm.BREAKPOINTS : 0) | (this._hostStep ? DebugArm.HOST_STEP : 0);
    s.setRun(RunWord.DEBUG_ARMED, armed);
    // Called between instructions (MOV DR completed, or from the host), so RF is clear.
    s.set32(StateOff.EFLAGS, s.eflagsRest & ~Eflag.RF);
    if (execKey !== this._execKey) {
      this._execKey = execKey;
      cpu.tbs.flushAll();
    }
    if ([...this._watchPages].join(",") !== oldPages) cpu.flushTlb();
    cpu.softmmu.watch = data.length ? this : null;
    cpu.modeChanged();
  }

  /** Does the translator need a breakpoint check before the instruction at linear `pc`? */
  isBreakpoint(pc: number): boolean {
    return this._execBps.has(pc) || this._hostBps.has(pc);
  }

  /** Is the page of `gva` watched (it must stay out of the TLB)? */
  watchesPage(gva: number): boolean {
    return this._watchPages.has(Math.floor(gva / 4096));
  }

  /** A slow-path access of [gva, gva + size): record data-breakpoint hits (trap after the instruction). */
  access(gva: number, size: number, write: boolean): void {
    let hit = 0;
    for (const d of this._dataBps) if ((write ? d.write : d.read) && gva < d.end && gva + size > d.start) hit |= 1 << d.index;
    if (!hit) return;
    const s = this._cpu.state;
    s.setRun(RunWord.DEBUG_TRAP, s.run(RunWord.DEBUG_TRAP) | hit);
    s.setRun(RunWord.EXIT_REQUEST, 1);
  }

  /** An IN/OUT/INS/OUTS of ports [port, port + size) (from the I/O helpers when ioArmed). */
  ioAccess(port: number, size: number): void {
    let hit = 0;
    for (const d of this._ioBps) if (port < d.end && port + size > d.start) hit |= 1 << d.index;
    if (!hit) return;
    const s = this._cpu.state;
    s.setRun(RunWord.DEBUG_TRAP, s.run(RunWord.DEBUG_TRAP) | hit);
    s.setRun(RunWord.EXIT_REQUEST, 1);
  }

  /** Before the instruction at `pc` (from debug_insn_bp): host stop, or #DB fault unless RF. */
  checkInstruction(pc: number): void {
    const cpu = this._cpu, s = cpu.state;
    if (this._hostBps.has(pc)) {
      if (this._hostSkip === pc) this._hostSkip = null;
      else {
        this.stopCause = "breakpoint";
        cpu.softmmu.raise(HOST_BREAK_VECTOR);
        return;
      }
    }
    const i = this._execBps.get(pc);
    if (i === undefined || s.eflagsRest & Eflag.RF) return;
    setDr6(cpu, 1 << i);
    fault(cpu, Vec.DB);
  }

  /**
   * Run loop, no exception pending and RunWord.DEBUG_TRAP non-zero: the instruction completed.
   * Deliver a guest #DB trap if one is due; returns true when run() must stop for the host.
   */
  afterInstruction(deliverDb: () => void): boolean {
    const s = this._cpu.state;
    const trap = s.run(RunWord.DEBUG_TRAP);
    s.setRun(RunWord.DEBUG_TRAP, 0);
    const guest = trap & (DebugTrap.DATA | DebugTrap.BS | DebugTrap.BT);
    if (guest) {
      setDr6(this._cpu, guest);
      s.setRun(RunWord.HALTED, 0);
      deliverDb();
    }
    if (trap & DebugTrap.HOST_STEP && this._hostStep) {
      this.stopCause = "step";
      return true;
    }
    return false;
  }

  /** An exception is about to be delivered: the instruction did not complete, its traps are void. */
  discardTraps(): void {
    const s = this._cpu.state;
    s.setRun(RunWord.DEBUG_TRAP, s.run(RunWord.DEBUG_TRAP) & DebugTrap.HOST_STEP);
  }

  /** A host-breakpoint stop: the next run() resumes at that instruction without stopping again. */
  hostBreakHit(): void {
    this._hostSkip = this._linearRip();
  }

  private _linearRip(): number {
    const s = this._cpu.state;
    return s.hflags & HFlag.CS64 ? s.rip : (s.seg(SegIndex.CS).base + s.rip) % TWO32;
  }

  /** An event moved RIP (an interrupt or exception was delivered): a pending skip is void. */
  eventDelivered(): void {
    this._hostSkip = null;
  }
}

/** DR6 on a #DB: B0-B3 replaced by this event's hits, BD/BS set; the other bits are sticky. */
export function setDr6(cpu: Cpu, bits: number): void {
  const s = cpu.state, off = StateOff.DR + 6 * 8;
  const b = bits & Dr6.B_MASK;
  s.set64(off, (s.lo(off) & ~(b ? Dr6.B_MASK : 0)) | bits, 0);
}

/**
 * SYSCALL and SYSRET single-step on the flags they load, not the ones before (Linux: "restoring
 * TF [with SYSRET] results in a trap from userspace immediately after SYSRET").
 */
export function recheckSingleStep(cpu: Cpu): void {
  const s = cpu.state;
  const t = s.run(RunWord.DEBUG_TRAP) & ~DebugTrap.BS;
  const tf = (s.eflagsRest & Eflag.TF) !== 0;
  s.setRun(RunWord.DEBUG_TRAP, t | (tf ? DebugTrap.BS : 0));
  if (tf) s.setRun(RunWord.EXIT_REQUEST, 1);
}

/** The translator's per-instruction check at an execute-breakpoint address. */
export const debugInsnBp = cpuHelper("debug_insn_bp", [IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT,
  guarded((cpu, lo, hi) => cpu.debug.checkInstruction((hi | 0) * TWO32 + (lo >>> 0))));
