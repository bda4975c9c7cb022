/**
 * MUL, IMUL (one operand), DIV, IDIV (SDM vol 2): the double-width products and quotients in
 * AX / DX:AX / EDX:EAX / RDX:RAX. Wasm has no 128-bit arithmetic: the high half of a 64x64
 * product is built from 32-bit limbs in IR, and 128/64 division with a non-trivial high half
 * goes to a helper that divides with 32-bit limbs (no BigInt).
 */

import { IrType, HelperFlag, type Temp } from "../../jit/ir/types.js";
import type { IrBuilder } from "../../jit/ir/builder.js";
import { CcKind, ccOp, sext, zext } from "../flags.js";
import { cpuHelper } from "../helper.js";
import { gprOff, StateOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import { operand, read, readGpr, setCc, writeGpr, type X86Ctx } from "./context.js";

/** High 64 bits of the 128-bit product of two i64 temps. */
export function mulHigh64(b: IrBuilder, x: Temp, y: Temp, signed: boolean): Temp {
  const M = b.i64(0xffffffff), S = b.i64(32);
  const x0 = b.and(x, M), x1 = b.shrU(x, S), y0 = b.and(y, M), y1 = b.shrU(y, S);
  const p00 = b.mul(x0, y0), p01 = b.mul(x0, y1), p10 = b.mul(x1, y0), p11 = b.mul(x1, y1);
  const mid = b.add(b.add(b.shrU(p00, S), b.and(p01, M)), b.and(p10, M));
  let hi = b.add(b.add(p11, b.shrU(p01, S)), b.add(b.shrU(p10, S), b.shrU(mid, S)));
  if (signed) {
    const zero = b.i64(0);
    hi = b.sub(hi, b.select(b.setcond("lt_s", x, zero), y, zero));
    hi = b.sub(hi, b.select(b.setcond("lt_s", y, zero), x, zero));
  }
  return hi;
}

const TWO32 = 4294967296;

/**
 * div128(signed): RDX:RAX / [scratch divisor in CC-free state slot] -> RAX quotient, RDX
 * remainder; raises #DE on divide by zero or quotient overflow. Operands travel through CPU
 * state (the divisor in the scratch word below) because JS helpers take i32 only.
 */
const DIVISOR_OFF = StateOff.DIV_SCRATCH;
export const div128Helper = cpuHelper("div128", [IrType.I32], null, HelperFlag.CAN_FAULT, (cpu, signed) => {
  const s = cpu.state;
  const limbs = (off: number): number[] => [s.lo(off) >>> 0, s.hi(off) >>> 0];
  let [a0, a1] = limbs(gprOff(0));
  let [a2, a3] = limbs(gprOff(2));
  let [d0, d1] = limbs(DIVISOR_OFF);
  const neg = (l: number[]): number[] => {
    const out: number[] = [];
    let carry = 1;
    for (const x of l) { const v = (~x >>> 0) + carry; out.push(v >>> 0); carry = v > 0xffffffff ? 1 : 0; }
    return out;
  };
  let qNeg = false, rNeg = false;
  if (signed) {
    if (a3! & 0x80000000) { [a0, a1, a2, a3] = neg([a0!, a1!, a2!, a3!]); qNeg = !qNeg; rNeg = true; }
    if (d1! & 0x80000000) { [d0, d1] = neg([d0!, d1!]); qNeg = !qNeg; }
  }
  const divisor = d1! * TWO32 + d0!;
  if (divisor === 0) { cpu.softmmu.raise(Vec.DE); return; }
  // Schoolbook long division, 32-bit limbs, most significant first; partial remainders < divisor.
  const num = [a3!, a2!, a1!, a0!];
  const q: number[] = [];
  let rem = [0, 0]; // as (hi, lo) of a value < divisor < 2^64
  for (const limb of num) {
    // rem = rem * 2^32 + limb; digit = floor(rem / divisor), computed bit by bit to stay exact.
    let digit = 0;
    for (let bit = 31; bit >= 0; bit--) {
      const inBit = (limb >>> bit) & 1;
      // rem = rem * 2 + inBit (rem < 2^64 so the shifted value < 2^65: keep a carry)
      const carryOut = rem[0]! >>> 31;
      rem = [((rem[0]! << 1) | (rem[1]! >>> 31)) >>> 0, ((rem[1]! << 1) | inBit) >>> 0];
      const ge = carryOut === 1 || rem[0]! > d1! || (rem[0] === d1 && rem[1]! >= d0!);
      if (ge) {
        let lo = rem[1]! - d0!, borrow = 0;
        if (lo < 0) { lo += TWO32; borrow = 1; }
        rem = [(rem[0]! - d1! - borrow) >>> 0, lo >>> 0];
        digit = (digit | (1 << bit)) >>> 0;
      }
    }
    q.push(digit);
  }
  const [q3, q2] = q as [number, number, number, number];
  let [, , q1, q0] = q as [number, number, number, number];
  if (q3 !== 0 || q2 !== 0) { cpu.softmmu.raise(Vec.DE); return; }
  if (signed) {
    if (qNeg ? q1 > 0x80000000 || (q1 === 0x80000000 && q0 !== 0) : q1 >= 0x80000000) { cpu.softmmu.raise(Vec.DE); return; }
    if (qNeg) [q0, q1] = neg([q0, q1]) as [number, number];
    if (rNeg) rem = neg([rem[1]!, rem[0]!]).reverse();
  }
  s.set64(gprOff(0), q0, q1);
  s.set64(gprOff(2), rem[1]!, rem[0]!);
});

type MulDiv = "MUL" | "IMUL" | "DIV" | "IDIV";

/** One-operand MUL/IMUL/DIV/IDIV on the accumulator pair. */
export function mulDiv(kind: MulDiv) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const src = operand(ctx, 0);
    const size = src.size, bits = size * 8;
    const signed = kind === "IMUL" || kind === "IDIV";
    const ext = (t: Temp) => (signed ? sext(b, t, size) : zext(b, t, size));
    const v = ext(read(ctx, src));
    if (kind === "MUL" || kind === "IMUL") {
      const a = ext(readGpr(ctx, 0, size));
      const lo = b.mul(a, v);
      let hi: Temp, overflow: Temp;
      if (size === 8) {
        hi = mulHigh64(b, a, v, signed);
        overflow = signed ? b.setcond("ne", hi, b.shrSi(lo, 63)) : b.setcond("ne", hi, b.i64(0));
      } else {
        hi = b.shrSi(lo, bits);
        overflow = signed ? b.setcond("ne", sext(b, lo, size), lo) : b.setcond("ne", b.shrUi(lo, bits), b.i64(0));
      }
      if (size === 1) writeGpr(ctx, 0, 2, lo);
      else { writeGpr(ctx, 0, size, lo); writeGpr(ctx, 2, size, hi); }
      setCc(ctx, ccOp(CcKind.MUL, size), lo, b.extu(overflow));
      return;
    }
    if (size === 8) {
      // Fast path inline: RDX:RAX fits an i64 (RDX = 0, or RAX's sign extension for IDIV) and
      // the divisor is non-zero, so one i64 division gives the exact quotient and remainder
      // (INT64_MIN / -1, which would trap in Wasm, goes to the helper and its #DE). Anything
      // else takes the 128-bit helper.
      const slow = b.label(), done = b.label();
      const rax = readGpr(ctx, 0, 8), rdx = readGpr(ctx, 2, 8);
      b.brcond("eq", v, b.i64(0), slow);
      b.brcond("ne", rdx, signed ? b.shrSi(rax, 63) : b.i64(0), slow);
      if (signed) b.brcond("ne", b.and(b.setcond("eq", rax, b.i64(-(2 ** 63))), b.setcond("eq", v, b.i64(-1))), b.i32(0), slow);
      const q = b.bin(signed ? "div_s" : "div_u", rax, v);
      const r = b.bin(signed ? "rem_s" : "rem_u", rax, v);
      writeGpr(ctx, 0, 8, q);
      writeGpr(ctx, 2, 8, r);
      b.br(done);
      b.setLabel(slow);
      b.stEnv(v, DIVISOR_OFF);
      b.call(div128Helper, [b.i32(signed ? 1 : 0)]);
      b.setLabel(done);
      return;
    }
    // 8/16/32-bit: the dividend fits an i64; check #DE before dividing (Wasm would trap).
    const dividend = size === 1 ? (signed ? sext(b, readGpr(ctx, 0, 2), 2) : readGpr(ctx, 0, 2)) : b.or(b.shli(readGpr(ctx, 2, size), bits), zext(b, readGpr(ctx, 0, size), size));
    const dv = size === 1 ? dividend : signed ? sext(b, dividend, (size * 2) as 2 | 4 | 8) : dividend;
    const ok = b.label(), bad = b.label();
    b.brcond("eq", v, b.i64(0), bad);
    if (signed && size === 4) {
      // INT64_MIN / -1 would trap in Wasm; its quotient overflows 32 bits anyway.
      const trap = b.and(b.setcond("eq", dv, b.i64(-(2 ** 63))), b.setcond("eq", v, b.i64(-1)));
      b.brcond("ne", trap, b.i32(0), bad);
    }
    const q = b.bin(signed ? "div_s" : "div_u", dv, v);
    const r = b.bin(signed ? "rem_s" : "rem_u", dv, v);
    b.brcond("ne", ext(q), q, bad);
    if (size === 1) writeGpr(ctx, 0, 2, b.or(zext(b, q, 1), b.shli(zext(b, r, 1), 8)));
    else { writeGpr(ctx, 0, size, q); writeGpr(ctx, 2, size, r); }
    b.br(ok);
    b.setLabel(bad);
    b.raise(Vec.DE);
    b.setLabel(ok);
  };
}
