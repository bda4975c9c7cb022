/**
 * The x86 translator loop (QEMU translator_loop with the x86 hooks folded in): decode
 * instructions from a virtual PC and let their semantics emit IR, until an instruction ends
 * the block, the next instruction would start on another page, or the size cap is reached.
 * Code bytes are read through the softmmu with execute permission; the physical pages read
 * are recorded for self-modifying-code invalidation.
 */

import type { Logger } from "../common/log.js";
import { IrBuilder } from "../jit/ir/builder.js";
import { IrType, TbExit, type IrUnit } from "../jit/ir/types.js";
import type { CodeMode, DecodedInsn, DecodeResult, CodeReader } from "./decode/insn.js";
import type { Mnemonic } from "./decode/mnemonics.js";
import { Access } from "./mmu.js";
import { debugInsnBp, DebugTrap } from "./debug.js";
import { Eflag } from "./flags.js";
import { HFlag, RunWord, StateOff, runOff } from "./state-layout.js";
import type { SoftMmu } from "./softmmu.js";
import { Vec } from "./softmmu.js";
import { endBlock, segmentAccess, type X86Ctx } from "./semantics/context.js";

export type SemanticsFn = (ctx: X86Ctx) => void;
export type SemanticsTable = Partial<Record<Mnemonic, SemanticsFn>>;
export type DecodeFn = (reader: CodeReader, pc: number, mode: CodeMode, csBase?: number) => DecodeResult;

/** The most instructions in one block. */
export const MAX_TB_INSNS = 128;

export interface TranslatedBlock {
  unit: IrUnit;
  /** Static successor PCs (see X86Ctx.successors). */
  successors: number[];
  physPc: number;
  physPages: number[];
  guestBytes: number;
  insns: number;
}

export const codeMode = (hflags: number): CodeMode => (hflags & HFlag.CS64 ? 64 : hflags & HFlag.CS32 ? 32 : 16);

/**
 * Reads code bytes page by page through the softmmu, remembering the physical pages. Outside
 * 64-bit code a byte beyond the CS limit (offset = gva - csBase) is not fetchable (-2: #GP).
 */
class PageCodeReader implements CodeReader {
  pages: number[] = [];
  faultAddr = 0;
  private _pageVa = NaN;
  private _pageGpa = 0;
  constructor(private readonly _mmu: SoftMmu, private readonly _mmuIdx: number, private readonly _csBase = 0, private readonly _csLimit = Infinity) {}

  readByte(gva: number): number {
    if (((gva - this._csBase) >>> 0) > this._csLimit) return -2;
    const pageVa = gva - (((gva % 4096) + 4096) % 4096);
    if (pageVa !== this._pageVa) {
      const gpa = this._mmu.translate(pageVa, Access.EXEC, this._mmuIdx);
      if (gpa < 0) {
        this.faultAddr = gva;
        return -1;
      }
      this._pageVa = pageVa;
      this._pageGpa = gpa;
      const page = Math.floor(gpa / 4096);
      if (!this.pages.includes(page)) this.pages.push(page);
    }
    return this._mmu.readPhysByte(this._pageGpa + (gva - pageVa));
  }
}

/** hflags that make one-instruction blocks with debug checks (debug.ts). */
const DEBUG_HFLAGS = HFlag.TF | HFlag.DEBUG | HFlag.HSTEP;

export class X86Translator {
  private _seq = 0;
  /** Is there an execute breakpoint (guest DR7 or host) at this linear address? (Cpu sets it.) */
  isBreakpoint: (pc: number) => boolean = () => false;
  constructor(
    private readonly _mmu: SoftMmu,
    private readonly _decode: DecodeFn,
    private readonly _semantics: SemanticsTable,
    private readonly _log: Logger,
  ) {}

  /**
   * Translate the block at `pc`. Returns undefined when the FIRST instruction cannot be fetched
   * or decoded: the exception is then pending in CPU state and no block exists.
   */
  translate(pc: number, hflags: number, speculative = false, csBase = 0, csLimit = 0xffffffff): TranslatedBlock | undefined {
    const mmuIdx = hflags & HFlag.CPL3 ? 1 : 0;
    const mode = codeMode(hflags);
    const reader = new PageCodeReader(this._mmu, mmuIdx, csBase, mode === 64 || csLimit >= 0xffffffff ? Infinity : csLimit);
    const b = new IrBuilder(`tb${this._seq++}`);
    const ctx: X86Ctx = {
      b, insn: undefined as unknown as DecodedInsn, hflags, mmuIdx, ccOp: -1, ended: false, successors: [], csBase,
      csLimit: mode === 64 ? 0xffffffff : csLimit, segRefs: new Map(),
    };
    b.onGuestAccess = (addr, size, write) => segmentAccess(ctx, addr, size, write);
    const startPage = Math.floor(pc / 4096);
    let cur = pc, insns = 0, physPc = -1;
    while (!ctx.ended) {
      const r = this._decode(reader, cur, mode, csBase);
      if ("fault" in r) {
        // A fetch fault after the first instruction, or in a look-ahead translation, must not
        // raise now: the block ends before it and the fault happens if and when it executes.
        if (r.fault === "PF") this._mmu.raise(-1);
        if (insns > 0) break;
        if (speculative) return undefined;
        if (r.fault === "PF") this._mmu.translate(reader.faultAddr, Access.EXEC, mmuIdx); // re-raise with the walk's error code
        else if (r.fault === "GP") this._mmu.raise(Vec.GP, 0);
        else this._unimplemented(ctx, r.pc - csBase, r.reason, true);
        if (r.fault !== "UD") return undefined;
        break;
      }
      if (insns > 0 && Math.floor((cur + r.len - 1) / 4096) !== startPage) break; // would straddle: next block
      if (insns === 0) physPc = reader.pages[0]! * 4096 + (((pc % 4096) + 4096) % 4096);
      ctx.insn = r;
      b.insnStart(r.pc - csBase, r.len);
      if (hflags & DEBUG_HFLAGS) this._debugPrologue(b, r.pc, hflags);
      const fn = this._semantics[r.mnemonic];
      if (fn) fn(ctx);
      else this._unimplemented(ctx, r.pc, `${r.mnemonic} not implemented`, false);
      insns++;
      cur = r.pc + r.len;
      if (insns >= MAX_TB_INSNS || hflags & DEBUG_HFLAGS || Math.floor(cur / 4096) !== startPage) break;
    }
    if (!ctx.ended) endBlock(ctx, cur - csBase, TbExit.NEXT);
    if (physPc < 0) physPc = (reader.pages[0] ?? 0) * 4096;
    return { unit: b.finish(), successors: ctx.successors, physPc, physPages: reader.pages, guestBytes: cur - pc, insns: Math.max(insns, 1) };
  }

  /**
   * Under single-step or armed breakpoints (blocks of one instruction): the code-breakpoint
   * check, then RF cleared (SDM 17.3.1.1: at the start of every instruction, after that check),
   * then for single-step a DEBUG_TRAP mark with TF as it was before the instruction, and an exit
   * request so the run loop sees the instruction boundary.
   */
  private _debugPrologue(b: IrBuilder, pc: number, hflags: number): void {
    if (this.isBreakpoint(pc)) {
      const hi = Math.floor(pc / 4294967296);
      b.call(debugInsnBp, [b.i32((pc - hi * 4294967296) | 0), b.i32(hi)]);
    }
    const flags = b.ldEnv(IrType.I32, StateOff.EFLAGS);
    b.stEnv(b.and(flags, b.i32(~Eflag.RF)), StateOff.EFLAGS);
    if (!(hflags & (HFlag.TF | HFlag.HSTEP))) return;
    const tf = b.shli(b.and(flags, b.i32(Eflag.TF)), 6); // TF (bit 8) -> DR6.BS (bit 14)
    const mark = b.or(tf, b.i32(hflags & HFlag.HSTEP ? DebugTrap.HOST_STEP : 0));
    b.stEnv(b.or(b.ldEnv(IrType.I32, runOff(RunWord.DEBUG_TRAP)), mark), runOff(RunWord.DEBUG_TRAP));
    b.stEnv(b.i32(1), runOff(RunWord.EXIT_REQUEST));
  }

  /** An undefined or unimplemented encoding: #UD in the guest, logged once per reason. */
  private _unimplemented(ctx: X86Ctx, pc: number, reason: string, atStart: boolean): void {
    this._log.unimp(`#UD: ${reason}`, reason);
    if (atStart) ctx.b.insnStart(pc, 1);
    ctx.b.raise(Vec.UD);
    ctx.ended = true;
  }
}
