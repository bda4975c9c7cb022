/**
 * The translation context semantics receive (QEMU's DisasContext): the IR builder, the decoded
 * instruction, the mode bits of the block, the statically known CcOp, and how the block ends.
 * Plus the generic operand plumbing every semantic function uses: register and memory
 * operand reads and writes, effective addresses with segment bases and the segment limit and
 * type checks of the accesses made through them, stack pushes and pops.
 *
 * Segment checks (SDM vol 3 5.3, 5.4): `addSegBase` forms every linear address of an ordinary
 * data access. Where hflags mark the segment as checked (HFlag.SEGCHK: legacy or compatibility
 * mode and not a flat 4 GiB read/write segment) it records the address temp with its segment
 * and offset; the builder's guest-access hook (`segmentAccess`) then emits, right before the
 * load or store, offset >= lo && offset + size - 1 <= hi against the segment's read or write
 * bounds in CPU state (SEG_BOUNDS), raising #SS(0) for SS and #GP(0) otherwise. Flat segments and
 * 64-bit code get no check, so their code is unchanged. In 64-bit code SS-relative accesses are
 * flagged `stack` so a non-canonical address is #SS(0).
 */

import type { IrBuilder } from "../../jit/ir/builder.js";
import { IrType, TbExit, type Temp } from "../../jit/ir/types.js";
import { Seg, RIP_BASE, type DecodedInsn, type Operand } from "../decode/insn.js";
import { sext, zext, type CcOp } from "../flags.js";
import type { MemSize } from "../../jit/ir/types.js";
import { HFlag, SegBound, SegIndex, SegOff, StateOff, gprOff, segBoundOff, segOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";

export type OpSize = 1 | 2 | 4 | 8;

export interface X86Ctx {
  readonly b: IrBuilder;
  insn: DecodedInsn;
  readonly hflags: number;
  /** 0 supervisor, 1 user (CPL 3). */
  readonly mmuIdx: number;
  /** The CcOp in CPU state, when known at translate time; -1 when only the runtime knows. */
  ccOp: CcOp | -1;
  /** Set by semantics that emitted the block's final exit (jumps, mode changes, HLT). */
  ended: boolean;
  /**
   * Static successors: PCs this block may continue at, known at translate time (direct branch
   * targets, fall-throughs, return points after calls). The JIT translates them ahead to batch
   * several blocks into one Wasm module.
   */
  readonly successors: number[];
  /**
   * CS base outside 64-bit code. Decoded PCs are linear addresses; RIP, branch targets and
   * pushed return addresses are offsets in CS, so they subtract it.
   */
  readonly csBase: number;
  /**
   * CS limit outside 64-bit code (part of the block key): code fetch beyond it and near
   * branches to targets beyond it fault with #GP(0). 0xFFFFFFFF (or 64-bit code): no checks.
   */
  readonly csLimit: number;
  /** Linear-address temps of checked (or stack) segment accesses: see segmentAccess. */
  readonly segRefs: Map<Temp, SegRef>;
}

/** How a linear address was formed: its segment and offset, and whether accesses are checked. */
export interface SegRef {
  readonly seg: Seg;
  readonly offset: Temp;
  readonly check: boolean;
}

export const code64 = (ctx: X86Ctx): boolean => (ctx.hflags & HFlag.CS64) !== 0;
/** RIP after this instruction (an offset in CS; equal to the linear address in 64-bit code). */
export const nextPc = (ctx: X86Ctx): number => ctx.insn.pc + ctx.insn.len - ctx.csBase;

/** Stack-pointer width: 8 in 64-bit code, else SS.B ? 4 : 2. */
export const stackSize = (ctx: X86Ctx): 2 | 4 | 8 => (code64(ctx) ? 8 : ctx.hflags & HFlag.SS32 ? 4 : 2);

// ---- general-purpose registers (values are i64 temps, zero-extended from `size`)
export function readGpr(ctx: X86Ctx, reg: number, size: OpSize, high8 = false): Temp {
  const b = ctx.b;
  if (high8) return b.ldEnv(IrType.I64, gprOff(reg) + 1, 1);
  return b.ldEnv(IrType.I64, gprOff(reg), size);
}

/** Write a GPR with x86 rules: 32-bit writes zero the upper half, 8/16-bit writes merge. */
export function writeGpr(ctx: X86Ctx, reg: number, size: OpSize, value: Temp, high8 = false): void {
  const b = ctx.b;
  const v = b.toType(value, IrType.I64);
  if (high8) b.stEnv(v, gprOff(reg) + 1, 1);
  else if (size === 4) b.stEnv(b.un("ext32u", v), gprOff(reg), 8);
  else b.stEnv(v, gprOff(reg), size);
}

export function setRip(ctx: X86Ctx, target: Temp | number): void {
  const b = ctx.b;
  b.stEnv(typeof target === "number" ? b.i64(target) : b.toType(target, IrType.I64), StateOff.RIP);
}

/** End the block: RIP already stored (or `target`), return to the dispatcher. */
export function endBlock(ctx: X86Ctx, target?: Temp | number, code: TbExit = TbExit.NEXT): void {
  if (target !== undefined) setRip(ctx, target);
  if (typeof target === "number" && code === TbExit.NEXT) ctx.successors.push(target);
  ctx.b.exit(code);
  ctx.ended = true;
}

/**
 * Add a segment base where the mode needs it (64-bit: FS/GS only; legacy: when non-flat), and
 * record the address for the limit/type checks of the accesses made through it.
 */
function addSegBase(ctx: X86Ctx, addr: Temp, seg: Seg): Temp {
  const b = ctx.b;
  const needBase = seg === Seg.FS || seg === Seg.GS || (!code64(ctx) && ((ctx.hflags & HFlag.ADDSEG) !== 0 || seg === Seg.CS));
  let a = addr;
  if (needBase) a = b.add(a, b.ldEnv(IrType.I64, segOff(seg as number as SegIndex, SegOff.BASE)));
  if (code64(ctx)) {
    if (seg === Seg.SS) ctx.segRefs.set(a, { seg, offset: addr, check: false });
    return a;
  }
  // Outside 64-bit code linear addresses are 32 bits wide.
  a = b.un("ext32u", a);
  if (ctx.hflags & (HFlag.SEGCHK << seg)) ctx.segRefs.set(a, { seg, offset: addr, check: true });
  return a;
}

/**
 * The linear address `n` bytes after `addr` (the second part of a far pointer, a descriptor-table
 * pseudo-descriptor, BOUND's upper bound...): accesses through it are checked like `addr`'s.
 */
export function addrPlus(ctx: X86Ctx, addr: Temp, n: number): Temp {
  const b = ctx.b;
  const a = b.addi(addr, n);
  const r = ctx.segRefs.get(addr);
  if (r) ctx.segRefs.set(a, { ...r, offset: b.addi(r.offset, n) });
  return a;
}

/**
 * IrBuilder.onGuestAccess for x86 blocks: before an access through an address recorded by
 * addSegBase, check the offset range against the segment's bounds (see the header). Returns
 * the access's `stack` flag.
 */
export function segmentAccess(ctx: X86Ctx, addr: Temp, size: MemSize, write: boolean): boolean {
  const r = ctx.segRefs.get(addr);
  if (!r) return false;
  if (r.check) {
    const b = ctx.b;
    const lo = b.ldEnv(IrType.I64, segBoundOff(r.seg, write ? SegBound.WRITE_LO : SegBound.READ_LO), 4);
    const hi = b.ldEnv(IrType.I64, segBoundOff(r.seg, write ? SegBound.WRITE_HI : SegBound.READ_HI), 4);
    const end = size > 1 ? b.addi(r.offset, size - 1) : r.offset;
    const bad = b.or(b.setcond("lt_u", r.offset, lo), b.setcond("gt_u", end, hi));
    const ok = b.label();
    b.brcond("eq", bad, b.i32(0), ok);
    b.raise(r.seg === Seg.SS ? Vec.SS : Vec.GP, b.i32(0));
    b.setLabel(ok);
  }
  return r.seg === Seg.SS;
}

/**
 * A near branch to `target` (an offset in CS): #GP(0) at the branch if it lies beyond the CS
 * limit (SDM JMP/Jcc/CALL/RET). Emits nothing in 64-bit code, under a 4 GiB limit, or for a
 * constant target within the limit.
 */
export function checkBranchTarget(ctx: X86Ctx, target: Temp | number): void {
  if (code64(ctx) || ctx.csLimit >= 0xffffffff) return;
  if (typeof target === "number" && target <= ctx.csLimit) return;
  const b = ctx.b;
  const ok = b.label();
  b.brcond("le_u", typeof target === "number" ? b.i64(target) : b.toType(target, IrType.I64), b.i64(ctx.csLimit), ok);
  b.raise(Vec.GP, b.i32(0));
  b.setLabel(ok);
}

/** Effective address of a memory operand, before the segment base (truncated to addrSize). */
export function effectiveOffset(ctx: X86Ctx, op: Extract<Operand, { kind: "mem" }>): Temp {
  const b = ctx.b;
  if (op.base === RIP_BASE) return b.i64(op.disp);
  let a: Temp | null = null;
  if (op.base >= 0) a = readGpr(ctx, op.base, 8);
  if (op.index >= 0) {
    let idx = readGpr(ctx, op.index, 8);
    if (op.scale !== 1) idx = b.shli(idx, op.scale === 2 ? 1 : op.scale === 4 ? 2 : 3);
    a = a ? b.add(a, idx) : idx;
  }
  if (op.disp !== 0 || !a) a = a ? b.addi(a, op.disp) : b.i64(op.disp);
  return op.addrSize === 8 ? a : zext(b, a, op.addrSize);
}

/** Linear address of a memory operand (segment base included). */
export function linearAddress(ctx: X86Ctx, op: Extract<Operand, { kind: "mem" }>): Temp {
  return addSegBase(ctx, effectiveOffset(ctx, op), op.seg);
}

/** Linear address of `offset` (already truncated) in segment `seg`. */
export function segAddress(ctx: X86Ctx, seg: Seg, offset: Temp): Temp {
  return addSegBase(ctx, offset, seg);
}

export function loadMem(ctx: X86Ctx, addr: Temp, size: OpSize, signed = false): Temp {
  return ctx.b.ldGuest(IrType.I64, addr, size, ctx.mmuIdx, signed);
}
export function storeMem(ctx: X86Ctx, addr: Temp, size: OpSize, value: Temp): void {
  ctx.b.stGuest(ctx.b.toType(value, IrType.I64), addr, size, ctx.mmuIdx);
}

function opSize(op: Operand): OpSize {
  if (op.kind === "reg" || op.kind === "imm") return op.size;
  if (op.kind === "mem") return op.size as OpSize;
  return 8;
}

/**
 * A resolved operand for read-modify-write: the memory address is computed once, so the
 * load and the later store use the same address even if the instruction changes registers.
 */
export interface OperandRef {
  readonly op: Operand;
  readonly size: OpSize;
  readonly addr: Temp | null;
}

export function ref(ctx: X86Ctx, op: Operand): OperandRef {
  return { op, size: opSize(op), addr: op.kind === "mem" ? linearAddress(ctx, op) : null };
}

/** Read an operand as an i64 zero-extended from its size (immediates: as decoded). */
export function read(ctx: X86Ctx, r: OperandRef): Temp {
  const b = ctx.b, op = r.op;
  switch (op.kind) {
    case "reg": return readGpr(ctx, op.reg, op.size, op.high8);
    case "mem": return loadMem(ctx, r.addr!, r.size);
    case "imm": return zext(b, b.i64Parts(op.lo, op.hi), op.size);
    case "rel": return b.i64(op.target);
    default: throw new Error(`operand kind ${op.kind} has no generic read`);
  }
}

/** Read an operand sign-extended to 64 bits. */
export function readSigned(ctx: X86Ctx, r: OperandRef): Temp {
  return sext(ctx.b, read(ctx, r), r.size);
}

export function write(ctx: X86Ctx, r: OperandRef, value: Temp): void {
  const op = r.op;
  if (op.kind === "reg") writeGpr(ctx, op.reg, op.size, value, op.high8);
  else if (op.kind === "mem") storeMem(ctx, r.addr!, r.size, value);
  else throw new Error(`operand kind ${op.kind} is not writable`);
}

/** The operand i (0-based) as a ref; a missing operand is a decoder/semantics mismatch. */
export function operand(ctx: X86Ctx, i: number): OperandRef {
  const op = ctx.insn.operands[i];
  if (!op) throw new Error(`${ctx.insn.mnemonic}: missing operand ${i}`);
  return ref(ctx, op);
}

// ---- stack
/** Push `value` (size bytes): store first, then update RSP, so a fault leaves RSP intact. */
export function push(ctx: X86Ctx, value: Temp, size: OpSize): void {
  const b = ctx.b;
  const ss = stackSize(ctx);
  const sp = readGpr(ctx, 4, ss);
  const newSp = zext(b, b.addi(sp, -size), ss);
  storeMem(ctx, segAddress(ctx, Seg.SS, newSp), size, value);
  writeGpr(ctx, 4, ss, newSp);
}

/** Pop `size` bytes; returns the value. RSP is updated by `popCommit` after all faults. */
export function popPeek(ctx: X86Ctx, size: OpSize, extraOffset = 0): Temp {
  const b = ctx.b;
  const ss = stackSize(ctx);
  let sp = readGpr(ctx, 4, ss);
  if (extraOffset) sp = zext(b, b.addi(sp, extraOffset), ss);
  return loadMem(ctx, segAddress(ctx, Seg.SS, sp), size);
}
export function popCommit(ctx: X86Ctx, bytes: number): void {
  const b = ctx.b;
  const ss = stackSize(ctx);
  writeGpr(ctx, 4, ss, zext(b, b.addi(readGpr(ctx, 4, ss), bytes), ss));
}

/** Store the lazy-flag inputs and record the CcOp. */
export function setCc(ctx: X86Ctx, op: CcOp, dst: Temp, src?: Temp, src2?: Temp): void {
  const b = ctx.b;
  b.stEnv(dst, StateOff.CC_DST);
  if (src) b.stEnv(src, StateOff.CC_SRC);
  if (src2) b.stEnv(src2, StateOff.CC_SRC2);
  if (ctx.ccOp !== op) b.stEnv(b.i32(op), StateOff.CC_OP);
  ctx.ccOp = op;
}
