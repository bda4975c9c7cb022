/**
 * Operand decoding, generic over the SDM operand codes of a compiled table entry: ModRM/SIB
 * memory addressing (SDM vol. 2 2.1.5 Tables 2-1..2-3, 2.2.1 REX, 2.2.1.6 RIP-relative),
 * register operands, immediates (sign extension per Appendix A: Iz to 64 bits, Ib "bs"),
 * moffs, relative targets and far pointers. Called by decoder.ts after the opcode, ModRM
 * and effective operand/address sizes are known.
 */

import { OT, SZ, type Entry, type OpSpec } from "./compile.js";
import { Prefix, RIP_BASE, Seg, type CodeMode, type Operand, type OpSize } from "./insn.js";

/** The decoder state operands read (implemented by Decoder). */
export interface OperandState {
  readonly pc: number;
  readonly len: number;
  readonly mode: CodeMode;
  readonly rex: number;
  readonly prefixes: number;
  readonly segOverride: number;
  readonly opSize: 2 | 4 | 8;
  readonly addrSize: 2 | 4 | 8;
  readonly modrm: number;
  /** The opcode byte (its low 3 bits name the register of "+r" forms). */
  readonly opcode: number;
  fetch(): number;
  fetchS(size: number): number;
}

/** Resolve a size code against the effective operand size (SDM A.2.2). */
function sizeOf(s: SZ | number, opSize: 2 | 4 | 8, rexW: boolean): OpSize {
  switch (s) {
    case SZ.B: return 1;
    case SZ.W: return 2;
    case SZ.D: case SZ.SS: return 4;
    case SZ.Q: case SZ.SD: case SZ.PI: return 8;
    case SZ.V: case SZ.BS: return opSize;
    case SZ.Z: return opSize === 2 ? 2 : 4;
    case SZ.Y: return opSize === 8 ? 8 : 4;
    case SZ.X: return 16;
    case SZ.T: return 10;
    case SZ.P: return opSize === 2 ? 4 : opSize === 4 ? 6 : 10;
    case SZ.A: return opSize === 2 ? 4 : 8;
    case SZ.QDQ: return rexW ? 16 : 8;
    default: return 0;
  }
}

/*
 * Register operands are immutable values with few possible contents, so they are interned:
 * decoding a register operand allocates nothing (insn.ts: operands are shared, read-only).
 */
const SIZE_INDEX: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };
const GPRS: readonly Operand[] = Array.from({ length: 64 }, (_, i) =>
  Object.freeze({ kind: "reg", reg: i >> 2, size: ([1, 2, 4, 8] as const)[i & 3] ?? 8, high8: false }));
const HIGH8: readonly Operand[] = [0, 1, 2, 3].map((r) => Object.freeze({ kind: "reg", reg: r, size: 1, high8: true }));
const XMM_SIZES: readonly OpSize[] = [0, 1, 2, 4, 6, 8, 10, 16];
const XMM_INDEX: readonly number[] = XMM_SIZES.reduce<number[]>((a, sz, i) => { a[sz] = i; return a; }, []);
const XMMS: readonly Operand[] = Array.from({ length: 16 * 8 }, (_, i) =>
  Object.freeze({ kind: "xmm", reg: i >> 3, size: XMM_SIZES[i & 7] ?? 16 }));
const MMXS: readonly Operand[] = Array.from({ length: 8 }, (_, i) => Object.freeze({ kind: "mmx", reg: i }));
const STS: readonly Operand[] = Array.from({ length: 8 }, (_, i) => Object.freeze({ kind: "st", reg: i }));
const SREGS: readonly Operand[] = Array.from({ length: 6 }, (_, i) => Object.freeze({ kind: "sreg", reg: i as Seg }));
const ONE: Operand = Object.freeze({ kind: "imm", size: 1, lo: 1, hi: 0 });

function gpr(reg: number, size: OpSize, rex: number): Operand {
  if (size === 1 && rex === 0 && reg >= 4 && reg < 8) return HIGH8[reg - 4] as Operand;
  return GPRS[reg * 4 + (SIZE_INDEX[size] ?? 3)] as Operand;
}

function xmm(reg: number, size: OpSize): Operand {
  return XMMS[reg * 8 + (XMM_INDEX[size] ?? 7)] as Operand;
}

function imm(value: number, size: 1 | 2 | 4 | 8): Operand {
  // value is a sign-extended int32 (or a zero-extended small value); mask it to size.
  if (size === 8) return { kind: "imm", size, lo: value >>> 0, hi: value < 0 ? 0xffffffff : 0 };
  const lo = size === 4 ? value >>> 0 : size === 2 ? value & 0xffff : value & 0xff;
  return { kind: "imm", size, lo, hi: 0 };
}

/** Decoded ModRM memory address (before the operand's size is known). */
interface Addr { base: number; index: number; scale: 1 | 2 | 4 | 8; disp: number; seg: Seg }

const BASE16 = [3, 3, 5, 5, 6, 7, 5, 3];
const INDEX16 = [6, 7, 6, 7, -1, -1, -1, -1];

/** Work variable reused by every decode (xterm-style scratch; decoding is not reentrant). */
const scratch: Addr = { base: -1, index: -1, scale: 1, disp: 0, seg: Seg.DS };

function decodeAddr(st: OperandState): Addr {
  const modrm = st.modrm, mod = modrm >> 6, rm = modrm & 7;
  let base: number, index = -1, scale: 1 | 2 | 4 | 8 = 1, disp = 0;
  if (st.addrSize === 2) {
    base = BASE16[rm] ?? -1;
    index = INDEX16[rm] ?? -1;
    if (mod === 0 && rm === 6) { base = -1; disp = st.fetchS(2); }
  } else {
    const rex = st.rex;
    if (rm === 4) {
      const sib = st.fetch();
      scale = (1 << (sib >> 6)) as 1 | 2 | 4 | 8;
      const idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
      index = idx === 4 ? -1 : idx;
      base = (sib & 7) | ((rex & 1) << 3);
      if ((sib & 7) === 5 && mod === 0) { base = -1; disp = st.fetchS(4); }
    } else if (rm === 5 && mod === 0) {
      base = st.mode === 64 ? RIP_BASE : -1;
      disp = st.fetchS(4);
    } else {
      base = rm | ((rex & 1) << 3);
    }
  }
  if (mod === 1) disp = st.fetchS(1);
  else if (mod === 2) disp = st.fetchS(st.addrSize === 2 ? 2 : 4);
  const a = scratch;
  a.base = base; a.index = index; a.scale = scale; a.disp = disp;
  a.seg = st.segOverride >= 0 ? st.segOverride : base === 4 || base === 5 ? Seg.SS : Seg.DS;
  return a;
}

function mem(a: Addr, size: OpSize, addrSize: 2 | 4 | 8): Operand {
  return { kind: "mem", size, seg: a.seg, base: a.base, index: a.index, scale: a.scale, disp: a.disp, addrSize };
}

/** Truncate an instruction-pointer value to the operand size (SDM Jcc: "IP/EIP wraps"). */
function truncIp(v: number, size: number): number {
  return size === 2 ? v & 0xffff : size === 4 ? v >>> 0 : v;
}

/** Per-instruction values shared by the operands of one instruction (work variables). */
interface Ctx { addr: Addr | null; end: number; csBase: number; rexW: boolean }
const ctx: Ctx = { addr: null, end: 0, csBase: 0, rexW: false };

/**
 * Decode all operands of `e`. Returns the operand list, or a #UD reason. Fetches the SIB,
 * displacement and immediates. The list is built as an exact-length literal (no push growth).
 */
export function decodeOperands(st: OperandState, e: Entry, csBase: number): Operand[] | string {
  const { modrm, opSize, addrSize } = st;
  const ops = e.ops;
  const addr = modrm >= 0 && modrm < 0xc0 && !e.regForm ? decodeAddr(st) : null;
  const end = st.len + e.immFixed + e.immZ * (opSize === 2 ? 2 : 4) + e.immV * opSize + e.immO * addrSize + e.immA * (opSize === 2 ? 4 : 6);
  if (addr && addr.base === RIP_BASE) addr.disp = truncIp(st.pc + end + addr.disp, addrSize);
  ctx.addr = addr; ctx.end = end; ctx.csBase = csBase; ctx.rexW = (st.rex & 8) !== 0;
  const n = ops.length;
  if (n === 0) return [];
  const a = one(st, ops[0] as OpSpec);
  if (typeof a === "string") return a;
  if (n === 1) return [a];
  const b = one(st, ops[1] as OpSpec);
  if (typeof b === "string") return b;
  if (n === 2) return [a, b];
  const c = one(st, ops[2] as OpSpec);
  if (typeof c === "string") return c;
  return [a, b, c];
}

/** Decode one operand, or return a #UD reason. */
function one(st: OperandState, o: OpSpec): Operand | string {
  const { modrm, rex, opSize, addrSize } = st;
  const { addr, end, csBase, rexW } = ctx;
  const reg = (modrm >> 3) & 7, rm = modrm & 7;
  let r: Operand;
  switch (o.t) {
    case OT.E: case OT.W: case OT.Q: case OT.M: case OT.U: case OT.N: case OT.R:
      if (addr) {
        if (o.ms < 0) return "register operand required";
        r = mem(addr, sizeOf(o.ms, opSize, rexW), addrSize);
      } else if (o.t === OT.M) {
        return "memory operand required";
      } else if (o.t === OT.E || o.t === OT.R) {
        r = gpr(rm | ((rex & 1) << 3), sizeOf(o.s, opSize, rexW), rex);
      } else if (o.t === OT.Q || o.t === OT.N) {
        r = MMXS[rm] as Operand;
      } else {
        r = xmm(rm | ((rex & 1) << 3), sizeOf(o.s, opSize, rexW));
      }
      break;
    case OT.G: r = gpr(reg | ((rex & 4) << 1), sizeOf(o.s, opSize, rexW), rex); break;
    case OT.V: r = xmm(reg | ((rex & 4) << 1), sizeOf(o.s, opSize, rexW)); break;
    case OT.P: r = MMXS[reg] as Operand; break;
    case OT.S:
      if (reg > 5) return "reserved segment register";
      r = SREGS[reg] as Operand;
      break;
    case OT.C: {
      const n = reg | ((rex & 4) << 1);
      if (n !== 0 && n !== 2 && n !== 3 && n !== 4 && n !== 8) return "reserved control register";
      r = { kind: "creg", reg: n };
      break;
    }
    case OT.D:
      if (rex & 4) return "reserved debug register";
      r = { kind: "dreg", reg };
      break;
    case OT.I: {
      if (o.s === SZ.B) r = imm(st.fetch(), 1);
      else if (o.s === SZ.W) r = imm(st.fetch() | (st.fetch() << 8), 2);
      else if (o.s === SZ.BS) r = imm(st.fetchS(1), opSize);
      else if (o.s === SZ.V && opSize === 8) {
        const lo = st.fetchS(4) >>> 0, hi = st.fetchS(4) >>> 0;
        r = { kind: "imm", size: 8, lo, hi };
      } else if (o.s === SZ.V) r = imm(st.fetchS(opSize), opSize);
      else r = imm(st.fetchS(opSize === 2 ? 2 : 4), opSize); // Iz, sign-extended to 64 bits
      break;
    }
    case OT.J: {
      const d = st.fetchS(o.s === SZ.B ? 1 : opSize === 2 ? 2 : 4);
      r = { kind: "rel", target: truncIp(st.pc - csBase + end + d, st.mode === 64 && opSize === 8 ? 8 : opSize) };
      break;
    }
    case OT.O: {
      let off: number;
      if (addrSize === 8) { const lo = st.fetchS(4) >>> 0; off = st.fetchS(4) * 0x100000000 + lo; } else off = addrSize === 2 ? st.fetchS(2) & 0xffff : st.fetchS(4) >>> 0;
      r = { kind: "mem", size: sizeOf(o.s, opSize, rexW), seg: st.segOverride >= 0 ? st.segOverride : Seg.DS, base: -1, index: -1, scale: 1, disp: off, addrSize };
      break;
    }
    case OT.A: {
      const offset = opSize === 2 ? st.fetchS(2) & 0xffff : st.fetchS(4) >>> 0;
      r = { kind: "far", offset, selector: st.fetchS(2) & 0xffff };
      break;
    }
    case OT.X:
      r = { kind: "mem", size: sizeOf(o.s, opSize, rexW), seg: st.segOverride >= 0 ? st.segOverride : Seg.DS, base: 6, index: -1, scale: 1, disp: 0, addrSize };
      break;
    case OT.Y:
      r = { kind: "mem", size: sizeOf(o.s, opSize, rexW), seg: Seg.ES, base: 7, index: -1, scale: 1, disp: 0, addrSize };
      break;
    case OT.Z: r = gpr((st.prefixes & Prefix.REX ? (rex & 1) << 3 : 0) | (st.opcode & 7), sizeOf(o.s, opSize, rexW), rex); break;
    case OT.FIXREG: r = gpr(o.fixed, sizeOf(o.s, opSize, rexW), 1); break;
    case OT.FIXSEG: r = SREGS[o.fixed] as Operand; break;
    case OT.ONE: r = ONE; break;
    case OT.ST0: r = STS[0] as Operand; break;
    default: r = STS[rm] as Operand; break; // OT.STI
  }
  return r;
}
