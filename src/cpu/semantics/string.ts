/**
 * String instructions (SDM vol 2 MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS, vol 1 7.3.9): the source
 * is seg:rSI (DS or the override), the destination ES:rDI (never overridden); rSI/rDI step by
 * the operand size, down when EFLAGS.DF is set; rSI, rDI and rCX are address-size registers.
 *
 * REP/REPE/REPNE (SDM "REP/REPE/REPZ/REPNE/REPNZ") are restartable and precise, as in QEMU:
 * one block execution runs at most REP_UNROLL iterations, each doing its loads and faulting
 * stores before it updates rCX/rSI/rDI. While iterations remain the block exits with RIP still
 * at the instruction, so the dispatcher re-enters it (IR labels are forward-only) and pending
 * interrupts are taken between chunks; a fault leaves the registers of the completed
 * iterations. F2 on MOVS/STOS/LODS/INS/OUTS repeats like F3 (only CMPS/SCAS test ZF).
 */

import { IrType, TbExit, type Temp } from "../../jit/ir/types.js";
import { CcKind, ccOp, Eflag, zext } from "../flags.js";
import { Prefix, Seg } from "../decode/insn.js";
import { StateOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { ioIn, ioOut } from "./misc.js";
import {
  endBlock, loadMem, nextPc, readGpr, segAddress, setCc, storeMem, writeGpr, type OpSize, type X86Ctx,
} from "./context.js";

/** Iterations one block execution performs before re-entering itself. */
export const REP_UNROLL = 8;

const RCX = 1, RSI = 6, RDI = 7, RAX = 0, RDX = 2;

type StrOp = "MOVS" | "STOS" | "LODS" | "CMPS" | "SCAS" | "INS" | "OUTS";

interface StrCtx {
  ctx: X86Ctx;
  op: StrOp;
  size: OpSize;
  as: 2 | 4 | 8;
  /** +size or -size by EFLAGS.DF (i64), computed once per instruction. */
  delta: Temp;
}

/** Step rSI or rDI by delta at the address size. */
function step(s: StrCtx, reg: number): void {
  const b = s.ctx.b;
  writeGpr(s.ctx, reg, s.as, zext(b, b.add(readGpr(s.ctx, reg, s.as), s.delta), s.as));
}

const srcAddr = (s: StrCtx): Temp => segAddress(s.ctx, s.ctx.insn.seg, readGpr(s.ctx, RSI, s.as));
const dstAddr = (s: StrCtx): Temp => segAddress(s.ctx, Seg.ES, readGpr(s.ctx, RDI, s.as));

/**
 * One iteration. Returns, for CMPS/SCAS, the i64 difference (for the REPE/REPNE test);
 * every load and faulting store comes before the first register update.
 */
function iteration(s: StrCtx): Temp | null {
  const { ctx, size } = s;
  const b = ctx.b;
  switch (s.op) {
    case "MOVS": {
      const v = loadMem(ctx, srcAddr(s), size);
      storeMem(ctx, dstAddr(s), size, v);
      step(s, RSI); step(s, RDI);
      return null;
    }
    case "STOS":
      storeMem(ctx, dstAddr(s), size, readGpr(ctx, RAX, size));
      step(s, RDI);
      return null;
    case "LODS":
      writeGpr(ctx, RAX, size, loadMem(ctx, srcAddr(s), size));
      step(s, RSI);
      return null;
    case "CMPS": case "SCAS": {
      const a = s.op === "CMPS" ? loadMem(ctx, srcAddr(s), size) : readGpr(ctx, RAX, size);
      const c = loadMem(ctx, dstAddr(s), size);
      const r = b.sub(a, c);
      if (s.op === "CMPS") step(s, RSI);
      step(s, RDI);
      setCc(ctx, ccOp(CcKind.SUB, size), r, c);
      return r;
    }
    case "INS": {
      // Probe the destination for writability first (an idempotent rewrite), so a page
      // fault cannot happen after the port read's side effects.
      const dst = dstAddr(s);
      storeMem(ctx, dst, size, loadMem(ctx, dst, size));
      const port = b.trunc(readGpr(ctx, RDX, 2));
      const v = b.extu(b.callValue(ioIn, [port, b.i32(size)]));
      storeMem(ctx, dst, size, v);
      step(s, RDI);
      return null;
    }
    case "OUTS": {
      const v = loadMem(ctx, srcAddr(s), size);
      b.call(ioOut, [b.trunc(readGpr(ctx, RDX, 2)), b.i32(size), b.trunc(v)]);
      step(s, RSI);
      return null;
    }
  }
}

function stringOp(op: StrOp) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const insn = ctx.insn;
    const size = (op === "INS" || op === "OUTS" ? (insn.opSize === 8 ? 4 : insn.opSize) : insn.opSize) as OpSize;
    const df = b.and(b.ldEnv(IrType.I32, StateOff.EFLAGS), b.i32(Eflag.DF));
    const delta = b.select(df, b.i64(-size), b.i64(size));
    const s: StrCtx = { ctx, op, size, as: insn.addrSize, delta };
    const io = op === "INS" || op === "OUTS";
    const rep = (insn.prefixes & (Prefix.REP | Prefix.REPNE)) !== 0;
    if (!rep) {
      iteration(s);
      // A port access may raise an interrupt or ask the run loop to stop.
      if (io) endBlock(ctx, nextPc(ctx), TbExit.REQUEST);
      return;
    }
    const cond = op === "CMPS" || op === "SCAS" ? (insn.prefixes & Prefix.REPNE ? "REPNE" : "REPE") : null;
    if (s.as === 4) {
      // 32-bit addresses in 64-bit code with ECX = 0 (no iteration): Intel still zero-extends
      // RCX, and for MOVS/STOS (the fast-string microcode) the index registers too.
      const regs = op === "MOVS" ? [RCX, RSI, RDI] : op === "STOS" ? [RCX, RDI] : [RCX];
      for (const r of regs) writeGpr(ctx, r, 4, readGpr(ctx, r, 4));
    }
    const done = b.label();
    b.brcond("eq", readGpr(ctx, RCX, s.as), b.i64(0), done);
    const n = io ? 1 : REP_UNROLL;
    for (let i = 0; i < n; i++) {
      const r = iteration(s);
      const cx = zext(b, b.addi(readGpr(ctx, RCX, s.as), -1), s.as);
      writeGpr(ctx, RCX, s.as, cx);
      b.brcond("eq", cx, b.i64(0), done);
      if (cond && r) b.brcond(cond === "REPE" ? "ne" : "eq", zext(b, r, size), b.i64(0), done);
    }
    // Iterations remain: run this instruction again (interrupts may be taken in between).
    endBlock(ctx, insn.pc - ctx.csBase, io ? TbExit.REQUEST : TbExit.NEXT);
    b.setLabel(done);
    ctx.ended = false;
    // With rCX = 0 on entry no flags were set: the CcOp is only known at run time.
    ctx.ccOp = -1;
    if (io) endBlock(ctx, nextPc(ctx), TbExit.REQUEST);
  };
}

export const stringSemantics: SemanticsTable = {
  MOVS: stringOp("MOVS"), STOS: stringOp("STOS"), LODS: stringOp("LODS"),
  CMPS: stringOp("CMPS"), SCAS: stringOp("SCAS"), INS: stringOp("INS"), OUTS: stringOp("OUTS"),
};
