/**
 * Read-modify-write exchange instructions (SDM vol 2): CMPXCHG, CMPXCHG8B/CMPXCHG16B, XADD.
 * One CPU runs at a time, so LOCK needs nothing beyond doing the whole instruction in one
 * block. As on hardware, a memory destination is always written (the old value when the
 * comparison fails), so a read-only page faults either way; the store comes before any
 * register update, so a fault leaves the registers untouched.
 */

import type { Temp } from "../../jit/ir/types.js";
import { CcKind, ccOp, Eflag, storeEflagsCc } from "../flags.js";
import { Vec } from "../softmmu.js";
import { gprOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { getArithFlags } from "./cc.js";
import { addrPlus, loadMem, operand, read, readGpr, setCc, storeMem, write, writeGpr, type X86Ctx } from "./context.js";

/**
 * CMPXCHG r/m, r: compare the accumulator with the destination (flags as CMP). Equal: the
 * destination gets the source. Not equal: the accumulator gets the destination; a memory
 * destination is written back with its own value, a register one is left alone (its upper
 * half survives, as observed on Intel). An unwritten 32-bit accumulator keeps its upper half.
 */
function CMPXCHG(ctx: X86Ctx): void {
  const b = ctx.b;
  const d = operand(ctx, 0), s = operand(ctx, 1);
  const size = d.size;
  const src = read(ctx, s);
  const dst = read(ctx, d);
  const acc = readGpr(ctx, 0, size);
  const eq = b.setcond("eq", acc, dst);
  const accFull = readGpr(ctx, 0, 8);
  if (d.op.kind === "reg" && size === 4) {
    // A register destination is not written on failure: its upper half survives.
    b.stEnv(b.select(eq, src, readGpr(ctx, d.op.reg, 8)), gprOff(d.op.reg));
  } else write(ctx, d, b.select(eq, src, dst));
  // CMPXCHG rAX, r: always equal, and the destination write is the result.
  if (d.op.kind === "reg" && d.op.reg === 0 && !d.op.high8) { /* accumulator already written */ }
  else if (size === 4) b.stEnv(b.select(eq, accFull, dst), gprOff(0));
  else writeGpr(ctx, 0, size, b.select(eq, acc, dst));
  setCc(ctx, ccOp(CcKind.SUB, size), b.sub(acc, dst), dst);
}

/**
 * CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W): compare rDX:rAX with the memory operand; equal:
 * store rCX:rBX, ZF = 1; else load rDX:rAX (32-bit halves zero-extend in 64-bit mode), ZF = 0.
 * Only ZF changes. CMPXCHG16B needs a 16-byte aligned operand (#GP(0) otherwise).
 */
function CMPXCHG8B(ctx: X86Ctx): void {
  const b = ctx.b;
  const m = operand(ctx, 0);
  const wide = m.op.kind === "mem" && m.op.size === 16;
  const half = wide ? 8 : 4;
  const addr = m.addr!;
  if (wide) {
    const ok = b.label();
    b.brcond("eq", b.andi(addr, 15), b.i64(0), ok);
    b.raise(Vec.GP, b.i32(0));
    b.setLabel(ok);
  }
  const addrHi = addrPlus(ctx, addr, half);
  let lo: Temp, hi: Temp, eq: Temp;
  if (wide) {
    lo = loadMem(ctx, addr, 8);
    hi = loadMem(ctx, addrHi, 8);
    eq = b.and(b.setcond("eq", lo, readGpr(ctx, 0, 8)), b.setcond("eq", hi, readGpr(ctx, 2, 8)));
    storeMem(ctx, addr, 8, b.select(eq, readGpr(ctx, 3, 8), lo));
    storeMem(ctx, addrHi, 8, b.select(eq, readGpr(ctx, 1, 8), hi));
  } else {
    const v = loadMem(ctx, addr, 8);
    lo = b.andi(v, 0xffffffff);
    hi = b.shrUi(v, 32);
    const edxEax = b.or(b.shli(readGpr(ctx, 2, 4), 32), readGpr(ctx, 0, 4));
    eq = b.setcond("eq", v, edxEax);
    const ecxEbx = b.or(b.shli(readGpr(ctx, 1, 4), 32), readGpr(ctx, 3, 4));
    storeMem(ctx, addr, 8, b.select(eq, ecxEbx, v));
  }
  // Registers change only on failure: keep the old full values on success.
  const rax = readGpr(ctx, 0, 8), rdx = readGpr(ctx, 2, 8);
  b.stEnv(b.select(eq, rax, lo), gprOff(0));
  b.stEnv(b.select(eq, rdx, hi), gprOff(2));
  const flags = b.and(getArithFlags(ctx), b.i32(~Eflag.ZF));
  storeEflagsCc(b, b.or(flags, b.shli(eq, 6)));
  ctx.ccOp = 0;
}

/** XADD r/m, r: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (flags as ADD). */
function XADD(ctx: X86Ctx): void {
  const b = ctx.b;
  const d = operand(ctx, 0), s = operand(ctx, 1);
  const dst = read(ctx, d), src = read(ctx, s);
  const sum = b.add(dst, src);
  if (d.op.kind === "mem") {
    write(ctx, d, sum);
    write(ctx, s, dst);
  } else {
    // Register pair: the source is written first, so XADD r, r (same register) leaves the sum.
    write(ctx, s, dst);
    write(ctx, d, sum);
  }
  setCc(ctx, ccOp(CcKind.ADD, d.size), sum, src);
}

export const atomicSemantics: SemanticsTable = { CMPXCHG, CMPXCHG8B, XADD };
