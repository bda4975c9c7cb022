/**
 * The IR: typed, TCG-shaped, target-independent. Instruction semantics (src/cpu/semantics)
 * emit it through IrBuilder; every execution tier renders it (src/jit/wasm today). Nothing
 * here knows x86: the IR talks about i32/i64 temps, CPU-state offsets ("env"), guest memory
 * accesses through the softmmu, forward labels, helper calls and block exits.
 *
 * Conventions (docs/ARCHITECTURE.md "IR"):
 *  - Temps are virtual registers of a fixed type; they may be assigned many times.
 *  - Labels are forward-only: a branch always targets a label placed later in the same unit.
 *    Loops (REP string instructions) end the block and re-enter it, as QEMU does.
 *  - `insn_start(pc)` opens each guest instruction; a fault exits with RIP = that pc, and all
 *    guest-visible state written before the fault by that instruction must be idempotent
 *    (semantics do loads and faulting stores before updating registers).
 *  - Guest memory accesses name their size, signedness and MMU index; addresses are i64
 *    linear addresses (segment base already added by the semantics).
 */

/** Temp types. F32/F64/V128 (simd.ts) are for floating point and 128-bit vectors. */
import type { FBinOp, FConvOp, FCond, FUnOp, SimdOp } from "./simd.js";

export const enum IrType { I32 = 0, I64 = 1, F32 = 2, F64 = 3, V128 = 4 }

export interface Temp {
  readonly id: number;
  readonly type: IrType;
}

export interface Label {
  readonly id: number;
}

export type Cond = "eq" | "ne" | "lt_s" | "lt_u" | "le_s" | "le_u" | "gt_s" | "gt_u" | "ge_s" | "ge_u";

export type BinOp =
  | "add" | "sub" | "mul" | "and" | "or" | "xor" | "shl" | "shr_u" | "shr_s" | "rotl" | "rotr"
  | "div_s" | "div_u" | "rem_s" | "rem_u";

export type UnOp =
  | "neg" | "not" | "clz" | "ctz" | "popcnt" | "eqz"
  | "ext8s" | "ext16s" | "ext32s" | "ext8u" | "ext16u" | "ext32u";

/** Conversions between the two integer types. */
export type ConvOp = "extu_i32_i64" | "exts_i32_i64" | "trunc_i64_i32";

/**
 * Access sizes in bytes. 16 is for V128 only; a V128 access of 4 or 8 bytes loads into lane 0
 * and zeroes the rest (load32_zero/load64_zero), or stores lane 0.
 */
export type MemSize = 1 | 2 | 4 | 8 | 16;

/** Why a translated block returned to the dispatcher. */
export const enum TbExit {
  /** RIP holds the next instruction; keep dispatching. */
  NEXT = 0,
  /** An exception is pending in the run words (RunWord.EXC_*), RIP at the faulting insn. */
  FAULT = 1,
  /** The instruction budget ran out or an exit was requested (interrupt, timer, device). */
  REQUEST = 2,
  /** HLT executed: RIP is after it. */
  HALT = 3,
  /** The dispatcher found no translation for RIP (returned by the dispatcher only). */
  MISS = 4,
}

/**
 * The slow paths' size/MMU argument: size in bits 0-3, MMU index (0/1) in bit 4, the stack flag
 * in bit 5 (every value stays below 64: a one-byte i32.const in the generated code).
 */
export const enum SizeMmu { SIZE_MASK = 0xf, MMU_SHIFT = 4, MMU_MASK = 0x10, STACK = 0x20 }

/** What the softmmu slow paths return to generated code. */
export const enum SlowStatus { OK = 0, FAULT = 1, CODE_INVALIDATED = 2 }

export type IrOp =
  | { op: "movi"; dst: Temp; lo: number; hi: number }
  | { op: "mov"; dst: Temp; src: Temp }
  | { op: "bin"; kind: BinOp; dst: Temp; a: Temp; b: Temp }
  | { op: "un"; kind: UnOp; dst: Temp; a: Temp }
  | { op: "conv"; kind: ConvOp; dst: Temp; a: Temp }
  | { op: "setcond"; cond: Cond; dst: Temp; a: Temp; b: Temp }
  | { op: "select"; dst: Temp; cond: Temp; a: Temp; b: Temp }
  | { op: "ld_env"; dst: Temp; offset: number; size: MemSize; signed: boolean }
  | { op: "st_env"; src: Temp; offset: number; size: MemSize }
  /**
   * Guest linear-address load/store through the softmmu TLB (mmuIdx 0 supervisor, 1 user).
   * `stack`: the access goes through the stack segment, so the slow path reports a
   * non-canonical address as a stack fault (x86 #SS) rather than #GP.
   */
  | { op: "ld_guest"; dst: Temp; addr: Temp; size: MemSize; signed: boolean; mmuIdx: number; stack: boolean }
  | { op: "st_guest"; src: Temp; addr: Temp; size: MemSize; mmuIdx: number; stack: boolean }
  | { op: "brcond"; cond: Cond; a: Temp; b: Temp; label: Label }
  | { op: "br"; label: Label }
  | { op: "label"; label: Label }
  | { op: "call"; helper: HelperDecl; args: Temp[]; dst: Temp | null }
  | { op: "insn_start"; pc: number; len: number }
  /** Leave the unit with this exit code (RIP must already be stored). Only in TB units. */
  | { op: "exit"; code: TbExit }
  /** Raise a guest exception at the current instruction: vector, error code temp or null. */
  | { op: "raise"; vector: number; error: Temp | null }
  /** Return a value from a function unit (non-TB units only). */
  | { op: "ret"; value: Temp | null }
  // ---- floating point and vectors (simd.ts)
  | { op: "fbin"; kind: FBinOp; dst: Temp; a: Temp; b: Temp }
  | { op: "fun"; kind: FUnOp; dst: Temp; a: Temp }
  | { op: "fcmp"; cond: FCond; dst: Temp; a: Temp; b: Temp }
  | { op: "fconv"; kind: FConvOp; dst: Temp; a: Temp }
  /** A V128 constant from four little-endian i32 words. */
  | { op: "vconst"; dst: Temp; words: readonly [number, number, number, number] }
  | { op: "simd"; kind: SimdOp; dst: Temp; args: readonly Temp[]; lane: number }
  /** Byte shuffle of the 32 bytes a:b (lanes 0..15 from a, 16..31 from b). */
  | { op: "shuffle"; dst: Temp; a: Temp; b: Temp; lanes: readonly number[] };

/** Effects of a helper, QEMU DEF_HELPER_FLAGS-style: what the backend may assume. */
export const enum HelperFlag {
  NONE = 0,
  /** Does not read guest registers from CPU state (cached values need no write-back). */
  NO_READ_GLOBALS = 1 << 0,
  /** Does not write guest state. */
  NO_WRITE_GLOBALS = 1 << 1,
  /** May raise a guest exception (the backend checks RunWord.EXC_VECTOR afterwards). */
  CAN_FAULT = 1 << 2,
  /** May change mode, paging or code: the block exits after the instruction (RIP = next). */
  END_BLOCK = 1 << 3,
}

/** A helper's declaration: the single source for its import type and IR call typing. */
export interface HelperDecl {
  readonly name: string;
  readonly params: readonly IrType[];
  readonly result: IrType | null;
  readonly flags: number;
}

/** A unit of IR: a translated block, or a runtime function built from the same IR. */
export interface IrUnit {
  readonly name: string;
  /** Parameter temps (runtime functions only; a TB takes none and returns a TbExit). */
  readonly params: readonly Temp[];
  readonly result: IrType | null;
  readonly kind: "tb" | "function";
  readonly ops: readonly IrOp[];
  readonly tempTypes: readonly IrType[];
  readonly labelCount: number;
}
