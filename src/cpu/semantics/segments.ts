/**
 * Segment register loads (SDM vol 2 MOV, POP, LDS/LES/LFS/LGS/LSS; vol 3 3.4.3, 5.5-5.7):
 * real-mode and virtual-8086 loads (base = selector << 4), protected-mode loads with the
 * descriptor checks (null selector rules, 64-bit mode's null SS at CPL < 3, DPL/RPL/CPL,
 * type, present → #GP/#SS/#NP with the selector as error code), and the accessed bit.
 *
 * A segment load outside 64-bit code may change hflags (SS32, ADDSEG, SEGCHK), so the block
 * ends after it; MOV SS / POP SS also open the one-instruction interrupt shadow (SDM 6.8.3).
 */

import { HelperFlag, IrType, TbExit, type Temp } from "../../jit/ir/types.js";
import type { Cpu } from "../cpu.js";
import { SegAttr } from "../cpu-state.js";
import { descriptorToCache, dplOf, fault, fetchDescriptor, guarded, markAccessed, vm86Segment } from "../descriptors.js";
import { Eflag } from "../flags.js";
import { cpuHelper } from "../helper.js";
import { HFlag, Inhibit, RunWord, SegIndex, SegOff, runOff, segOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import type { SemanticsFn, SemanticsTable } from "../translate.js";
import { moveSemantics } from "./move.js";
import {
  addrPlus, code64, endBlock, loadMem, nextPc, operand, popCommit, popPeek, read, write, writeGpr, type X86Ctx,
} from "./context.js";

const TYPE_CODE = 8, TYPE_CONFORMING = 4, TYPE_RW = 2;

/**
 * Load segment register `seg` (ES..GS) with `selector` under the current mode's rules.
 * Unwinds (GuestFault) with #GP/#SS/#NP pending on a check failure. The caller calls
 * cpu.modeChanged() afterwards.
 */
export function loadSegment(cpu: Cpu, seg: SegIndex, selector: number): void {
  const s = cpu.state;
  const sel = selector & 0xffff;
  if (!(s.cr0 & 1)) {
    // Real mode: only selector and base change (limit and attributes stay: "unreal mode").
    const old = s.seg(seg);
    s.setSeg(seg, { ...old, selector: sel, base: sel * 16 });
    return;
  }
  if (s.eflagsRest & Eflag.VM) {
    s.setSeg(seg, vm86Segment(sel));
    return;
  }
  const cpl = s.cpl, rpl = sel & 3;
  if ((sel & 0xfffc) === 0) {
    if (seg === SegIndex.SS) {
      // A null SS is legal only in 64-bit mode at CPL < 3 with RPL = CPL (SDM MOV, 64-bit mode exceptions).
      if (!(s.hflags & HFlag.CS64) || cpl === 3 || rpl !== cpl) fault(cpu, Vec.GP, 0);
      s.setSeg(seg, { selector: sel, base: 0, limit: 0xffffffff, attr: SegAttr.P | SegAttr.S | 3 | SegAttr.DB | SegAttr.G | (cpl << SegAttr.DPL_SHIFT) });
      return;
    }
    // Intel clears the base of a null-loaded data segment register (Linux: X86_BUG_NULL_SEG is AMD's).
    s.setSeg(seg, { selector: sel, base: 0, limit: 0, attr: 0 });
    return;
  }
  const d = fetchDescriptor(cpu, sel);
  const c = descriptorToCache(sel, d);
  const type = c.attr & SegAttr.TYPE_MASK, dpl = dplOf(c.attr), err = sel & 0xfffc;
  if (seg === SegIndex.SS) {
    if (rpl !== cpl || !(c.attr & SegAttr.S) || type & TYPE_CODE || !(type & TYPE_RW) || dpl !== cpl) fault(cpu, Vec.GP, err);
    if (!(c.attr & SegAttr.P)) fault(cpu, Vec.SS, err);
  } else {
    if (!(c.attr & SegAttr.S) || (type & TYPE_CODE && !(type & TYPE_RW))) fault(cpu, Vec.GP, err);
    const conformingCode = (type & (TYPE_CODE | TYPE_CONFORMING)) === (TYPE_CODE | TYPE_CONFORMING);
    if (!conformingCode && (rpl > dpl || cpl > dpl)) fault(cpu, Vec.GP, err);
    if (!(c.attr & SegAttr.P)) fault(cpu, Vec.NP, err);
  }
  markAccessed(s, cpu.softmmu, sel, d);
  s.setSeg(seg, { ...c, attr: c.attr | 1 });
}

/** load_seg(seg, selector): the instruction-level segment load. */
const loadSegHelper = cpuHelper("load_seg", [IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, seg, sel) => {
    loadSegment(cpu, seg as SegIndex, sel);
    cpu.modeChanged();
  }));

/** Emit the load and the block end the mode needs (see the header). */
function emitLoad(ctx: X86Ctx, seg: number, sel: Temp, afterLoad?: () => void): void {
  const b = ctx.b;
  b.call(loadSegHelper, [b.i32(seg), b.andi(b.toType(sel, IrType.I32), 0xffff)]);
  afterLoad?.();
  if (seg === SegIndex.SS) {
    // Interrupts and debug traps wait until after the next instruction (SDM MOV: "MOV SS").
    b.stEnv(b.i32(Inhibit.IRQ | Inhibit.DEBUG), runOff(RunWord.INHIBIT_IRQ));
    endBlock(ctx, nextPc(ctx), TbExit.REQUEST);
  } else if (!code64(ctx)) {
    endBlock(ctx, nextPc(ctx));
  }
}

/** MOV Sreg, r/m16 (8E) and MOV r/m, Sreg (8C). */
function MOV_SREG(ctx: X86Ctx): void {
  const dst = ctx.insn.operands[0];
  if (dst?.kind === "sreg") {
    emitLoad(ctx, dst.reg, read(ctx, operand(ctx, 1)));
    return;
  }
  const src = ctx.insn.operands[1];
  if (src?.kind !== "sreg") throw new Error("MOV_SREG without a segment operand");
  // A register destination gets the selector zero-extended (SDM MOV: "the upper bits are cleared").
  const sel = ctx.b.ldEnv(IrType.I64, segOff(src.reg as number as SegIndex, SegOff.SELECTOR), 2);
  write(ctx, operand(ctx, 0), sel);
}

/** POP Sreg: the value is read, the segment loaded (may fault), then RSP moves. */
function popSreg(ctx: X86Ctx, seg: number): void {
  const size = ctx.insn.opSize === 1 ? 2 : ctx.insn.opSize;
  const v = popPeek(ctx, size);
  emitLoad(ctx, seg, v, () => popCommit(ctx, size));
}

/** POP: segment-register forms here, everything else in move.ts. */
const movePop: SemanticsFn | undefined = moveSemantics.POP;
function POP(ctx: X86Ctx): void {
  const op = ctx.insn.operands[0];
  if (op?.kind === "sreg") return popSreg(ctx, op.reg);
  if (!movePop) throw new Error("POP semantics missing");
  movePop(ctx);
}

/** LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset then selector; the register is written after the load. */
function loadFar(seg: SegIndex): SemanticsFn {
  return (ctx) => {
    const d = operand(ctx, 0), m = operand(ctx, 1);
    const offSize = d.size === 8 ? 8 : d.size === 2 ? 2 : 4;
    const off = loadMem(ctx, m.addr!, offSize);
    const sel = loadMem(ctx, addrPlus(ctx, m.addr!, offSize), 2);
    emitLoad(ctx, seg, sel, () => {
      if (d.op.kind !== "reg") throw new Error("LxS needs a register destination");
      writeGpr(ctx, d.op.reg, d.size, off);
    });
  };
}

export const segmentSemantics: SemanticsTable = {
  MOV_SREG, POP,
  LDS: loadFar(SegIndex.DS), LES: loadFar(SegIndex.ES), LFS: loadFar(SegIndex.FS), LGS: loadFar(SegIndex.GS), LSS: loadFar(SegIndex.SS),
};
