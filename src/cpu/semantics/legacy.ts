/**
 * Legacy integer instructions, all invalid in 64-bit mode (the decoder raises #UD there):
 * the BCD adjustments DAA DAS AAA AAS AAM AAD, PUSHA/POPA and BOUND (SDM vol 2). Flags the SDM
 * leaves undefined follow Intel hardware as observed by the differential tests (test/diff):
 * DAA/DAS clear OF; AAA/AAS and AAM derive SF ZF PF from AL and clear OF (AAM also CF, AF);
 * AAD sets all six as the 8-bit addition AL + (AH * imm) would.
 */

import type { Temp } from "../../jit/ir/types.js";
import { CcKind, ccOp, Eflag, sext, storeEflagsCc, zext } from "../flags.js";
import { Seg } from "../decode/insn.js";
import { Vec } from "../softmmu.js";
import type { SemanticsTable } from "../translate.js";
import { getArithFlags } from "./cc.js";
import {
  addrPlus, loadMem, operand, read, readGpr, segAddress, setCc, stackSize, storeMem, writeGpr, type X86Ctx,
} from "./context.js";

/** SF ZF PF of an 8-bit value (i64) as an i32 flag word. */
function szp8(ctx: X86Ctx, v: Temp): Temp {
  const b = ctx.b;
  const lo = b.and(b.trunc(v), b.i32(0xff));
  const pf = b.shli(b.xor(b.and(b.un("popcnt", lo), b.i32(1)), b.i32(1)), 2);
  const zf = b.shli(b.setcond("eq", lo, b.i32(0)), 6);
  const sf = b.and(lo, b.i32(0x80));
  return b.or(b.or(pf, zf), sf);
}

const bit = (ctx: X86Ctx, f: Temp, mask: number): Temp => ctx.b.setcond("ne", ctx.b.and(f, ctx.b.i32(mask)), ctx.b.i32(0));

/** DAA/DAS (SDM pseudocode): adjust AL after a packed-BCD add/subtract. */
function decimalAdjust(sub: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const f = getArithFlags(ctx);
    const cf = bit(ctx, f, Eflag.CF), af = bit(ctx, f, Eflag.AF);
    const al = readGpr(ctx, 0, 1);
    const lowAdj = b.or(b.setcond("gt_u", b.andi(al, 0xf), b.i64(9)), af);
    const al1 = b.andi(b.select(lowAdj, sub ? b.addi(al, -6) : b.addi(al, 6), al), 0xff);
    const highAdj = b.or(b.setcond("gt_u", al, b.i64(0x99)), cf);
    const al2 = b.andi(b.select(highAdj, sub ? b.addi(al1, -0x60) : b.addi(al1, 0x60), al1), 0xff);
    let newCf = highAdj;
    // DAS: the borrow of AL - 6 also sets CF (the SDM's "CF <- old_CF or Borrow").
    if (sub) newCf = b.or(highAdj, b.and(lowAdj, b.setcond("lt_u", al, b.i64(6))));
    writeGpr(ctx, 0, 1, al2);
    const flags = b.or(b.or(szp8(ctx, al2), newCf), b.shli(lowAdj, 4));
    storeEflagsCc(b, flags);
    ctx.ccOp = 0;
  };
}

/** AAA/AAS: adjust AX after an unpacked-BCD add/subtract (AX +/- 0x106 when adjusting). */
function asciiAdjust(sub: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const f = getArithFlags(ctx);
    const af = bit(ctx, f, Eflag.AF);
    const ax = readGpr(ctx, 0, 2);
    const adj = b.or(b.setcond("gt_u", b.andi(ax, 0xf), b.i64(9)), af);
    const ax1 = b.select(adj, b.addi(ax, sub ? -0x106 : 0x106), ax);
    const r = b.or(b.andi(ax1, 0xff00), b.andi(ax1, 0xf));
    writeGpr(ctx, 0, 2, r);
    storeEflagsCc(b, b.or(b.or(adj, b.shli(adj, 4)), szp8(ctx, r)));
    ctx.ccOp = 0;
  };
}

function immByte(ctx: X86Ctx): number {
  const op = ctx.insn.operands[0];
  return op?.kind === "imm" ? op.lo & 0xff : 10;
}

/** AAM imm8: AH = AL / imm, AL = AL % imm; imm = 0 raises #DE. */
function AAM(ctx: X86Ctx): void {
  const b = ctx.b;
  const base = immByte(ctx);
  if (base === 0) { b.raise(Vec.DE); ctx.ended = true; return; }
  const al = readGpr(ctx, 0, 1);
  const q = b.bin("div_u", al, b.i64(base)), r = b.bin("rem_u", al, b.i64(base));
  writeGpr(ctx, 0, 2, b.or(b.shli(q, 8), r));
  setCc(ctx, ccOp(CcKind.LOGIC, 1), r);
}

/** AAD imm8: AL = AL + AH * imm, AH = 0. */
function AAD(ctx: X86Ctx): void {
  const b = ctx.b;
  const ax = readGpr(ctx, 0, 2);
  const prod = b.andi(b.mul(b.shrUi(ax, 8), b.i64(immByte(ctx))), 0xff);
  const al = b.andi(b.add(b.andi(ax, 0xff), prod), 0xff);
  writeGpr(ctx, 0, 2, al);
  setCc(ctx, ccOp(CcKind.ADD, 1), al, prod);
}

/** PUSHA/PUSHAD: push AX CX DX BX (original) SP BP SI DI; stores first, then SP. */
function PUSHA(ctx: X86Ctx): void {
  const b = ctx.b;
  const size = ctx.insn.opSize === 4 ? 4 : 2;
  const ss = stackSize(ctx);
  const sp = readGpr(ctx, 4, ss);
  for (let i = 0; i < 8; i++) {
    const at = zext(b, b.addi(sp, -(i + 1) * size), ss);
    storeMem(ctx, segAddress(ctx, Seg.SS, at), size, readGpr(ctx, i, size));
  }
  writeGpr(ctx, 4, ss, zext(b, b.addi(sp, -8 * size), ss));
}

/** POPA/POPAD: pop DI SI BP (SP skipped) BX DX CX AX; loads first. */
function POPA(ctx: X86Ctx): void {
  const b = ctx.b;
  const size = ctx.insn.opSize === 4 ? 4 : 2;
  const ss = stackSize(ctx);
  const sp = readGpr(ctx, 4, ss);
  const vals: Temp[] = [];
  for (let i = 0; i < 8; i++) vals.push(loadMem(ctx, segAddress(ctx, Seg.SS, zext(b, b.addi(sp, i * size), ss)), size));
  for (let i = 0; i < 8; i++) if (i !== 3) writeGpr(ctx, 7 - i, size, vals[i]!);
  writeGpr(ctx, 4, ss, zext(b, b.addi(sp, 8 * size), ss));
}

/** BOUND r, m: #BR unless lower <= index <= upper (signed; bounds at m and m + size). */
function BOUND(ctx: X86Ctx): void {
  const b = ctx.b;
  const size = ctx.insn.opSize === 4 ? 4 : 2;
  const idx = sext(b, read(ctx, operand(ctx, 0)), size);
  const m = operand(ctx, 1);
  const lower = sext(b, loadMem(ctx, m.addr!, size), size);
  const upper = sext(b, loadMem(ctx, addrPlus(ctx, m.addr!, size), size), size);
  const ok = b.label();
  const bad = b.or(b.setcond("lt_s", idx, lower), b.setcond("gt_s", idx, upper));
  b.brcond("eq", bad, b.i32(0), ok);
  b.raise(Vec.BR);
  b.setLabel(ok);
}

export const legacySemantics: SemanticsTable = {
  DAA: decimalAdjust(false), DAS: decimalAdjust(true), AAA: asciiAdjust(false), AAS: asciiAdjust(true),
  AAM, AAD, PUSHA, POPA, BOUND,
};
