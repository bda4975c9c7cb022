/**
 * MMX/SSE data movement (SDM vol 2): MOVD/MOVQ, MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU/
 * LDDQU, MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVLHPS/MOVHLPS, MOVDDUP/MOVSLDUP/
 * MOVSHDUP, MOVQ2DQ/MOVDQ2Q, the non-temporal stores (plain stores here: no caches to
 * bypass), MASKMOVQ/MASKMOVDQU, PINSRB/W/D/Q, PEXTRB/W/D/Q, INSERTPS/EXTRACTPS, EMMS, LDMXCSR/STMXCSR.
 */

import { HelperFlag, IrType, type Temp } from "../../jit/ir/types.js";
import { Seg } from "../decode/insn.js";
import { cpuHelper } from "../helper.js";
import { Vec } from "../softmmu.js";
import { StateOff, xmmOff } from "../state-layout.js";
import { FpuOff, MXCSR_MASK, fpuRegOff } from "../fpu-state.js";
import { forgetMxcsr } from "./sse-guard.js";
import type { SemanticsTable } from "../translate.js";
import { operand, read, readGpr, segAddress, write, type X86Ctx } from "./context.js";
import { zext } from "../flags.js";
import { immOf, isMmx, memAddr, mmxEnter, opAt, readV, simdCheck, writeMmx, writeV, zeroV } from "./sse-common.js";

type Fn = (ctx: X86Ctx) => void;

/** Full-width moves; `unaligned` forms skip the 16-byte alignment check. */
function mov(unaligned: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx, !isMmx(ctx));
    writeV(ctx, opAt(ctx, 0), readV(ctx, opAt(ctx, 1), unaligned), unaligned);
  };
}

/** MOVD/MOVQ between a GPR or memory and an XMM/MMX register (size from the Ey operand). */
function MOVD(ctx: X86Ctx): void {
  const d = opAt(ctx, 0), s = opAt(ctx, 1);
  simdCheck(ctx, d.kind === "xmm" || s.kind === "xmm");
  const b = ctx.b;
  if (d.kind === "xmm" || d.kind === "mmx") {
    const v = read(ctx, operand(ctx, 1));
    if (d.kind === "mmx") return writeMmx(ctx, d.reg, v);
    b.stEnv(v, xmmOff(d.reg), 8);
    b.stEnv(b.i64(0), xmmOff(d.reg) + 8, 8);
    return;
  }
  const r = operand(ctx, 0);
  if (s.kind !== "xmm" && s.kind !== "mmx") throw new Error("MOVD: bad source");
  const v = b.ldEnv(IrType.I64, s.kind === "xmm" ? xmmOff(s.reg) : fpuRegOff(s.reg), r.size as 4 | 8);
  write(ctx, r, v);
  if (s.kind === "mmx") mmxEnter(ctx);
}

/** MOVQ: MMX moves (0F 6F/7F), F3 0F 7E (load, zero upper), 66 0F D6 (store low qword). */
function MOVQ(ctx: X86Ctx): void {
  const d = opAt(ctx, 0), s = opAt(ctx, 1);
  const mmx = d.kind === "mmx" || s.kind === "mmx";
  simdCheck(ctx, !mmx);
  const b = ctx.b;
  const v = readV(ctx, s.kind === "xmm" ? { ...s, size: 8 } : s);
  if (d.kind === "xmm") {
    // zero-extend: the low qword only
    b.stEnv(b.simd("i64x2.replace_lane", [zeroV(ctx), b.simd("i64x2.extract_lane", [v], 0)], 0), xmmOff(d.reg));
    return;
  }
  writeV(ctx, d.kind === "mem" ? { ...d, size: 8 } : d, v);
  if (s.kind === "mmx") mmxEnter(ctx);
}

/** MOVSS/MOVSD: register-register moves the low element; a load zeroes the rest. */
function movScalar(size: 4 | 8): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0), s = opAt(ctx, 1);
    if (d.kind === "xmm" && s.kind === "xmm") {
      b.stEnv(b.ldEnv(IrType.I64, xmmOff(s.reg), size), xmmOff(d.reg), size);
      return;
    }
    if (d.kind === "xmm") return b.stEnv(readV(ctx, s), xmmOff(d.reg));
    if (s.kind !== "xmm" || d.kind !== "mem") throw new Error("MOVSS/MOVSD: bad operands");
    b.stGuest(b.ldEnv(IrType.I64, xmmOff(s.reg), size), memAddr(ctx, d), size, ctx.mmuIdx);
  };
}

/** MOVLPS/MOVLPD/MOVHPS/MOVHPD (memory forms) and MOVHLPS/MOVLHPS (register forms). */
function movHalf(dstHigh: boolean, srcHigh: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0), s = opAt(ctx, 1);
    let v: Temp;
    if (s.kind === "xmm") v = b.ldEnv(IrType.I64, xmmOff(s.reg) + (srcHigh ? 8 : 0));
    else if (s.kind === "mem") v = b.ldGuest(IrType.I64, memAddr(ctx, s), 8, ctx.mmuIdx);
    else throw new Error("MOVxPS: bad source");
    if (d.kind === "xmm") b.stEnv(v, xmmOff(d.reg) + (dstHigh ? 8 : 0));
    else if (d.kind === "mem") b.stGuest(v, memAddr(ctx, d), 8, ctx.mmuIdx);
  };
}

/** MOVDDUP/MOVSLDUP/MOVSHDUP: duplicate elements by a fixed shuffle. */
function dup(lanes: number[]): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const s = opAt(ctx, 1);
    const v = readV(ctx, s.kind === "mem" && lanes[8] === 0 ? { ...s, size: 8 } : s);
    writeV(ctx, opAt(ctx, 0), ctx.b.shuffle(v, v, lanes));
  };
}
const bytesOf = (elems: number[], w: number): number[] => elems.flatMap((e) => Array.from({ length: w }, (_, k) => e * w + k));

function MOVQ2DQ(ctx: X86Ctx): void {
  simdCheck(ctx);
  const d = opAt(ctx, 0), s = opAt(ctx, 1);
  mmxEnter(ctx);
  if (d.kind === "xmm" && s.kind === "mmx") ctx.b.stEnv(readV(ctx, s), xmmOff(d.reg));
}
function MOVDQ2Q(ctx: X86Ctx): void {
  simdCheck(ctx);
  const d = opAt(ctx, 0), s = opAt(ctx, 1);
  if (d.kind === "mmx" && s.kind === "xmm") writeMmx(ctx, d.reg, ctx.b.ldEnv(IrType.V128, xmmOff(s.reg)));
}

/** MASKMOVQ/MASKMOVDQU: store the bytes of src whose mask byte has bit 7 set, at DS:rDI. */
function maskmov(ctx: X86Ctx): void {
  const mmx = isMmx(ctx);
  simdCheck(ctx, !mmx);
  const b = ctx.b;
  const size = mmx ? 8 : 16;
  const v = readV(ctx, opAt(ctx, 0)), m = readV(ctx, opAt(ctx, 1));
  const off = zext(b, readGpr(ctx, 7, 8), ctx.insn.addrSize);
  const addr = segAddress(ctx, ctx.insn.seg ?? Seg.DS, off);
  // read-merge-write: bytes outside the mask are written back unchanged
  const old = b.ldGuest(IrType.V128, addr, size, ctx.mmuIdx);
  b.stGuest(b.simd("bitselect", [v, old, b.simd("i8x16.shr_s", [m, b.i32(7)])]), addr, size, ctx.mmuIdx);
  if (mmx) mmxEnter(ctx);
}

/** MOVNTI: a plain GPR store. */
function MOVNTI(ctx: X86Ctx): void {
  write(ctx, operand(ctx, 0), read(ctx, operand(ctx, 1)));
}

/** PINSRB/W/D/Q: insert a GPR or memory element at lane imm. */
function pinsr(w: 1 | 2 | 4 | 8): Fn {
  return (ctx) => {
    const mmx = isMmx(ctx);
    simdCheck(ctx, !mmx);
    const b = ctx.b;
    const d = opAt(ctx, 0), s = opAt(ctx, 1);
    const size = w === 4 && ctx.insn.prefixes & (1 << 6) ? 8 : w;
    const lanes = (mmx ? 8 : 16) / size;
    const lane = immOf(ctx, 2) & (lanes - 1);
    let v: Temp;
    if (s.kind === "mem") v = b.ldGuest(IrType.I64, memAddr(ctx, s), size, ctx.mmuIdx);
    else if (s.kind === "reg") v = readGpr(ctx, s.reg, size === 1 || size === 2 ? 4 : size);
    else throw new Error("PINSR: bad source");
    const a = readV(ctx, d);
    const r = size === 8 ? b.simd("i64x2.replace_lane", [a, v], lane)
      : b.simd(size === 4 ? "i32x4.replace_lane" : size === 2 ? "i16x8.replace_lane" : "i8x16.replace_lane", [a, b.trunc(v)], lane);
    writeV(ctx, d, r);
  };
}

/** PEXTRB/W/D/Q: extract lane imm to a GPR (zero-extended) or memory. */
function pextr(w: 1 | 2 | 4, allowQ = true): Fn {
  return (ctx) => {
    const mmx = isMmx(ctx);
    simdCheck(ctx, !mmx);
    const b = ctx.b;
    const d = opAt(ctx, 0), s = opAt(ctx, 1);
    const size = allowQ && w === 4 && ctx.insn.prefixes & (1 << 6) ? 8 : w;
    const lane = immOf(ctx, 2) & ((mmx ? 8 : 16) / size - 1);
    const v = readV(ctx, s);
    const e = size === 8 ? b.simd("i64x2.extract_lane", [v], lane)
      : b.extu(b.simd(size === 4 ? "i32x4.extract_lane" : size === 2 ? "i16x8.extract_lane_u" : "i8x16.extract_lane_u", [v], lane));
    if (d.kind === "mem") b.stGuest(e, memAddr(ctx, d), size, ctx.mmuIdx);
    else if (d.kind === "reg") write(ctx, { op: d, size: d.size, addr: null }, e);
    if (mmx) mmxEnter(ctx);
  };
}

/** EXTRACTPS: dword lane imm[1:0] to r/m32. */
function EXTRACTPS(ctx: X86Ctx): void {
  pextr(4, false)(ctx);
}

/** INSERTPS: dword from src (lane imm[7:6] if a register) into lane imm[5:4], then zero mask imm[3:0]. */
function INSERTPS(ctx: X86Ctx): void {
  simdCheck(ctx);
  const b = ctx.b;
  const d = opAt(ctx, 0), s = opAt(ctx, 1);
  const imm = immOf(ctx, 2);
  const e = s.kind === "mem" ? b.ldGuest(IrType.I32, memAddr(ctx, s), 4, ctx.mmuIdx)
    : b.simd("i32x4.extract_lane", [readV(ctx, s)], (imm >> 6) & 3);
  let r = b.simd("i32x4.replace_lane", [readV(ctx, d), e], (imm >> 4) & 3);
  const z = (i: number): number => (imm >> i) & 1 ? 0 : -1;
  if (imm & 15) r = b.simd("and", [r, b.vconst(z(0), z(1), z(2), z(3))]);
  writeV(ctx, d, r);
}

function EMMS(ctx: X86Ctx): void {
  simdCheck(ctx, false);
  ctx.b.stEnv(ctx.b.i32(0), FpuOff.TAGV);
}

/** LDMXCSR: #GP(0) for reserved bits (every MXCSR control is honoured: sse-guard.ts). */
const ldmxcsr = cpuHelper("ldmxcsr", [IrType.I32], null, HelperFlag.CAN_FAULT, (cpu, v) => {
  if (v & ~MXCSR_MASK) return cpu.softmmu.raise(Vec.GP, 0);
  cpu.state.set32(StateOff.MXCSR, v);
});

function LDMXCSR(ctx: X86Ctx): void {
  simdCheck(ctx);
  const b = ctx.b;
  b.call(ldmxcsr, [b.trunc(read(ctx, operand(ctx, 0)))]);
  forgetMxcsr(ctx);
}
function STMXCSR(ctx: X86Ctx): void {
  simdCheck(ctx);
  write(ctx, operand(ctx, 0), ctx.b.ldEnv(IrType.I64, StateOff.MXCSR, 4));
}

export const sseMoveSemantics: SemanticsTable = {
  MOVD, MOVQ,
  MOVAPS: mov(false), MOVAPD: mov(false), MOVDQA: mov(false), MOVNTPS: mov(false), MOVNTPD: mov(false), MOVNTDQ: mov(false),
  MOVNTDQA: mov(false), MOVNTQ: mov(true),
  MOVUPS: mov(true), MOVUPD: mov(true), MOVDQU: mov(true), LDDQU: mov(true),
  MOVSS: movScalar(4), MOVSD: movScalar(8),
  MOVLPS: movHalf(false, false), MOVLPD: movHalf(false, false), MOVHPS: movHalf(true, true), MOVHPD: movHalf(true, true),
  MOVHLPS: movHalf(false, true), MOVLHPS: movHalf(true, false),
  MOVDDUP: dup(bytesOf([0, 0], 8)), MOVSLDUP: dup(bytesOf([0, 0, 2, 2], 4)), MOVSHDUP: dup(bytesOf([1, 1, 3, 3], 4)),
  MOVQ2DQ, MOVDQ2Q, MASKMOVQ: maskmov, MASKMOVDQU: maskmov, MOVNTI,
  PINSRB: pinsr(1), PINSRW: pinsr(2), PINSRD: pinsr(4), PEXTRB: pextr(1), PEXTRW: pextr(2), PEXTRD: pextr(4),
  EXTRACTPS, INSERTPS, EMMS, LDMXCSR, STMXCSR,
};
