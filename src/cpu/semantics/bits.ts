/**
 * Bit instructions (SDM vol 2): BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT (the F3 0F B8/BC/BD
 * forms), the double shifts SHLD SHRD, MOVBE, and CRC32 (SSE4.2, the integer form: CRC-32C,
 * polynomial 0x1EDC6F41, reflected). Undefined flags follow what Intel hardware produces where
 * the differential tests (test/diff) pin it down; see the notes per instruction.
 */

import { HelperFlag, IrType, type Temp } from "../../jit/ir/types.js";
import { CcKind, ccOp, Eflag, sext, storeEflagsCc, zext } from "../flags.js";
import { cpuHelper } from "../helper.js";
import { gprOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { getArithFlags } from "./cc.js";
import {
  effectiveOffset, operand, read, readGpr, segAddress, setCc, write, writeGpr, type OperandRef, type X86Ctx,
} from "./context.js";
import { byteSwap } from "./move.js";
import { signMask, zeroExtendIfCount0 } from "./alu.js";

const LOG2 = { 1: 0, 2: 1, 4: 2, 8: 3 } as const;

type BtKind = "BT" | "BTS" | "BTR" | "BTC";

/**
 * BT family. A register offset into a memory operand is a signed bit string index: the
 * operand-size unit at EA + (offset >> log2(bits)) * size is accessed (SDM BT "bit-offset").
 * CF = the bit; ZF unchanged; OF SF AF PF undefined (Intel leaves them unchanged: kept).
 */
function bt(kind: BtKind) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const dop = ctx.insn.operands[0]!, sop = ctx.insn.operands[1]!;
    const size = (dop.kind === "reg" ? dop.size : ctx.insn.opSize) as 2 | 4 | 8;
    const bits = size * 8;
    const off = read(ctx, operand(ctx, 1));
    let d: OperandRef;
    if (dop.kind === "mem" && sop.kind === "reg") {
      const soff = sext(b, off, size);
      const ea = zext(b, b.add(effectiveOffset(ctx, dop), b.shli(b.shrSi(soff, LOG2[size] + 3), LOG2[size])), dop.addrSize);
      d = { op: dop, size, addr: segAddress(ctx, dop.seg, ea) };
    } else d = operand(ctx, 0);
    const bit = b.andi(off, bits - 1);
    const v = read(ctx, d);
    const mask = b.shl(b.i64(1), bit);
    if (kind !== "BT") {
      const r = kind === "BTS" ? b.or(v, mask) : kind === "BTR" ? b.and(v, b.not(mask)) : b.xor(v, mask);
      write(ctx, d, r);
    }
    const cf = b.trunc(b.andi(b.shrU(v, bit), 1));
    storeEflagsCc(b, b.or(b.and(getArithFlags(ctx), b.i32(~Eflag.CF)), cf));
    ctx.ccOp = 0;
  };
}

/**
 * BSF/BSR: ZF = (source == 0); on a zero source the destination keeps its whole value (even
 * the upper half of a 64-bit register under a 32-bit operand, as the host shows). CF OF SF AF PF are
 * undefined: what Intel hardware gives is reproduced (see below).
 */
function bitScan(reverse: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const d = operand(ctx, 0), s = operand(ctx, 1);
    const v = read(ctx, s);
    const old = read(ctx, d);
    const zero = b.setcond("eq", v, b.i64(0));
    const idx = reverse ? b.sub(b.i64(63), b.un("clz", v)) : b.un("ctz", v);
    if (d.op.kind === "reg" && d.size === 4) b.stEnv(b.select(zero, readGpr(ctx, d.op.reg, 8), idx), gprOff(d.op.reg));
    else write(ctx, d, b.select(zero, old, idx));
    // Intel: PF from the index (from 0 for a zero source), CF OF SF AF clear.
    const pf = b.shli(b.xor(b.and(b.un("popcnt", b.and(b.trunc(b.select(zero, b.i64(0), idx)), b.i32(0xff))), b.i32(1)), b.i32(1)), 2);
    storeEflagsCc(b, b.or(b.shli(zero, 6), pf));
    ctx.ccOp = 0;
  };
}

/** TZCNT/LZCNT: the count (operand width for a zero source); CF = source was 0, ZF = result is 0. */
function countZeros(leading: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const d = operand(ctx, 0), s = operand(ctx, 1);
    const size = d.size, bits = size * 8;
    const v = read(ctx, s);
    const r = leading ? b.addi(b.un("clz", v), bits - 64) : b.un("ctz", bits === 64 ? v : b.or(v, b.i64(2 ** bits)));
    write(ctx, d, r);
    const cf = b.setcond("eq", v, b.i64(0));
    const zf = b.shli(b.setcond("eq", r, b.i64(0)), 6);
    storeEflagsCc(b, b.or(cf, zf));
    ctx.ccOp = 0;
  };
}

/** POPCNT: ZF = source was 0; OF SF AF CF PF cleared. */
function POPCNT(ctx: X86Ctx): void {
  const b = ctx.b;
  const d = operand(ctx, 0);
  const v = read(ctx, operand(ctx, 1));
  write(ctx, d, b.un("popcnt", v));
  storeEflagsCc(b, b.shli(b.setcond("eq", v, b.i64(0)), 6));
  ctx.ccOp = 0;
}

/**
 * SHLD/SHRD: count masked to 5 bits (6 for 64-bit operands); count 0 changes nothing. The
 * 16/32-bit forms shift the concatenation in 64 bits; a 16-bit count above 16 is undefined:
 * Intel shifts the 48-bit value dst:src:dst (SHLD) / dst:src:dst (SHRD, low end first).
 */
function doubleShift(left: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const d = operand(ctx, 0);
    const size = d.size, bits = size * 8;
    const src = read(ctx, operand(ctx, 1));
    const count = b.andi(read(ctx, operand(ctx, 2)), size === 8 ? 63 : 31);
    const v = read(ctx, d);
    zeroExtendIfCount0(ctx, d, v);
    const skip = b.label();
    b.brcond("eq", count, b.i64(0), skip);
    ctx.ccOp = -1;
    const cm1 = b.addi(count, -1);
    let r: Temp, last: Temp;
    if (size === 8) {
      const inv = b.sub(b.i64(64), count);
      if (left) {
        r = b.or(b.shl(v, count), b.shrU(b.shrUi(src, 1), b.addi(inv, -1)));
        last = b.shl(v, cm1);
      } else {
        r = b.or(b.shrU(v, count), b.shl(b.shli(src, 1), b.addi(inv, -1)));
        last = b.shrU(v, cm1);
      }
    } else if (left) {
      // t = dst:src (:dst for 16-bit), most significant first; result = the top `bits` of t << n.
      const t = size === 2 ? b.or(b.or(b.shli(v, 32), b.shli(src, 16)), v) : b.or(b.shli(v, 32), src);
      const tb = size === 2 ? 48 : 64;
      r = b.shrUi(b.shl(t, count), tb - bits);
      last = b.shrUi(b.shl(t, cm1), tb - bits);
    } else {
      // t = src:dst (dst:src:dst for 16-bit) as a little-endian string; result = low bits of t >> n.
      const t = size === 2 ? b.or(b.or(b.shli(v, 32), b.shli(src, 16)), v) : b.or(b.shli(src, 32), v);
      r = b.shrU(t, count);
      last = b.shrU(t, cm1);
    }
    r = zext(b, r, size);
    write(ctx, d, r);
    if (!left) {
      // OF = MSB(dest) ^ LSB(src) for every count (SDM for 1, Intel for more): put the bit
      // that makes the SAR CcOp's sign(ccSrc ^ result) say so; CF (bit 0) is unaffected.
      const sign = signMask(b, size);
      const want = b.xor(b.xor(b.and(v, sign), b.and(r, sign)), b.select(b.trunc(b.andi(src, 1)), sign, b.i64(0)));
      last = b.or(b.and(last, b.not(sign)), want);
    }
    setCc(ctx, ccOp(left ? CcKind.SHL : CcKind.SAR, size), r, last);
    b.setLabel(skip);
    ctx.ccOp = -1;
  };
}

/** MOVBE: a load or store with the bytes reversed (no flags). */
function MOVBE(ctx: X86Ctx): void {
  const d = operand(ctx, 0), s = operand(ctx, 1);
  write(ctx, d, byteSwap(ctx.b, read(ctx, s), s.size));
}

const CRC32C_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** crc32c(crc, lo, hi, bytes): CRC-32C of the low `bytes` bytes of hi:lo, no pre/post inversion. */
const crc32Helper = cpuHelper("crc32c", [IrType.I32, IrType.I32, IrType.I32, IrType.I32], IrType.I32,
  HelperFlag.NO_READ_GLOBALS | HelperFlag.NO_WRITE_GLOBALS, (_cpu, crc, lo, hi, bytes) => {
    let c = crc >>> 0;
    for (let i = 0; i < bytes; i++) {
      const byte = (i < 4 ? lo >>> (i * 8) : hi >>> ((i - 4) * 8)) & 0xff;
      c = (CRC32C_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)) >>> 0;
    }
    return c | 0;
  });

/** CRC32 r32/r64, r/m: accumulate; the 64-bit form zero-extends its 32-bit result. */
function CRC32(ctx: X86Ctx): void {
  const b = ctx.b;
  const d = operand(ctx, 0), s = operand(ctx, 1);
  const v = read(ctx, s);
  const crc = b.trunc(read(ctx, d));
  const r = b.callValue(crc32Helper, [crc, b.trunc(v), b.trunc(b.shrUi(v, 32)), b.i32(s.size)]);
  if (d.op.kind !== "reg") throw new Error("CRC32 needs a register destination");
  writeGpr(ctx, d.op.reg, 4, b.extu(r));
}

export const bitSemantics: SemanticsTable = {
  BT: bt("BT"), BTS: bt("BTS"), BTR: bt("BTR"), BTC: bt("BTC"),
  BSF: bitScan(false), BSR: bitScan(true), TZCNT: countZeros(false), LZCNT: countZeros(true), POPCNT,
  SHLD: doubleShift(true), SHRD: doubleShift(false), MOVBE, CRC32,
};
