/**
 * IrBuilder: the only way semantics create IR. Value-returning helpers (`add(a, b)`) allocate
 * a fresh temp per result, which keeps semantics short (QEMU gen_* style) and lets the backend
 * map temps to Wasm locals one to one.
 */

import { EmulatorBug } from "../../common/errors.js";
import { FCONV_SIG, SIMD_SIG, type FBinOp, type FCond, type FConvOp, type FUnOp, type SimdOp } from "./simd.js";
import {
  IrType, type BinOp, type Cond, type ConvOp, type HelperDecl, type IrOp, type IrUnit, type Label,
  type MemSize, type Temp, type TbExit, type UnOp,
} from "./types.js";

const TWO32 = 4294967296;

/** Default access size of each temp type. */
const NATURAL_SIZE: Record<IrType, MemSize> = { [IrType.I32]: 4, [IrType.I64]: 8, [IrType.F32]: 4, [IrType.F64]: 8, [IrType.V128]: 16 };

/** Split a safe integer (possibly negative) into two's-complement 32-bit halves. */
export function splitI64(n: number): { lo: number; hi: number } {
  const hi = Math.floor(n / TWO32);
  return { lo: (n - hi * TWO32) | 0, hi: hi | 0 };
}

export class IrBuilder {
  readonly ops: IrOp[] = [];
  private readonly _types: IrType[] = [];
  private readonly _params: Temp[] = [];
  private _labels = 0;
  /**
   * The front end's hook, called before each guest access is recorded: it may emit checks
   * ahead of the access (x86 segment limit and type checks) and returns the access's `stack` flag.
   */
  onGuestAccess: ((addr: Temp, size: MemSize, write: boolean) => boolean) | null = null;

  constructor(
    readonly name: string,
    readonly kind: "tb" | "function" = "tb",
    readonly result: IrType | null = null,
  ) {}

  temp(type: IrType): Temp {
    const t = { id: this._types.length, type };
    this._types.push(type);
    return t;
  }

  param(type: IrType): Temp {
    if (this._types.length !== this._params.length) throw new EmulatorBug("params must be declared before temps");
    const t = this.temp(type);
    this._params.push(t);
    return t;
  }

  finish(): IrUnit {
    return {
      name: this.name, kind: this.kind, result: this.result, params: this._params,
      ops: this.ops, tempTypes: this._types, labelCount: this._labels,
    };
  }

  // ---- constants and moves
  i32(v: number): Temp {
    const dst = this.temp(IrType.I32);
    this.ops.push({ op: "movi", dst, lo: v | 0, hi: 0 });
    return dst;
  }
  /** An i64 constant from a safe JS integer (sign-extended canonical addresses included). */
  i64(v: number): Temp {
    const { lo, hi } = splitI64(v);
    return this.i64Parts(lo, hi);
  }
  i64Parts(lo: number, hi: number): Temp {
    const dst = this.temp(IrType.I64);
    this.ops.push({ op: "movi", dst, lo: lo | 0, hi: hi | 0 });
    return dst;
  }
  const(type: IrType, v: number): Temp {
    return type === IrType.I32 ? this.i32(v) : this.i64(v);
  }
  mov(dst: Temp, src: Temp): void {
    this._same(dst, src);
    this.ops.push({ op: "mov", dst, src });
  }
  copy(src: Temp): Temp {
    const dst = this.temp(src.type);
    this.ops.push({ op: "mov", dst, src });
    return dst;
  }

  // ---- arithmetic
  bin(kind: BinOp, a: Temp, b: Temp): Temp {
    this._same(a, b);
    const dst = this.temp(a.type);
    this.ops.push({ op: "bin", kind, dst, a, b });
    return dst;
  }
  add(a: Temp, b: Temp): Temp { return this.bin("add", a, b); }
  sub(a: Temp, b: Temp): Temp { return this.bin("sub", a, b); }
  mul(a: Temp, b: Temp): Temp { return this.bin("mul", a, b); }
  and(a: Temp, b: Temp): Temp { return this.bin("and", a, b); }
  or(a: Temp, b: Temp): Temp { return this.bin("or", a, b); }
  xor(a: Temp, b: Temp): Temp { return this.bin("xor", a, b); }
  shl(a: Temp, b: Temp): Temp { return this.bin("shl", a, b); }
  shrU(a: Temp, b: Temp): Temp { return this.bin("shr_u", a, b); }
  shrS(a: Temp, b: Temp): Temp { return this.bin("shr_s", a, b); }
  addi(a: Temp, v: number): Temp { return this.add(a, this.const(a.type, v)); }
  andi(a: Temp, v: number): Temp { return this.and(a, this.const(a.type, v)); }
  shli(a: Temp, v: number): Temp { return this.shl(a, this.const(a.type, v)); }
  shrUi(a: Temp, v: number): Temp { return this.shrU(a, this.const(a.type, v)); }
  shrSi(a: Temp, v: number): Temp { return this.shrS(a, this.const(a.type, v)); }

  un(kind: UnOp, a: Temp): Temp {
    const dst = this.temp(kind === "eqz" ? IrType.I32 : a.type);
    this.ops.push({ op: "un", kind, dst, a });
    return dst;
  }
  not(a: Temp): Temp { return this.un("not", a); }
  neg(a: Temp): Temp { return this.un("neg", a); }

  extu(a: Temp): Temp { return this._conv("extu_i32_i64", a, IrType.I64); }
  exts(a: Temp): Temp { return this._conv("exts_i32_i64", a, IrType.I64); }
  trunc(a: Temp): Temp { return this._conv("trunc_i64_i32", a, IrType.I32); }
  /** Convert to `type` (zero-extending i32 -> i64, truncating i64 -> i32). */
  toType(a: Temp, type: IrType): Temp {
    if (a.type === type) return a;
    return type === IrType.I64 ? this.extu(a) : this.trunc(a);
  }

  setcond(cond: Cond, a: Temp, b: Temp): Temp {
    this._same(a, b);
    const dst = this.temp(IrType.I32);
    this.ops.push({ op: "setcond", cond, dst, a, b });
    return dst;
  }
  select(cond: Temp, a: Temp, b: Temp): Temp {
    this._same(a, b);
    const dst = this.temp(a.type);
    this.ops.push({ op: "select", dst, cond, a, b });
    return dst;
  }

  // ---- CPU state ("env") and guest memory
  ldEnv(type: IrType, offset: number, size: MemSize = NATURAL_SIZE[type], signed = false): Temp {
    const dst = this.temp(type);
    this.ops.push({ op: "ld_env", dst, offset, size, signed });
    return dst;
  }
  stEnv(src: Temp, offset: number, size: MemSize = NATURAL_SIZE[src.type]): void {
    this.ops.push({ op: "st_env", src, offset, size });
  }
  ldGuest(type: IrType, addr: Temp, size: MemSize, mmuIdx: number, signed = false): Temp {
    if (addr.type !== IrType.I64) throw new EmulatorBug("guest addresses are i64");
    const stack = this.onGuestAccess?.(addr, size, false) ?? false;
    const dst = this.temp(type);
    this.ops.push({ op: "ld_guest", dst, addr, size, signed, mmuIdx, stack });
    return dst;
  }
  stGuest(src: Temp, addr: Temp, size: MemSize, mmuIdx: number): void {
    if (addr.type !== IrType.I64) throw new EmulatorBug("guest addresses are i64");
    const stack = this.onGuestAccess?.(addr, size, true) ?? false;
    this.ops.push({ op: "st_guest", src, addr, size, mmuIdx, stack });
  }

  // ---- control flow
  label(): Label { return { id: this._labels++ }; }
  setLabel(label: Label): void { this.ops.push({ op: "label", label }); }
  brcond(cond: Cond, a: Temp, b: Temp, label: Label): void {
    this._same(a, b);
    this.ops.push({ op: "brcond", cond, a, b, label });
  }
  br(label: Label): void { this.ops.push({ op: "br", label }); }

  call(helper: HelperDecl, args: Temp[]): Temp | null {
    if (args.length !== helper.params.length || args.some((a, i) => a.type !== helper.params[i]))
      throw new EmulatorBug(`bad arguments for helper ${helper.name}`);
    const dst = helper.result === null ? null : this.temp(helper.result);
    this.ops.push({ op: "call", helper, args, dst });
    return dst;
  }
  /** Call a helper that returns a value. */
  callValue(helper: HelperDecl, args: Temp[]): Temp {
    const r = this.call(helper, args);
    if (r === null) throw new EmulatorBug(`helper ${helper.name} returns nothing`);
    return r;
  }

  insnStart(pc: number, len: number): void { this.ops.push({ op: "insn_start", pc, len }); }
  exit(code: TbExit): void { this.ops.push({ op: "exit", code }); }
  raise(vector: number, error: Temp | null = null): void { this.ops.push({ op: "raise", vector, error }); }
  ret(value: Temp | null): void { this.ops.push({ op: "ret", value }); }

  // ---- floating point and vectors (simd.ts)
  fbin(kind: FBinOp, a: Temp, b: Temp): Temp {
    this._same(a, b);
    this._float(a);
    const dst = this.temp(a.type);
    this.ops.push({ op: "fbin", kind, dst, a, b });
    return dst;
  }
  fun(kind: FUnOp, a: Temp): Temp {
    this._float(a);
    const dst = this.temp(a.type);
    this.ops.push({ op: "fun", kind, dst, a });
    return dst;
  }
  fcmp(cond: FCond, a: Temp, b: Temp): Temp {
    this._same(a, b);
    this._float(a);
    const dst = this.temp(IrType.I32);
    this.ops.push({ op: "fcmp", cond, dst, a, b });
    return dst;
  }
  fconv(kind: FConvOp, a: Temp): Temp {
    const [from, to] = FCONV_SIG[kind];
    if (a.type !== from) throw new EmulatorBug(`fconv ${kind}: bad operand t${a.id}`);
    const dst = this.temp(to);
    this.ops.push({ op: "fconv", kind, dst, a });
    return dst;
  }
  /** A V128 constant from four little-endian i32 words (lane 0 first). */
  vconst(w0: number, w1: number, w2: number, w3: number): Temp {
    const dst = this.temp(IrType.V128);
    this.ops.push({ op: "vconst", dst, words: [w0 | 0, w1 | 0, w2 | 0, w3 | 0] });
    return dst;
  }
  simd(kind: SimdOp, args: Temp[], lane = 0): Temp {
    const [res, params] = SIMD_SIG[kind];
    if (args.length !== params.length || args.some((a, i) => a.type !== params[i]))
      throw new EmulatorBug(`bad arguments for simd ${kind}`);
    const dst = this.temp(res);
    this.ops.push({ op: "simd", kind, dst, args, lane });
    return dst;
  }
  shuffle(a: Temp, b: Temp, lanes: readonly number[]): Temp {
    if (a.type !== IrType.V128 || b.type !== IrType.V128 || lanes.length !== 16 || lanes.some((l) => l < 0 || l > 31))
      throw new EmulatorBug("bad shuffle");
    const dst = this.temp(IrType.V128);
    this.ops.push({ op: "shuffle", dst, a, b, lanes: [...lanes] });
    return dst;
  }

  private _float(a: Temp): void {
    if (a.type !== IrType.F32 && a.type !== IrType.F64) throw new EmulatorBug(`t${a.id} is not a float`);
  }
  private _conv(kind: ConvOp, a: Temp, to: IrType): Temp {
    const dst = this.temp(to);
    this.ops.push({ op: "conv", kind, dst, a });
    return dst;
  }
  private _same(a: Temp, b: Temp): void {
    if (a.type !== b.type) throw new EmulatorBug(`IR type mismatch: t${a.id} vs t${b.id}`);
  }
}
