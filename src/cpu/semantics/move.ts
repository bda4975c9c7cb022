/**
 * Data movement semantics (SDM vol 2): MOV, MOVZX, MOVSX, MOVSXD, LEA, XCHG, BSWAP, PUSH, POP,
 * LEAVE, CBW/CWDE/CDQE, CWD/CDQ/CQO, LAHF/SAHF, XLAT, NOP.
 */

import type { IrBuilder } from "../../jit/ir/builder.js";
import { IrType, type Temp } from "../../jit/ir/types.js";
import { sext, zext, Eflag, storeEflagsCc } from "../flags.js";
import { Seg } from "../decode/insn.js";
import { segOff, SegOff, type SegIndex } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import type { SemanticsTable } from "../translate.js";
import { getArithFlags } from "./cc.js";
import {
  effectiveOffset, loadMem, operand, popCommit, popPeek, push, read, readGpr, segAddress, stackSize, storeMem, write, writeGpr,
  type OpSize, type X86Ctx,
} from "./context.js";

function MOV(ctx: X86Ctx): void {
  write(ctx, operand(ctx, 0), read(ctx, operand(ctx, 1)));
}

function MOVZX(ctx: X86Ctx): void {
  write(ctx, operand(ctx, 0), read(ctx, operand(ctx, 1)));
}

function MOVSX(ctx: X86Ctx): void {
  const s = operand(ctx, 1);
  write(ctx, operand(ctx, 0), sext(ctx.b, read(ctx, s), s.size));
}

function LEA(ctx: X86Ctx): void {
  const d = operand(ctx, 0);
  const m = ctx.insn.operands[1];
  if (m?.kind !== "mem") throw new Error("LEA needs a memory operand");
  write(ctx, d, effectiveOffset(ctx, m));
}

/** XCHG: both operands read before either is written (memory forms are implicitly locked). */
function XCHG(ctx: X86Ctx): void {
  const a = operand(ctx, 0), c = operand(ctx, 1);
  const va = read(ctx, a), vc = read(ctx, c);
  if (a.op.kind === "mem") { write(ctx, a, vc); write(ctx, c, va); }
  else { write(ctx, c, va); write(ctx, a, vc); }
}

/** The low `size` bytes of `v` in reverse order (i64, zero-extended). */
export function byteSwap(b: IrBuilder, v: Temp, size: OpSize): Temp {
  let r = b.i64(0);
  for (let i = 0; i < size; i++) {
    const byte = b.andi(b.shrUi(v, i * 8), 0xff);
    r = b.or(r, b.shli(byte, (size - 1 - i) * 8));
  }
  return r;
}

function BSWAP(ctx: X86Ctx): void {
  const d = operand(ctx, 0);
  // BSWAP r16 is undefined: Intel hardware clears the low word.
  write(ctx, d, d.size === 2 ? ctx.b.i64(0) : byteSwap(ctx.b, read(ctx, d), d.size));
}

/** Operand size of a stack operation (PUSH/POP: 2, 4 or 8 bytes). */
const stackOpSize = (ctx: X86Ctx): 2 | 4 | 8 => (ctx.insn.opSize === 1 ? 2 : ctx.insn.opSize);

function PUSH(ctx: X86Ctx): void {
  const b = ctx.b;
  const op = ctx.insn.operands[0];
  const size = stackOpSize(ctx);
  if (op?.kind === "sreg") {
    // A segment register pushed with a 32/64-bit operand size: recent Intel processors write
    // only the 16-bit selector, leaving the rest of the slot unmodified (SDM PUSH).
    const ss = stackSize(ctx);
    const newSp = zext(b, b.addi(readGpr(ctx, 4, ss), -size), ss);
    storeMem(ctx, segAddress(ctx, Seg.SS, newSp), 2, b.ldEnv(IrType.I64, segOff(op.reg as number as SegIndex, SegOff.SELECTOR), 2));
    writeGpr(ctx, 4, ss, newSp);
    return;
  }
  let v = read(ctx, operand(ctx, 0));
  if (op?.kind === "imm") v = sext(b, v, op.size);
  // PUSH RSP pushes the value before the decrement: `read` above already captured it.
  push(ctx, v, size);
}

function POP(ctx: X86Ctx): void {
  const size = stackOpSize(ctx);
  const d = operand(ctx, 0);
  const v = popPeek(ctx, size);
  if (d.op.kind === "reg" && d.op.reg === 4) {
    // POP RSP: RSP gets the popped value (the increment is overwritten).
    popCommit(ctx, size);
    write(ctx, d, v);
    return;
  }
  if (d.op.kind === "mem") {
    // POP m: the address is computed with RSP already incremented (SDM POP). Only the base
    // can be rSP, so the incremented address is the plain one + size; the store happens
    // before RSP moves, so a faulting store leaves RSP intact.
    const b = ctx.b;
    const m = d.op;
    let ea = effectiveOffset(ctx, m);
    if (m.base === 4) ea = zext(b, b.addi(ea, size), m.addrSize);
    storeMem(ctx, segAddress(ctx, m.seg, ea), size, v);
    popCommit(ctx, size);
    return;
  }
  if (d.op.kind === "sreg") {
    // POP Sreg is a segment load: segments.ts wraps this function and handles it first.
    ctx.b.raise(Vec.UD);
    ctx.ended = true;
    return;
  }
  write(ctx, d, v);
  popCommit(ctx, size);
}

function LEAVE(ctx: X86Ctx): void {
  const b = ctx.b;
  const ss = stackSize(ctx);
  const size = stackOpSize(ctx);
  const bp = readGpr(ctx, 5, ss);
  const v = loadMem(ctx, segAddress(ctx, Seg.SS, bp), size);
  writeGpr(ctx, 4, ss, zext(b, b.addi(bp, size), ss));
  writeGpr(ctx, 5, size, v);
}

/**
 * ENTER imm16, imm8 (SDM ENTER): push rBP, copy `level - 1` frame pointers from the old frame,
 * push the new frame pointer, then rBP = frame (operand size) and rSP -= imm16 (stack size).
 * The level is an immediate (mod 32), so the copy loop unrolls at translate time; every load
 * and store happens before the registers change.
 */
function ENTER(ctx: X86Ctx): void {
  const b = ctx.b;
  const ops = ctx.insn.operands;
  const alloc = ops[0]?.kind === "imm" ? ops[0].lo & 0xffff : 0;
  const level = ops[1]?.kind === "imm" ? ops[1].lo & 31 : 0;
  const ss = stackSize(ctx);
  const size = stackOpSize(ctx);
  const at = (base: Temp, delta: number): Temp => segAddress(ctx, Seg.SS, zext(b, b.addi(base, delta), ss));
  const sp = readGpr(ctx, 4, ss);
  const bp = readGpr(ctx, 5, ss);
  storeMem(ctx, at(sp, -size), size, readGpr(ctx, 5, size));
  const frame = zext(b, b.addi(sp, -size), ss);
  let sp2 = -size;
  if (level > 0) {
    for (let i = 1; i < level; i++) {
      sp2 -= size;
      storeMem(ctx, at(sp, sp2), size, loadMem(ctx, at(bp, -i * size), size));
    }
    sp2 -= size;
    storeMem(ctx, at(sp, sp2), size, frame);
  }
  writeGpr(ctx, 5, size, frame);
  writeGpr(ctx, 4, ss, zext(b, b.addi(sp, sp2 - alloc), ss));
}

/** CBW/CWDE/CDQE: sign-extend the low half of the accumulator into the whole. */
function CBW(ctx: X86Ctx): void {
  const size = ctx.insn.opSize;
  const half = (size / 2) as 1 | 2 | 4;
  writeGpr(ctx, 0, size, sext(ctx.b, readGpr(ctx, 0, half), half));
}

/** CWD/CDQ/CQO: rDX = sign of rAX. */
function CWD(ctx: X86Ctx): void {
  const size = ctx.insn.opSize;
  writeGpr(ctx, 2, size, ctx.b.shrSi(sext(ctx.b, readGpr(ctx, 0, size), size), 63));
}

function LAHF(ctx: X86Ctx): void {
  const b = ctx.b;
  const f = b.or(b.and(getArithFlags(ctx), b.i32(0xd5)), b.i32(Eflag.FIXED1));
  writeGpr(ctx, 0, 1, b.extu(f), true);
}

function SAHF(ctx: X86Ctx): void {
  const b = ctx.b;
  const ah = b.trunc(readGpr(ctx, 0, 1, true));
  const keep = b.and(getArithFlags(ctx), b.i32(Eflag.OF));
  storeEflagsCc(b, b.or(keep, b.and(ah, b.i32(0xd5))));
  ctx.ccOp = 0;
}

function XLAT(ctx: X86Ctx): void {
  const b = ctx.b;
  const as = ctx.insn.addrSize;
  const off = zext(b, b.add(readGpr(ctx, 3, as), readGpr(ctx, 0, 1)), as);
  writeGpr(ctx, 0, 1, loadMem(ctx, segAddress(ctx, ctx.insn.seg, off), 1));
}

function NOP(_ctx: X86Ctx): void {}

export const moveSemantics: SemanticsTable = {
  MOV, MOVZX, MOVSX, MOVSXD: MOVSX, LEA, XCHG, BSWAP, PUSH, POP, ENTER, LEAVE, CBW, CWD, LAHF, SAHF, XLAT, NOP,
  PAUSE: NOP, PREFETCH: NOP, LFENCE: NOP, MFENCE: NOP, SFENCE: NOP,
};
