/**
 * Cpu: one x86-64 processor. Owns the architected state (in the shared Wasm memory), the
 * softmmu, the translation-block cache and the Wasm backend, and runs the execution loop:
 * dispatch translated code in Wasm until it needs TypeScript (a block is missing, an exception
 * or interrupt is due, the budget ran out, HLT), handle that, and go on.
 */

import { Disposable } from "../common/lifecycle.js";
import type { Logger } from "../common/log.js";
import type { CpuInterruptSink } from "../devices/cpu-interrupts.js";
import { TbExit } from "../jit/ir/types.js";
import { TbCache, type Tb } from "../jit/tb-cache.js";
import type { JitStats } from "../jit/jit-info.js";
import { JitCounter } from "../memory/wasm-layout.js";
import type { BackendFactory, ExecBackend } from "../jit/backend.js";
import type { CpuBus } from "./bus.js";
import { CpuState, SegAttr } from "./cpu-state.js";
import type { DecodeFn, SemanticsTable } from "./translate.js";
import { X86Translator } from "./translate.js";
import { Eflag } from "./flags.js";
import { findCpuHelper } from "./helper.js";
import { CpuDebug, HOST_BREAK_VECTOR } from "./debug.js";
import { deliver, IntKind } from "./interrupts.js";
import { runtimeFunctions } from "./runtime-fns.js";
import { SoftMmu, Vec } from "./softmmu.js";
import { fpuPowerOn } from "./x87-fpu.js";
import { CpuModel, type CpuModelOptions } from "./cpuid.js";
import { mcaReset } from "./mca.js";
import { MsrFile } from "./msr-file.js";
import { HFlag, Inhibit, Nmi, RunWord, SegIndex, SegOff, StateOff, segOff } from "./state-layout.js";

export interface CpuOptions {
  memory: WebAssembly.Memory;
  bus: CpuBus;
  log: Logger;
  decode: DecodeFn;
  semantics: SemanticsTable;
  /** CPUID model options from the board (physical address bits, TSC and bus frequencies). */
  model?: CpuModelOptions;
  /** The code generator (the board passes the Wasm backend). */
  backend: BackendFactory;
}

/** Most blocks compiled into one module on a miss (the missed block and its look-ahead). */
export const MAX_BATCH = 32;

/** Writes next to (not into) translated code after which a page counts as data (Cpu._codeWrite):
 * high, because static-key patching writes many sites on a text page that were never translated. */
const SMC_DATA_WRITES = 1024;

/** Why run() returned; "debug": a host breakpoint or host single-step (cpu.debug.stopCause). */
export type StopReason = "budget" | "halt" | "reset" | "stopped" | "debug";

/** Fault-class exception vectors other than #DB (SDM vol 3 table 6-1). */
const isFault = (v: number): boolean => v === Vec.DE || (v >= Vec.BR && v <= Vec.NM) || (v >= Vec.TS && v <= Vec.PF) || v === Vec.MF || v === Vec.AC || v === Vec.XM;

export interface CpuStats {
  insnsRetired: number;
  exceptions: number;
  interrupts: number;
  dispatches: number;
  /** Dispatcher returns of MISS (no block in the jump cache for RIP). */
  misses: number;
  /** Softmmu slow-path calls from generated code. */
  slowPath: number;
  /** Guest writes that invalidated translated code. */
  smcWrites: number;
}

export class Cpu extends Disposable implements CpuInterruptSink {
  readonly state: CpuState;
  readonly softmmu: SoftMmu;
  readonly tbs: TbCache;
  readonly backend: ExecBackend;
  readonly log: Logger;
  /** The CPUID model (src/cpu/cpuid.ts). */
  readonly model: CpuModel;
  /** MSRs outside the CPU-state layout (MTRRs etc.) and the RDRAND generator. */
  readonly msrs = new MsrFile();
  /** Debug registers, single-step and the host debugger's breakpoints (debug.ts). */
  readonly debug: CpuDebug = new CpuDebug(this);
  readonly stats: CpuStats = { insnsRetired: 0, exceptions: 0, interrupts: 0, dispatches: 0, misses: 0, slowPath: 0, smcWrites: 0 };
  private readonly _translator: X86Translator;
  private readonly _bus: CpuBus;
  private readonly _computeEflags: () => number;
  private _irqPending = false;
  private _resetRequested = false;
  /**
   * The RIP a pending exception is taken at when it is not the faulting instruction's: a fault
   * after a task switch's commit point belongs to the new task (task-switch.ts), but generated
   * code stores the instruction's own RIP when a helper faults. Consumed by the run loop.
   */
  faultRip: number | null = null;

  constructor(opts: CpuOptions) {
    super();
    const { memory } = opts;
    this.log = opts.log;
    this._bus = opts.bus;
    this.state = new CpuState(memory.buffer);
    this.softmmu = new SoftMmu(memory, this.state, opts.bus.mem);
    this.model = new CpuModel(opts.model);
    this.softmmu.mmu.physBits = this.model.physBits;
    const table = new WebAssembly.Table({ element: "anyfunc", initial: 1024 });
    this.backend = opts.backend({
      memory, table,
      ldSlow: (a, b, c) => { this.stats.slowPath++; return this.softmmu.ldSlow(a, b, c); },
      stSlow: (a, b, c, d, e) => { this.stats.slowPath++; return this.softmmu.stSlow(a, b, c, d, e); },
      resolveHelper: (name) => {
        const h = findCpuHelper(name);
        if (!h) throw new Error(`unknown helper ${name}`);
        const impl = h.impl;
        return (...args: number[]) => impl(this, ...args);
      },
    });
    this.backend.buildRuntime(runtimeFunctions());
    this._computeEflags = this.backend.runtimeFunction("compute_eflags") as () => number;
    this.tbs = new TbCache(memory.buffer, (slot) => { if (slot) this.backend.freeSlot(slot); });
    this.softmmu.onCodeWrite = (page, off, len) => this._codeWrite(page, off, len);
    this._translator = new X86Translator(this.softmmu, opts.decode, opts.semantics, opts.log);
    this._translator.isBreakpoint = (pc) => this.debug.isBreakpoint(pc);
    this.reset();
  }

  /**
   * A guest write hit a page with translated code: the blocks whose bytes it overlaps die
   * (Linux patches static keys and alternatives in place all through boot; killing the whole
   * page each time cost ~60k retranslations per boot). A page that keeps taking writes
   * next to its code, not into it, is data now: after SMC_DATA_WRITES such writes all its
   * blocks go, and with them the slow path its writes take while it holds code.
   */
  private _codeWrite(page: number, off: number, len: number): boolean {
    let n = this.tbs.invalidateRange(page, off, len);
    if (n === 0) {
      const w = (this._dataWrites.get(page) ?? 0) + 1;
      if (w >= SMC_DATA_WRITES) n = this.tbs.invalidatePage(page);
      else this._dataWrites.set(page, w);
    }
    if (!this.tbs.hasCode(page)) {
      this.softmmu.codePages.delete(page);
      this._dataWrites.delete(page);
    }
    if (n > 0) this.stats.smcWrites++;
    return n > 0;
  }
  private readonly _dataWrites = new Map<number, number>();

  /** The board side (TSC, APIC MSR hooks) for system-instruction helpers. */
  get bus(): CpuBus { return this._bus; }

  /** The I/O port space (for IN/OUT helpers). */
  get io(): CpuBus["io"] { return this._bus.io; }

  /** The JIT's statistics (`info jit`; src/jit/jit-info.ts formats them). */
  jitStats(): JitStats {
    const b = this.backend.stats, t = this.tbs.stats, tlb = this.softmmu.tlb.stats, c = this.backend.counters();
    return {
      insnsRetired: this.stats.insnsRetired,
      blocksTranslated: t.translated, blocksLive: this.tbs.size,
      modules: b.modules, wasmBytes: b.wasmBytes, compileMs: b.compileMs,
      linking: b.linking, linkedExits: b.linkedExits, chainedJumps: c ? c[JitCounter.CHAINED]! : null,
      dispatcherCalls: this.stats.dispatches, jumpCacheHits: c ? c[JitCounter.JC_HIT]! : null, jumpCacheMisses: this.stats.misses,
      tlbHits: c ? c[JitCounter.TLB_HIT]! : null, tlbSlowPath: this.stats.slowPath, tlbFills: tlb.fills,
      tlbFlushes: tlb.flushes, tlbNonGlobalFlushes: tlb.nonGlobalFlushes, tlbGlobalEntries: this.softmmu.tlb.globalEntries(), tlbPageFlushes: tlb.pageFlushes,
      smcBlocks: t.invalidated, smcWrites: this.stats.smcWrites,
    };
  }

  /** Full EFLAGS with the lazy arithmetic flags evaluated. */
  get eflags(): number {
    return (this.state.eflagsRest & ~Eflag.ARITH) | this._computeEflags() | Eflag.FIXED1;
  }

  /** Power-on state (SDM vol 3 table 9-1): real mode at F000:FFF0, CS base FFFF0000. */
  reset(): void {
    const s = this.state;
    s.i32.fill(0);
    const data = SegAttr.P | SegAttr.S | 2; // present, writable data, accessed later
    for (const seg of [SegIndex.ES, SegIndex.SS, SegIndex.DS, SegIndex.FS, SegIndex.GS])
      s.setSeg(seg, { selector: 0, base: 0, limit: 0xffff, attr: data });
    s.setSeg(SegIndex.CS, { selector: 0xf000, base: 0xffff0000, limit: 0xffff, attr: SegAttr.P | SegAttr.S | 0xb });
    s.setSeg(SegIndex.LDTR, { selector: 0, base: 0, limit: 0xffff, attr: SegAttr.P | 2 });
    s.setSeg(SegIndex.TR, { selector: 0, base: 0, limit: 0xffff, attr: SegAttr.P | 0xb });
    s.set32(StateOff.GDTR + 8, 0xffff);
    s.set32(StateOff.IDTR + 8, 0xffff);
    s.rip = 0xfff0;
    s.setEflags(Eflag.FIXED1);
    s.set64(StateOff.CR0, 0x60000010, 0);
    s.setReg(2, 0x600); // EDX: family/model/stepping at reset
    s.setRun(RunWord.EXC_VECTOR, -1);
    s.setRun(RunWord.NMI, 0);
    s.set64(StateOff.DR + 6 * 8, 0xffff0ff0 | 0, 0);
    s.set64(StateOff.DR + 7 * 8, 0x400, 0);
    this.msrs.reset(s);
    mcaReset(this);
    fpuPowerOn(s); // FCW 0x40, MXCSR 0x1F80, XCR0 = x87 (SDM vol 3 table 9-1)
    this._irqPending = false;
    this._resetRequested = false;
    this.faultRip = null;
    this.debug.configChanged();
    this.modeChanged();
    this.flushTlb();
  }

  /** After any change to mode bits, CPL, CS/SS or segment bases: recompute hflags. */
  modeChanged(): void {
    const old = this.state.hflags;
    this.state.updateHflags();
    // Linked blocks jump to each other without the jump cache: after a change of mode the next
    // block's prologue must see an exit request, so execution re-enters through the dispatcher.
    if (this.state.hflags !== old) this.requestExit();
    // The jump cache is keyed by RIP and hflags only: a new CS base or limit (legacy modes) must
    // not reach blocks translated under the old one.
    const csBase = this.state.seg(SegIndex.CS).base;
    const csLimit = this.state.hflags & HFlag.CS64 ? 0xffffffff : this.state.get32(segOff(SegIndex.CS, SegOff.LIMIT)) >>> 0;
    if (csBase !== this._lastCsBase || csLimit !== this._lastCsLimit) {
      this._lastCsBase = csBase;
      this._lastCsLimit = csLimit;
      this.tbs?.flushJumpCache();
      this.requestExit();
    }
  }
  private _lastCsBase = 0;
  private _lastCsLimit = 0;

  /**
   * Flush the TLB, and with it the jump cache: the jump cache is keyed by virtual RIP, so after
   * a CR3 switch an entry could still point at another address space's block at the same
   * address (QEMU clears tb_jmp_cache on tlb_flush for the same reason).
   */
  flushTlb(): void {
    this.softmmu.tlb.flushAll();
    this.tbs?.flushJumpCache();
    this.requestExit(); // linked blocks must not outlive the mappings they were made under
  }

  /**
   * A CR3 write without PCIDs (SDM vol 3 4.10.4.1): flush every TLB entry but the global ones
   * (G bit with CR4.PGE), and the jump-cache entries whose page is no longer in the TLB.
   */
  flushTlbNonGlobal(): void {
    const tlb = this.softmmu.tlb;
    tlb.flushNonGlobal();
    const csBase = this.state.seg(SegIndex.CS).base;
    this.tbs.flushRecentJumpCacheUnless((rip, hflags) => {
      const pc = hflags & HFlag.CS64 ? rip : (csBase + rip) % 4294967296;
      return tlb.holdsCode(hflags & HFlag.CPL3 ? 1 : 0, pc);
    });
    this.requestExit();
  }

  /** INVLPG: flush one page from the TLB and the jump-cache entries of blocks in it. */
  flushTlbPage(gva: number): void {
    this.softmmu.tlb.flushPage(gva);
    this.tbs.flushJumpCachePage(gva);
    this.requestExit();
  }

  setCr2FromPending(): void {
    const s = this.state;
    s.set64(StateOff.CR2, s.run(RunWord.EXC_ADDR_LO), s.run(RunWord.EXC_ADDR_HI));
  }

  tripleFault(): void {
    this.log.log("cpu", "triple fault: resetting");
    this._resetRequested = true;
    this._bus.requestReset("triple fault");
  }

  // ---- CpuInterruptSink (driven by the local APIC / PIC)
  setInterruptPending(pending: boolean): void {
    this._irqPending = pending;
    if (pending) this.state.setRun(RunWord.EXIT_REQUEST, 1);
  }
  /** An NMI from the local APIC (LINT1, an NMI IPI) or the monitor: latched until delivered. */
  nmi(): void {
    const s = this.state;
    s.setRun(RunWord.NMI, s.run(RunWord.NMI) | Nmi.PENDING);
    s.setRun(RunWord.EXIT_REQUEST, 1);
  }
  /** IRET ends NMI blocking (at its start: even an IRET that faults unblocks, SDM 6.7.1). */
  nmiUnblock(): void {
    const s = this.state;
    s.setRun(RunWord.NMI, s.run(RunWord.NMI) & ~Nmi.BLOCKED);
  }
  init(): void { this.reset(); }
  sipi(_vector: number): void { this.log.unimp("SIPI on the boot CPU"); }

  /** Ask the run loop to return to the caller at the next block boundary. */
  requestExit(): void {
    this.state.setRun(RunWord.EXIT_REQUEST, 1);
  }

  /** Make run() return "stopped" at the next block boundary (power-off, debugger, monitor). */
  requestStop(): void {
    this._stopRequested = true;
    this.requestExit();
  }
  private _stopRequested = false;

  /** Instructions retired so far in the run() under way (0 outside run()). */
  insnsInCurrentRun(): number {
    return this._running ? Math.max(0, this._runBudget - this.state.run(RunWord.BUDGET)) : 0;
  }
  private _running = false;
  private _runBudget = 0;

  /**
   * End the run() under way after at most `insns` more instructions (a timer was armed for
   * sooner than the slice would end). Time accounting stays continuous.
   */
  shortenRun(insns: number): void {
    if (!this._running) return;
    const left = this.state.run(RunWord.BUDGET);
    const want = Math.max(0, Math.floor(insns));
    if (want >= left) return;
    this.state.setRun(RunWord.BUDGET, want);
    this._runBudget -= left - want;
  }

  /** Run up to about `budget` guest instructions. */
  run(budgetWanted: number): StopReason {
    // The budget is an i32 in CPU state that blocks count down.
    const budget = Math.max(1, Math.min(Math.floor(budgetWanted), 0x3fffffff));
    this._runBudget = budget;
    this._running = true;
    try {
      return this._run(budget);
    } finally {
      this._running = false;
    }
  }

  private _run(budget: number): StopReason {
    const s = this.state;
    s.setRun(RunWord.BUDGET, budget);
    for (;;) {
      if (this._resetRequested) return "reset";
      if (this._stopRequested) {
        this._stopRequested = false;
        return this._finish(budget, "stopped");
      }
      const exc = s.run(RunWord.EXC_VECTOR);
      // Debug traps wait while a MOV SS / POP SS shadow covers the next instruction.
      if (s.run(RunWord.DEBUG_TRAP) !== 0 && exc < 0 && !(s.run(RunWord.INHIBIT_IRQ) & Inhibit.DEBUG)) {
        if (this.debug.afterInstruction(() => this._deliver(Vec.DB, IntKind.EXCEPTION, -1))) return this._finish(budget, "debug");
        continue;
      }
      if (exc >= 0) {
        if (exc === HOST_BREAK_VECTOR) {
          s.setRun(RunWord.EXC_VECTOR, -1);
          this.debug.hostBreakHit();
          return this._finish(budget, "debug");
        }
        this.debug.discardTraps();
        this._deliverPending(exc);
        continue;
      }
      // An NMI ignores IF; it waits out an interrupt shadow and the blocking of an earlier NMI.
      if (s.run(RunWord.NMI) === Nmi.PENDING && s.run(RunWord.INHIBIT_IRQ) === 0) {
        s.setRun(RunWord.HALTED, 0);
        s.setRun(RunWord.NMI, Nmi.BLOCKED);
        this.stats.interrupts++;
        this._deliver(Vec.NMI, IntKind.HARDWARE, -1);
        continue;
      }
      if (this._irqPending && this._interruptsEnabled()) {
        s.setRun(RunWord.HALTED, 0);
        const vector = this._bus.irq?.ackInterrupt() ?? -1;
        this._irqPending = this._bus.irq?.hasInterrupt() ?? false;
        if (vector >= 0) {
          this.stats.interrupts++;
          this._deliver(vector, IntKind.HARDWARE, -1);
        }
        continue;
      }
      if (s.run(RunWord.HALTED)) return this._finish(budget, "halt");
      s.setRun(RunWord.EXIT_REQUEST, 0);
      if (s.run(RunWord.BUDGET) <= 0) return this._finish(budget, "budget");
      let inhibitSaved = -1;
      const inhibit = s.run(RunWord.INHIBIT_IRQ);
      if (inhibit) {
        // One block runs before interrupts are looked at again (STI / MOV SS shadow).
        s.setRun(RunWord.INHIBIT_IRQ, 0);
        inhibitSaved = s.run(RunWord.BUDGET);
        s.setRun(RunWord.BUDGET, 1);
        this._runBudget -= inhibitSaved - 1; // keep insnsInCurrentRun() continuous
      }
      // RF is cleared at the start of every instruction; blocks do it only while armed (debug.ts).
      if (s.eflagsRest & Eflag.RF && !(s.hflags & HFlag.DEBUG)) s.set32(StateOff.EFLAGS, s.eflagsRest & ~Eflag.RF);
      this.stats.dispatches++;
      const r = this.backend.dispatch();
      if (inhibitSaved >= 0) {
        const ran = s.run(RunWord.BUDGET) < 1;
        s.setRun(RunWord.BUDGET, inhibitSaved - (1 - s.run(RunWord.BUDGET)));
        this._runBudget += inhibitSaved - 1;
        // No block ran (it must be translated first): the shadow still covers the next instruction.
        if (!ran) s.setRun(RunWord.INHIBIT_IRQ, inhibit);
      }
      // POPF may have changed TF without a mode change: single-step blocks are keyed on it.
      if (((s.eflagsRest & Eflag.TF) !== 0) !== ((s.hflags & HFlag.TF) !== 0)) this.modeChanged();
      switch (r) {
        // A debug trap of the instruction just run comes before a fetch fault of the next one.
        case TbExit.MISS:
          this.stats.misses++;
          if (s.run(RunWord.DEBUG_TRAP) === 0 || s.run(RunWord.INHIBIT_IRQ) & Inhibit.DEBUG) this._translateAtRip();
          break;
        case TbExit.HALT: s.setRun(RunWord.HALTED, 1); break;
        default: break; // FAULT (pending exception) and REQUEST are handled at the loop top
      }
    }
  }

  private _finish(budget: number, why: StopReason): StopReason {
    this.stats.insnsRetired += budget - Math.max(this.state.run(RunWord.BUDGET), 0);
    return why;
  }

  private _interruptsEnabled(): boolean {
    return (this.state.eflagsRest & Eflag.IF) !== 0 && this.state.run(RunWord.INHIBIT_IRQ) === 0;
  }

  private _deliverPending(vector: number): void {
    const s = this.state;
    s.setRun(RunWord.EXC_VECTOR, -1);
    if (this.faultRip !== null) {
      s.rip = this.faultRip;
      this.faultRip = null;
    }
    this.stats.exceptions++;
    const soft = (vector & 0x100) !== 0;
    const v = vector & 0xff;
    if (v === 14 && !soft) this.setCr2FromPending();
    if (this.log.isEnabled("int")) this.log.log("int", `exception ${v} err=${s.run(RunWord.EXC_ERROR)} rip=${s.rip.toString(16)}`);
    // Faults push RF = 1 so the restarted instruction skips its code breakpoint (SDM 17.3.1.1);
    // #DB is left alone (an instruction breakpoint pushes RF as it is; general detect sets it).
    // INT n pushes RF = 0: RF is cleared at the start of every instruction.
    if (!soft && isFault(v)) s.set32(StateOff.EFLAGS, s.eflagsRest | Eflag.RF);
    else if (soft) s.set32(StateOff.EFLAGS, s.eflagsRest & ~Eflag.RF);
    this._deliver(v, soft ? IntKind.SOFTWARE : IntKind.EXCEPTION, s.run(RunWord.EXC_ERROR), (vector >>> 12) & 0xf);
  }

  private _deliver(vector: number, kind: IntKind, error: number, insnLen = 0): void {
    this.debug.eventDelivered();
    deliver(this, vector, kind, error, insnLen);
  }

  /**
   * Find or translate the block at RIP and enter it in the jump cache. A miss also translates
   * the block's static successors on the same pages (up to MAX_BATCH blocks) and compiles
   * them all into one Wasm module: V8's fixed cost per module (about 0.8 ms measured here)
   * dwarfs the cost per function.
   */
  private _translateAtRip(): void {
    const s = this.state;
    const hflags = s.hflags;
    const csBase = hflags & HFlag.CS64 ? 0 : s.seg(SegIndex.CS).base;
    const csLimit = hflags & HFlag.CS64 ? 0xffffffff : s.seg(SegIndex.CS).limit;
    const rip = s.rip;
    if (!(hflags & HFlag.CS64) && rip > csLimit) {
      this.softmmu.raise(Vec.GP, 0); // fetch beyond the CS limit (SDM vol 3 5.3)
      return;
    }
    const pc = hflags & HFlag.CS64 ? rip : (csBase + rip) % 4294967296;
    const mmuIdx = hflags & HFlag.CPL3 ? 1 : 0;
    const physPc = this.softmmu.translate(pc, 2, mmuIdx);
    if (physPc < 0) return; // #PF/#GP pending
    let tb = this.tbs.find(pc, physPc, hflags, csBase, csLimit);
    if (!tb) {
      const root = this._translator.translate(pc, hflags, false, csBase, csLimit);
      if (!root) return; // the first instruction faulted: exception pending
      const batch = [{ pc, rip, t: root }];
      const seen = new Set<number>([pc]);
      const pages = new Set(root.physPages.map((p) => Math.floor(p)));
      for (let i = 0; i < batch.length && batch.length < MAX_BATCH; i++) {
        for (const next of batch[i]!.t.successors) {
          if (seen.has(next) || batch.length >= MAX_BATCH) continue;
          seen.add(next);
          const nextPc = hflags & HFlag.CS64 ? next : (csBase + next) % 4294967296;
          const phys = this.softmmu.probe(nextPc, mmuIdx);
          if (phys < 0 || !pages.has(Math.floor(phys / 4096)) || this.tbs.find(nextPc, phys, hflags, csBase, csLimit)) continue;
          const t = this._translator.translate(nextPc, hflags, true, csBase, csLimit);
          if (t) batch.push({ pc: nextPc, rip: next, t });
        }
      }
      // Successors translated earlier, on the same linear page as the block that jumps there.
      const externs: { rip: number; slot: number }[] = [];
      const inBatch = new Set(batch.map((x) => x.rip));
      for (const x of batch) {
        for (const next of x.t.successors) {
          const nextPc = hflags & HFlag.CS64 ? next : (csBase + next) % 4294967296;
          if (inBatch.has(next) || Math.floor(nextPc / 4096) !== Math.floor(x.pc / 4096)) continue;
          const phys = this.softmmu.probe(nextPc, mmuIdx);
          const old = phys < 0 ? undefined : this.tbs.find(nextPc, phys, hflags, csBase, csLimit);
          if (old && old.slot) externs.push({ rip: next, slot: old.slot });
        }
      }
      const slots = this.backend.compileBatch({ csBase, blocks: batch.map((x) => ({ unit: x.t.unit, rip: x.rip })), externs });
      batch.forEach((x, i) => {
        const t = x.t;
        const made: Tb = { pc: x.pc, rip: x.rip, hflags, csBase, csLimit, physPages: t.physPages, physPc: t.physPc, guestBytes: t.guestBytes, insns: t.insns, slot: slots[i]!, lookups: 0 };
        this.tbs.insert(made);
        if (i === 0) tb = made;
        for (const p of t.physPages) {
          if (!this.softmmu.codePages.has(p)) {
            this.softmmu.codePages.add(p);
            this.softmmu.tlb.protectCodePage(p);
          }
        }
      });
    }
    tb!.lookups++;
    this.tbs.fillJumpCache(tb!);
  }
}
