/**
 * SSE4.1/SSE4.2 instructions implemented as helpers (cold, and awkward as lane ops):
 * PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (SDM vol 2 4.1 "Imm8 Control Byte Operation for
 * PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM"), PHMINPOSUW and MPSADBW. The
 * second source travels through the V128 scratch slot (FpuOff.VSCRATCH); the helper reads
 * the destination register from CPU state and writes its results there.
 */

import { HelperFlag, IrType } from "../../jit/ir/types.js";
import type { Cpu } from "../cpu.js";
import { Eflag, storeEflagsCc } from "../flags.js";
import { FpuOff } from "../fpu-state.js";
import { cpuHelper } from "../helper.js";
import { StateOff, xmmOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import type { X86Ctx } from "./context.js";
import { immOf, opAt, readV, simdCheck } from "./sse-common.js";

const I32 = IrType.I32;

/** Element e of a 16-byte register at state offset `off`: bytes or words, signed or not. */
function elem(cpu: Cpu, off: number, e: number, words: boolean, signed: boolean): number {
  const dv = cpu.state.dv;
  if (words) return signed ? dv.getInt16(off + e * 2, true) : dv.getUint16(off + e * 2, true);
  return signed ? dv.getInt8(off + e) : dv.getUint8(off + e);
}

/** The string compare core: returns IntRes2 and sets the lengths' flags. */
const pcmpstr = cpuHelper("pcmpstr", [I32, I32, I32], I32, HelperFlag.NONE, (cpu, imm, dst, flags) => {
  const explicit = (flags & 1) !== 0, wantMask = (flags & 2) !== 0, rexW = (flags & 4) !== 0;
  const s = cpu.state;
  const words = (imm & 1) !== 0, signed = (imm & 2) !== 0, agg = (imm >> 2) & 3, pol = (imm >> 4) & 3;
  const n = words ? 8 : 16;
  const a = xmmOff(dst), b = FpuOff.VSCRATCH;
  const len = (reg: number, off: number): number => {
    if (explicit) {
      const v = rexW ? Math.abs(s.reg(reg)) : Math.abs(s.get32(StateOff.GPR + reg * 8));
      return Math.min(v, n);
    }
    for (let i = 0; i < n; i++) if (elem(cpu, off, i, words, false) === 0) return i;
    return n;
  };
  const la = len(0, a), lb = len(2, b);
  const boolRes = (k: number, i: number): boolean => {
    const va = i < la, vb = k < lb;
    if (!va || !vb) {
      if (agg === 2) return !va && !vb;
      if (agg === 3) return !va;
      return false;
    }
    const x = elem(cpu, b, k, words, signed), y = elem(cpu, a, i, words, signed);
    if (agg === 1) return i & 1 ? x <= y : x >= y;
    return x === y;
  };
  let res = 0;
  for (let j = 0; j < n; j++) {
    let r: boolean;
    switch (agg) {
      case 0: r = false; for (let i = 0; i < n; i++) r ||= boolRes(j, i); break;
      case 1: r = false; for (let i = 0; i < n; i += 2) r ||= boolRes(j, i) && boolRes(j, i + 1); break;
      case 2: r = boolRes(j, j); break;
      default: r = true; for (let i = 0; i < n - j; i++) r &&= boolRes(j + i, i); break;
    }
    if (r) res |= 1 << j;
  }
  const full = (1 << n) - 1;
  if (pol === 1) res ^= full;
  else if (pol === 3) res ^= full & ((1 << lb) - 1);
  if (wantMask) {
    for (let e = 0; e < n; e++) {
      const on = (res >> e) & 1;
      if (imm & 0x40) { if (words) s.dv.setUint16(xmmOff(0) + e * 2, on ? 0xffff : 0, true); else s.dv.setUint8(xmmOff(0) + e, on ? 0xff : 0); }
    }
    if (!(imm & 0x40)) { s.set32(xmmOff(0), res); for (let k = 4; k < 16; k += 4) s.set32(xmmOff(0) + k, 0); }
  } else {
    let idx = n;
    if (res) idx = imm & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
    s.setReg(1, idx);
  }
  return (res ? Eflag.CF : 0) | (lb < n ? Eflag.ZF : 0) | (la < n ? Eflag.SF : 0) | (res & 1 ? Eflag.OF : 0);
});

function pcmpstrSem(explicit: boolean, mask: boolean) {
  return (ctx: X86Ctx): void => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    b.stEnv(readV(ctx, opAt(ctx, 1), true), FpuOff.VSCRATCH);
    const flags = (explicit ? 1 : 0) | (mask ? 2 : 0) | (ctx.insn.prefixes & (1 << 6) ? 4 : 0);
    const f = b.callValue(pcmpstr, [b.i32(immOf(ctx, 2)), b.i32(d.kind === "xmm" ? d.reg : 0), b.i32(flags)]);
    storeEflagsCc(b, f);
    ctx.ccOp = 0;
  };
}

/** PHMINPOSUW, MPSADBW: dst op= VSCRATCH under imm (DPPS/DPPD: sse-fp.ts). */
const enum Op { PHMINPOSUW, MPSADBW }

const vecHelper = cpuHelper("sse_vec_op", [I32, I32, I32], null, HelperFlag.NONE, (cpu, op, dst, imm) => {
  const dv = cpu.state.dv, a = xmmOff(dst), b = FpuOff.VSCRATCH;
  switch (op as Op) {
    case Op.PHMINPOSUW: {
      let min = 0x10000, at = 0;
      for (let i = 0; i < 8; i++) { const v = dv.getUint16(b + i * 2, true); if (v < min) { min = v; at = i; } }
      cpu.state.set32(a, min | (at << 16));
      for (let k = 4; k < 16; k += 4) cpu.state.set32(a + k, 0);
      return;
    }
    case Op.MPSADBW: {
      const o1 = imm & 4 ? 4 : 0, o2 = (imm & 3) * 4;
      const src1 = Array.from({ length: 16 }, (_, i) => dv.getUint8(a + i));
      for (let i = 0; i < 8; i++) {
        let sum = 0;
        for (let k = 0; k < 4; k++) sum += Math.abs(src1[o1 + i + k]! - dv.getUint8(b + o2 + k));
        dv.setUint16(a + i * 2, sum, true);
      }
    }
  }
});

function vecSem(op: Op) {
  return (ctx: X86Ctx): void => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    b.stEnv(readV(ctx, opAt(ctx, 1)), FpuOff.VSCRATCH);
    b.call(vecHelper, [b.i32(op), b.i32(d.kind === "xmm" ? d.reg : 0), b.i32(immOf(ctx, 2))]);
  };
}

export const sseStrSemantics: SemanticsTable = {
  PCMPESTRI: pcmpstrSem(true, false), PCMPESTRM: pcmpstrSem(true, true),
  PCMPISTRI: pcmpstrSem(false, false), PCMPISTRM: pcmpstrSem(false, true),
  PHMINPOSUW: vecSem(Op.PHMINPOSUW), MPSADBW: vecSem(Op.MPSADBW),
};
