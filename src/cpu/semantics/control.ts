/**
 * Control transfer semantics (SDM vol 2): JMP, Jcc, JCXZ/JECXZ/JRCXZ, LOOP/LOOPE/LOOPNE, near
 * CALL and RET, SETcc, CMOVcc. Near transfers end the block with RIP = target. Conditional
 * branches emit both exits; the labels stay forward-only. A target beyond the CS limit
 * (legacy modes) is #GP(0) at the branch, before any state changes (checkBranchTarget).
 */

import type { Temp } from "../../jit/ir/types.js";
import { zext } from "../flags.js";
import type { SemanticsTable } from "../translate.js";
import { getCond } from "./cc.js";
import { checkBranchTarget, endBlock, nextPc, operand, popCommit, popPeek, push, read, readGpr, write, writeGpr, type X86Ctx } from "./context.js";

/** Truncate a branch target to the operand size outside 64-bit code (SDM JMP: EIP/IP wrap). */
function target(ctx: X86Ctx, t: Temp): Temp {
  const size = ctx.insn.opSize;
  return size === 8 ? t : zext(ctx.b, t, size === 4 ? 4 : 2);
}

/** Branch on an i32 condition to `taken`, else fall through to the next instruction. */
function branch(ctx: X86Ctx, cond: Temp, taken: number): void {
  const b = ctx.b;
  const notTaken = b.label();
  b.brcond("eq", cond, b.i32(0), notTaken);
  checkBranchTarget(ctx, taken);
  endBlock(ctx, taken);
  b.setLabel(notTaken);
  endBlock(ctx, nextPc(ctx));
}

function relTarget(ctx: X86Ctx): number {
  const op = ctx.insn.operands[0];
  if (!op || op.kind !== "rel") throw new Error(`${ctx.insn.mnemonic}: expected a relative target`);
  return op.target;
}

function JMP(ctx: X86Ctx): void {
  const op = ctx.insn.operands[0];
  const t = op?.kind === "rel" ? op.target : target(ctx, read(ctx, operand(ctx, 0)));
  checkBranchTarget(ctx, t);
  endBlock(ctx, t);
}

function JCC(ctx: X86Ctx): void {
  branch(ctx, getCond(ctx, ctx.insn.opcode & 0xf), relTarget(ctx));
}

function JCXZ(ctx: X86Ctx): void {
  const b = ctx.b;
  branch(ctx, b.setcond("eq", readGpr(ctx, 1, ctx.insn.addrSize), b.i64(0)), relTarget(ctx));
}

/** LOOP/LOOPE/LOOPNE: decrement rCX (address size) without touching flags, then branch. */
function loop(kind: "LOOP" | "LOOPE" | "LOOPNE") {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const as = ctx.insn.addrSize;
    const cx = zext(b, b.addi(readGpr(ctx, 1, as), -1), as);
    writeGpr(ctx, 1, as, cx);
    let cond = b.setcond("ne", cx, b.i64(0));
    if (kind === "LOOPE") cond = b.and(cond, getCond(ctx, 4));
    if (kind === "LOOPNE") cond = b.and(cond, getCond(ctx, 5));
    branch(ctx, cond, relTarget(ctx));
  };
}

function CALL(ctx: X86Ctx): void {
  const b = ctx.b;
  const op = ctx.insn.operands[0];
  const dest = op?.kind === "rel" ? b.i64(op.target) : target(ctx, read(ctx, operand(ctx, 0)));
  checkBranchTarget(ctx, op?.kind === "rel" ? op.target : dest);
  push(ctx, b.i64(nextPc(ctx)), ctx.insn.opSize === 1 ? 2 : ctx.insn.opSize);
  ctx.successors.push(nextPc(ctx)); // where the callee returns to
  endBlock(ctx, dest);
}

function RET(ctx: X86Ctx): void {
  const size = ctx.insn.opSize === 1 ? 2 : ctx.insn.opSize;
  const ret = target(ctx, popPeek(ctx, size));
  checkBranchTarget(ctx, ret);
  const imm = ctx.insn.operands[0];
  popCommit(ctx, size + (imm?.kind === "imm" ? imm.lo & 0xffff : 0));
  endBlock(ctx, ret);
}

function SETCC(ctx: X86Ctx): void {
  write(ctx, operand(ctx, 0), ctx.b.extu(getCond(ctx, ctx.insn.opcode & 0xf)));
}

/** CMOVcc: the source is read (and may fault) whatever the condition; a 32-bit destination is zero-extended either way. */
function CMOVCC(ctx: X86Ctx): void {
  const b = ctx.b;
  const d = operand(ctx, 0);
  const src = read(ctx, operand(ctx, 1));
  const old = read(ctx, d);
  write(ctx, d, b.select(getCond(ctx, ctx.insn.opcode & 0xf), src, old));
}

export const controlSemantics: SemanticsTable = {
  JMP, JCC, JCXZ, LOOP: loop("LOOP"), LOOPE: loop("LOOPE"), LOOPNE: loop("LOOPNE"),
  CALL, RET, SETCC, CMOVCC,
};
