/**
 * The IR lowering: renders an IrUnit as Wasm function code, written directly as bytes
 * (wasm-writer.ts). IR temps become locals one to one; forward-only labels become nested
 * blocks opened at function entry (the block of the i-th label wraps everything before it, so
 * a branch is a `br` out of it); guest memory accesses inline the softmmu TLB fast path (tag
 * compare + addend, src/memory/wasm-layout.ts) and call the slow path on a miss; exits store
 * RIP and return a TbExit code. This is the single lowering of the IR: binaryen, where used,
 * only optimises modules this code produced.
 */

import { EmulatorBug } from "../../common/errors.js";
import { JitCounter, WasmLayout } from "../../memory/wasm-layout.js";
import { RunWord, StateOff, runOff, stateAddr } from "../../cpu/state-layout.js";
import {
  HelperFlag, IrType, SizeMmu, SlowStatus, TbExit, type BinOp, type Cond, type HelperDecl, type IrOp, type IrUnit, type MemSize, type Temp, type UnOp,
} from "../ir/types.js";
import { ByteBuf, ValType } from "./wasm-writer.js";
import { FBIN, FCMP, FCONV, FUN, SIMD, SimdMem } from "./emit-simd.js";

/** Encode size, MMU index and the stack flag for the slow path (one i32 argument). */
export const encodeSizeMmu = (size: MemSize, mmuIdx: number, stack = false): number => size | (mmuIdx << 4) | (stack ? SizeMmu.STACK : 0);

const VALTYPES: Record<IrType, ValType> = {
  [IrType.I32]: ValType.I32, [IrType.I64]: ValType.I64, [IrType.F32]: ValType.F32, [IrType.F64]: ValType.F64, [IrType.V128]: ValType.V128,
};
export const valType = (t: IrType): ValType => VALTYPES[t];

/**
 * Scratch bytes the V128 slow path assembles a 16-byte load in (two 8-byte slow-path loads;
 * the softmmu uses SCRATCH_BASE..+32 for its own buffers).
 */
const V128_SCRATCH = WasmLayout.SCRATCH_BASE + 0x40;

/** Function indices the emitted code calls. */
export interface EmitEnv {
  /** ld_slow(addrLo, addrHi, sizeMmu) -> status */
  readonly ldSlow: number;
  /** st_slow(addrLo, addrHi, sizeMmu, valLo, valHi) -> status */
  readonly stSlow: number;
  /** Function index of a helper (declared as an import on first use). */
  helper(h: HelperDecl): number;
}

const enum Op {
  BLOCK = 0x02, IF = 0x04, ELSE = 0x05, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, RETURN = 0x0f, CALL = 0x10,
  RETURN_CALL = 0x12, UNREACHABLE = 0x00, SELECT = 0x1b, LOCAL_GET = 0x20, LOCAL_SET = 0x21, VOID = 0x40,
  I32_LOAD = 0x28, I64_LOAD = 0x29, I32_STORE = 0x36, I64_STORE = 0x37,
  I32_CONST = 0x41, I64_CONST = 0x42, I32_EQZ = 0x45, I32_EQ = 0x46, I32_NE = 0x47, I32_GE_S = 0x4e, I64_EQ = 0x51,
  I32_ADD = 0x6a, I32_AND = 0x71, I32_OR = 0x72, I32_SHL = 0x74, I64_ADD = 0x7c, I64_AND = 0x83, I64_SHR_U = 0x88,
  I32_WRAP = 0xa7, I64_EXTEND_S = 0xac, I64_EXTEND_U = 0xad,
}

/** Opcode tables (Wasm core spec 5.4.5), indexed by IR kind for i32 and i64. */
const BIN: Record<BinOp, [number, number]> = {
  add: [0x6a, 0x7c], sub: [0x6b, 0x7d], mul: [0x6c, 0x7e], div_s: [0x6d, 0x7f], div_u: [0x6e, 0x80],
  rem_s: [0x6f, 0x81], rem_u: [0x70, 0x82], and: [0x71, 0x83], or: [0x72, 0x84], xor: [0x73, 0x85],
  shl: [0x74, 0x86], shr_s: [0x75, 0x87], shr_u: [0x76, 0x88], rotl: [0x77, 0x89], rotr: [0x78, 0x8a],
};
const CMP: Record<Cond, [number, number]> = {
  eq: [0x46, 0x51], ne: [0x47, 0x52], lt_s: [0x48, 0x53], lt_u: [0x49, 0x54], gt_s: [0x4a, 0x55],
  gt_u: [0x4b, 0x56], le_s: [0x4c, 0x57], le_u: [0x4d, 0x58], ge_s: [0x4e, 0x59], ge_u: [0x4f, 0x5a],
};
/** [i32 signed, i32 unsigned, i64 signed, i64 unsigned] load opcodes by size; 0 = invalid. */
const LOADS: Record<MemSize, [number, number, number, number]> = {
  1: [0x2c, 0x2d, 0x30, 0x31], 2: [0x2e, 0x2f, 0x32, 0x33], 4: [0x28, 0x28, 0x34, 0x35], 8: [0, 0, 0x29, 0x29], 16: [0, 0, 0, 0],
};
/** [i32, i64] store opcodes by size. */
const STORES: Record<MemSize, [number, number]> = { 1: [0x3a, 0x3c], 2: [0x3b, 0x3d], 4: [0x36, 0x3e], 8: [0, 0x37], 16: [0, 0] };
const ALIGN: Record<MemSize, number> = { 1: 0, 2: 1, 4: 2, 8: 3, 16: 4 };

/** Where a block may jump directly (block linking; see backend.ts). */
export interface ChainTarget {
  /** Function index of the target block in the same module. */
  fn: number;
  /** Wasm address of the target's validity word (non-zero while it is live). */
  valid: number;
}

export interface EmitOptions {
  /** Direct successors by target RIP; exits to other RIPs return to the dispatcher. */
  chain?: (rip: number) => ChainTarget | undefined;
  /** Increment the JitCounter statistics in generated code. */
  counters?: boolean;
}

/** Emit `counter += 1` (i64 in Wasm memory). */
export function emitCount(c: ByteBuf, counter: JitCounter): void {
  const off = WasmLayout.JIT_COUNTERS_BASE + 8 * counter;
  c.byte(Op.I32_CONST).s32(0);
  c.byte(Op.I32_CONST).s32(0).byte(Op.I64_LOAD).u32(3).u32(off);
  c.byte(Op.I64_CONST).s64(1, 0).byte(Op.I64_ADD);
  c.byte(Op.I64_STORE).u32(3).u32(off);
}

/** Declare every helper a unit calls (so function indices are fixed before emitting). */
export function declareHelpers(env: EmitEnv, unit: IrUnit): void {
  for (const o of unit.ops) if (o.op === "call") env.helper(o.helper);
}

export interface EmittedFunction {
  params: ValType[];
  results: ValType[];
  locals: ValType[];
  body: Uint8Array;
}

export function emitUnit(env: EmitEnv, unit: IrUnit, opts: EmitOptions = {}): EmittedFunction {
  return new UnitEmitter(env, unit, opts).run();
}

class UnitEmitter {
  private readonly c = new ByteBuf();
  private readonly lEntry: number;
  private readonly lStop: number;
  /** Open label blocks, outermost first. */
  private readonly open: number[] = [];
  private readonly placed = new Set<number>();
  private curPc = 0;
  private storeSinceStart = false;
  /** i64 constants held by temps (movi), to recognise exits to a constant RIP. */
  private readonly consts: Float64Array;
  /** The RIP this path stored last, when it is a constant; NaN when unknown. */
  private ripConst = NaN;

  constructor(private readonly env: EmitEnv, private readonly unit: IrUnit, private readonly opts: EmitOptions) {
    this.lEntry = unit.tempTypes.length;
    this.lStop = unit.tempTypes.length + 1;
    this.consts = new Float64Array(unit.tempTypes.length).fill(NaN);
  }

  run(): EmittedFunction {
    const { unit, c } = this;
    const labels = unit.ops.filter((o): o is Extract<IrOp, { op: "label" }> => o.op === "label").map((o) => o.label.id);
    for (let i = labels.length - 1; i >= 0; i--) {
      c.byte(Op.BLOCK).byte(Op.VOID);
      this.open.push(labels[i]!);
    }
    if (unit.kind === "tb") this.prologue();
    for (const op of unit.ops) this.op(op);
    c.byte(Op.UNREACHABLE);
    const params = unit.params.map((p) => valType(p.type));
    return {
      params,
      results: unit.kind === "tb" ? [ValType.I32] : unit.result === null ? [] : [valType(unit.result)],
      locals: unit.tempTypes.slice(unit.params.length).map(valType).concat([ValType.I32, ValType.I32]),
      body: c.view().slice(),
    };
  }

  // ---- small emitters
  private get(t: Temp | number): void { this.c.byte(Op.LOCAL_GET).u32(typeof t === "number" ? t : t.id); }
  private set(t: Temp | number): void { this.c.byte(Op.LOCAL_SET).u32(typeof t === "number" ? t : t.id); }
  private i32(v: number): void { this.c.byte(Op.I32_CONST).s32(v); }
  private i64(lo: number, hi: number): void { this.c.byte(Op.I64_CONST).s64(lo, hi); }
  private mem(opcode: number, align: number, offset: number): void { this.c.byte(opcode).u32(align).u32(offset); }
  private runWord(w: RunWord): void { this.i32(0); this.mem(Op.I32_LOAD, 2, stateAddr(runOff(w))); }
  private exitWith(code: TbExit, pc: number): void {
    const hi = Math.floor(pc / 4294967296);
    this.i32(0);
    this.i64((pc - hi * 4294967296) | 0, hi);
    this.mem(Op.I64_STORE, 3, stateAddr(StateOff.RIP));
    this.i32(code);
    this.c.byte(Op.RETURN);
  }
  private faultExit(): void {
    if (this.unit.kind === "tb") this.exitWith(TbExit.FAULT, this.curPc);
    else this.c.byte(Op.UNREACHABLE);
  }

  /** TB entry: leave at once when the budget is spent or an exit is requested; else charge the block. */
  private prologue(): void {
    const c = this.c;
    const n = this.unit.ops.reduce((k, o) => k + (o.op === "insn_start" ? 1 : 0), 0);
    this.runWord(RunWord.BUDGET); this.i32(0); c.byte(0x4c); // i32.le_s
    this.runWord(RunWord.EXIT_REQUEST); c.byte(Op.I32_OR);
    c.byte(Op.IF).byte(Op.VOID); this.i32(TbExit.REQUEST); c.byte(Op.RETURN); c.byte(Op.END);
    this.i32(0); this.runWord(RunWord.BUDGET); this.i32(n); c.byte(0x6b); // i32.sub
    this.mem(Op.I32_STORE, 2, stateAddr(runOff(RunWord.BUDGET)));
    this.i32(0); this.set(this.lStop);
  }

  private op(op: IrOp): void {
    const c = this.c;
    if ("dst" in op && op.dst) this.consts[op.dst.id] = NaN;
    switch (op.op) {
      case "movi":
        if (op.dst.type === IrType.I64) {
          this.i64(op.lo, op.hi);
          this.consts[op.dst.id] = (op.hi | 0) * 4294967296 + (op.lo >>> 0);
        } else this.i32(op.lo);
        return this.set(op.dst);
      case "mov": this.get(op.src); return this.set(op.dst);
      case "bin":
        this.get(op.a); this.get(op.b); c.byte(BIN[op.kind][op.dst.type === IrType.I64 ? 1 : 0]);
        return this.set(op.dst);
      case "un": this.get(op.a); this.un(op.kind, op.a.type); return this.set(op.dst);
      case "conv":
        this.get(op.a);
        c.byte(op.kind === "trunc_i64_i32" ? Op.I32_WRAP : op.kind === "extu_i32_i64" ? Op.I64_EXTEND_U : Op.I64_EXTEND_S);
        return this.set(op.dst);
      case "setcond":
        this.get(op.a); this.get(op.b); c.byte(CMP[op.cond][op.a.type === IrType.I64 ? 1 : 0]);
        return this.set(op.dst);
      case "select":
        this.get(op.a); this.get(op.b); this.get(op.cond); c.byte(Op.SELECT);
        return this.set(op.dst);
      case "ld_env":
        this.i32(0); this.load(op.dst.type, op.size, op.signed, stateAddr(op.offset));
        return this.set(op.dst);
      case "st_env":
        if (op.offset <= StateOff.RIP + 7 && op.offset + op.size > StateOff.RIP) {
          this.ripConst = op.offset === StateOff.RIP && op.size === 8 ? this.consts[op.src.id]! : NaN;
        }
        this.i32(0); this.get(op.src); return this.store(op.src.type, op.size, stateAddr(op.offset));
      case "ld_guest": return this.guestLoad(op);
      case "st_guest": this.storeSinceStart = true; return this.guestStore(op);
      case "brcond":
        this.get(op.a); this.get(op.b); c.byte(CMP[op.cond][op.a.type === IrType.I64 ? 1 : 0]);
        c.byte(Op.BR_IF).u32(this.depth(op.label.id));
        return;
      case "br": c.byte(Op.BR).u32(this.depth(op.label.id)); return;
      case "label": {
        const top = this.open.pop();
        if (top !== op.label.id) throw new EmulatorBug(`label L${op.label.id} placed out of order in ${this.unit.name}`);
        this.placed.add(op.label.id);
        c.byte(Op.END);
        this.ripConst = NaN; // a join point: paths may have stored different RIPs
        return;
      }
      case "call": this.ripConst = NaN; return this.call(op.helper, op.args, op.dst);
      case "insn_start":
        // A store in the previous instruction invalidated translated code: stop before this one.
        if (this.storeSinceStart && this.unit.kind === "tb") {
          this.get(this.lStop); c.byte(Op.IF).byte(Op.VOID); this.exitWith(TbExit.NEXT, op.pc); c.byte(Op.END);
        }
        this.storeSinceStart = false;
        this.curPc = op.pc;
        return;
      case "exit":
        if (op.code === TbExit.NEXT && !Number.isNaN(this.ripConst) && this.unit.kind === "tb") this.chain(this.ripConst);
        this.i32(op.code); c.byte(Op.RETURN);
        return;
      case "raise":
        this.i32(0); this.i32(op.vector); this.mem(Op.I32_STORE, 2, stateAddr(runOff(RunWord.EXC_VECTOR)));
        this.i32(0); if (op.error) this.get(op.error); else this.i32(-1);
        this.mem(Op.I32_STORE, 2, stateAddr(runOff(RunWord.EXC_ERROR)));
        return this.exitWith(TbExit.FAULT, this.curPc);
      case "ret":
        if (op.value) this.get(op.value);
        c.byte(Op.RETURN);
        return;
      default: return this.floatOp(op);
    }
  }

  /**
   * Block linking: RIP is stored; when the successor lives in this module and is still valid,
   * tail-call it (its prologue checks the budget and exit requests), else fall through to
   * returning NEXT to the dispatcher.
   */
  private chain(rip: number): void {
    const t = this.opts.chain?.(rip);
    if (!t) return;
    const c = this.c;
    this.i32(0); this.mem(Op.I32_LOAD, 2, t.valid);
    c.byte(Op.IF).byte(Op.VOID);
    if (this.opts.counters) emitCount(c, JitCounter.CHAINED);
    c.byte(Op.RETURN_CALL).u32(t.fn);
    c.byte(Op.END);
  }

  private simdOp(sub: number): void { this.c.byte(0xfd).u32(sub); }

  /** The float and vector ops (simd.ts). */
  private floatOp(op: IrOp): void {
    const c = this.c;
    const w = (t: Temp): 0 | 1 => (t.type === IrType.F64 ? 1 : 0);
    switch (op.op) {
      case "fbin": this.get(op.a); this.get(op.b); c.byte(FBIN[op.kind][w(op.a)]); return this.set(op.dst);
      case "fun": this.get(op.a); c.byte(FUN[op.kind][w(op.a)]); return this.set(op.dst);
      case "fcmp": this.get(op.a); this.get(op.b); c.byte(FCMP[op.cond][w(op.a)]); return this.set(op.dst);
      case "fconv": this.get(op.a); c.bytes(FCONV[op.kind]); return this.set(op.dst);
      case "vconst":
        this.simdOp(SimdMem.CONST);
        for (const word of op.words) c.byte(word).byte(word >> 8).byte(word >> 16).byte(word >> 24);
        return this.set(op.dst);
      case "simd":
        for (const a of op.args) this.get(a);
        this.simdOp(SIMD[op.kind]);
        if (op.kind.includes("_lane")) c.byte(op.lane);
        return this.set(op.dst);
      case "shuffle":
        this.get(op.a); this.get(op.b); this.simdOp(SimdMem.SHUFFLE); c.bytes(op.lanes);
        return this.set(op.dst);
      default: throw new EmulatorBug(`unknown IR op ${op.op}`);
    }
  }

  /** br depth of a label's block: its distance from the innermost open block. */
  private depth(id: number): number {
    if (this.placed.has(id)) throw new EmulatorBug(`backward branch to L${id} in ${this.unit.name}`);
    const i = this.open.lastIndexOf(id);
    if (i < 0) throw new EmulatorBug(`branch to unknown label L${id} in ${this.unit.name}`);
    return this.open.length - 1 - i;
  }

  private un(kind: UnOp, t: IrType): void {
    const c = this.c;
    const w = t === IrType.I64;
    switch (kind) {
      case "neg":
        // 0 - a: the operand is already on the stack, so compute (a xor -1) + 1
        if (w) { this.i64(-1, -1); c.byte(0x85); this.i64(1, 0); c.byte(Op.I64_ADD); } else { this.i32(-1); c.byte(0x73); this.i32(1); c.byte(Op.I32_ADD); }
        return;
      case "not": if (w) { this.i64(-1, -1); c.byte(0x85); } else { this.i32(-1); c.byte(0x73); } return;
      case "clz": c.byte(w ? 0x79 : 0x67); return;
      case "ctz": c.byte(w ? 0x7a : 0x68); return;
      case "popcnt": c.byte(w ? 0x7b : 0x69); return;
      case "eqz": c.byte(w ? 0x50 : Op.I32_EQZ); return;
      case "ext8s": c.byte(w ? 0xc2 : 0xc0); return;
      case "ext16s": c.byte(w ? 0xc3 : 0xc1); return;
      case "ext32s": if (w) c.byte(0xc4); return;
      case "ext8u": if (w) { this.i64(0xff, 0); c.byte(Op.I64_AND); } else { this.i32(0xff); c.byte(Op.I32_AND); } return;
      case "ext16u": if (w) { this.i64(0xffff, 0); c.byte(Op.I64_AND); } else { this.i32(0xffff); c.byte(Op.I32_AND); } return;
      case "ext32u": if (w) { this.i64(-1, 0); c.byte(Op.I64_AND); } return;
    }
  }

  private load(t: IrType, size: MemSize, signed: boolean, offset: number): void {
    if (t === IrType.F32 || t === IrType.F64) {
      if (size !== (t === IrType.F32 ? 4 : 8)) throw new EmulatorBug("float loads are natural-size");
      return this.mem(t === IrType.F32 ? 0x2a : 0x2b, ALIGN[size], offset);
    }
    if (t === IrType.V128) {
      const sub = size === 16 ? SimdMem.LOAD : size === 8 ? SimdMem.LOAD64_ZERO : size === 4 ? SimdMem.LOAD32_ZERO : -1;
      if (sub < 0) throw new EmulatorBug("V128 loads are 4, 8 or 16 bytes");
      this.simdOp(sub); this.c.u32(ALIGN[size]).u32(offset);
      return;
    }
    const opc = LOADS[size][(t === IrType.I64 ? 2 : 0) + (signed ? 0 : 1)];
    if (!opc) throw new EmulatorBug("8-byte load into an i32 temp");
    this.mem(opc, ALIGN[size], offset);
  }
  private store(t: IrType, size: MemSize, offset: number): void {
    if (t === IrType.F32 || t === IrType.F64) {
      if (size !== (t === IrType.F32 ? 4 : 8)) throw new EmulatorBug("float stores are natural-size");
      return this.mem(t === IrType.F32 ? 0x38 : 0x39, ALIGN[size], offset);
    }
    if (t === IrType.V128) {
      if (size === 16) { this.simdOp(SimdMem.STORE); this.c.u32(4).u32(offset); return; }
      if (size !== 4 && size !== 8) throw new EmulatorBug("V128 stores are 4, 8 or 16 bytes");
      this.simdOp(size === 8 ? SimdMem.STORE64_LANE : SimdMem.STORE32_LANE); this.c.u32(ALIGN[size]).u32(offset).byte(0);
      return;
    }
    const opc = STORES[size][t === IrType.I64 ? 1 : 0];
    if (!opc) throw new EmulatorBug("8-byte store from an i32 temp");
    this.mem(opc, ALIGN[size], offset);
  }

  private call(h: HelperDecl, args: Temp[], dst: Temp | null): void {
    for (const a of args) this.get(a);
    this.c.byte(Op.CALL).u32(this.env.helper(h));
    if (dst) this.set(dst);
    if (h.flags & HelperFlag.CAN_FAULT) {
      this.runWord(RunWord.EXC_VECTOR); this.i32(0); this.c.byte(Op.I32_GE_S);
      this.c.byte(Op.IF).byte(Op.VOID); this.faultExit(); this.c.byte(Op.END);
    }
  }

  /** Push the TLB entry address for `addr` into lEntry, then the hit condition. */
  private tlbLookup(addr: Temp, size: MemSize, mmuIdx: number, tagOff: number): void {
    const c = this.c;
    this.get(addr); this.i64(12, 0); c.byte(Op.I64_SHR_U); c.byte(Op.I32_WRAP);
    this.i32(WasmLayout.TLB_ENTRIES - 1); c.byte(Op.I32_AND); this.i32(5); c.byte(Op.I32_SHL);
    this.i32(WasmLayout.TLB_BASE + mmuIdx * WasmLayout.TLB_MODE_BYTES); c.byte(Op.I32_ADD);
    this.set(this.lEntry);
    // tag == page of the access's last byte
    this.get(this.lEntry); this.mem(Op.I64_LOAD, 3, tagOff);
    this.get(addr);
    if (size > 1) { this.i64(size - 1, 0); c.byte(Op.I64_ADD); }
    this.i64(~0xfff, -1); c.byte(Op.I64_AND);
    c.byte(Op.I64_EQ);
  }
  private hostAddr(addr: Temp): void {
    this.get(addr); this.c.byte(Op.I32_WRAP);
    this.get(this.lEntry); this.mem(Op.I32_LOAD, 2, 24);
    this.c.byte(Op.I32_ADD);
  }
  private addrHalves(addr: Temp, plus = 0): void {
    this.get(addr); if (plus) { this.i64(plus, 0); this.c.byte(Op.I64_ADD); } this.c.byte(Op.I32_WRAP);
    this.get(addr); if (plus) { this.i64(plus, 0); this.c.byte(Op.I64_ADD); }
    this.i64(32, 0); this.c.byte(Op.I64_SHR_U); this.c.byte(Op.I32_WRAP);
  }
  /** Push the value to store as (lo, hi) i32 halves; V128: lane `lane` of i64x2. */
  private valueHalves(src: Temp, lane: number): void {
    const c = this.c;
    const pushI64 = (): void => {
      this.get(src);
      if (src.type === IrType.V128) { this.simdOp(SimdMem.I64X2_EXTRACT); c.byte(lane); }
    };
    if (src.type === IrType.I32) { this.get(src); this.i32(0); return; }
    pushI64(); c.byte(Op.I32_WRAP);
    pushI64(); this.i64(32, 0); c.byte(Op.I64_SHR_U); c.byte(Op.I32_WRAP);
  }
  /** Check st_slow's status (on the stack): fault exits, code invalidation stops the block. */
  private storeStatus(): void {
    const c = this.c;
    this.set(this.lEntry);
    this.get(this.lEntry); this.i32(SlowStatus.FAULT); c.byte(Op.I32_EQ);
    c.byte(Op.IF).byte(Op.VOID); this.faultExit(); c.byte(Op.END);
    this.get(this.lEntry); this.i32(SlowStatus.CODE_INVALIDATED); c.byte(Op.I32_EQ);
    c.byte(Op.IF).byte(Op.VOID); this.i32(1); this.set(this.lStop); c.byte(Op.END);
  }

  private guestLoad(op: Extract<IrOp, { op: "ld_guest" }>): void {
    const c = this.c;
    const t = op.dst.type;
    this.tlbLookup(op.addr, op.size, op.mmuIdx, 0);
    c.byte(Op.IF).byte(valType(t));
    if (this.opts.counters) emitCount(c, JitCounter.TLB_HIT);
    this.hostAddr(op.addr); this.load(t, op.size, op.signed, 0);
    c.byte(Op.ELSE);
    if (t === IrType.V128 && op.size === 16) {
      // Two 8-byte slow-path loads, gathered at V128_SCRATCH.
      for (const half of [0, 8]) {
        this.addrHalves(op.addr, half); this.i32(encodeSizeMmu(8, op.mmuIdx, op.stack)); c.byte(Op.CALL).u32(this.env.ldSlow);
        c.byte(Op.IF).byte(Op.VOID); this.faultExit(); c.byte(Op.END);
        this.i32(0); this.i32(0); this.mem(Op.I64_LOAD, 3, WasmLayout.SCRATCH_BASE); this.mem(Op.I64_STORE, 3, V128_SCRATCH + half);
      }
      this.i32(0); this.load(t, 16, false, V128_SCRATCH);
    } else {
      this.addrHalves(op.addr); this.i32(encodeSizeMmu(op.size as MemSize, op.mmuIdx, op.stack)); c.byte(Op.CALL).u32(this.env.ldSlow);
      c.byte(Op.IF).byte(Op.VOID); this.faultExit(); c.byte(Op.END);
      this.i32(0); this.load(t, t === IrType.V128 ? 8 : op.size, op.signed, WasmLayout.SCRATCH_BASE);
    }
    c.byte(Op.END);
    this.set(op.dst);
  }

  private guestStore(op: Extract<IrOp, { op: "st_guest" }>): void {
    const c = this.c;
    const t = op.src.type;
    this.tlbLookup(op.addr, op.size, op.mmuIdx, 8);
    c.byte(Op.IF).byte(Op.VOID);
    if (this.opts.counters) emitCount(c, JitCounter.TLB_HIT);
    this.hostAddr(op.addr); this.get(op.src); this.store(t, op.size, 0);
    c.byte(Op.ELSE);
    // A 16-byte store takes the slow path as two 8-byte stores: a fault on the second half
    // leaves the first half written (the instruction restarts and rewrites it).
    const halves = op.size === 16 ? [0, 8] : [0];
    for (const half of halves) {
      this.addrHalves(op.addr, half);
      this.i32(encodeSizeMmu(op.size === 16 ? 8 : op.size, op.mmuIdx, op.stack));
      this.valueHalves(op.src, half >> 3);
      c.byte(Op.CALL).u32(this.env.stSlow);
      this.storeStatus();
    }
    c.byte(Op.END);
  }
}

/** Helpers' IR types as Wasm value types. */
export function helperType(h: HelperDecl): { params: ValType[]; results: ValType[] } {
  return { params: h.params.map(valType), results: h.result === null ? [] : [valType(h.result)] };
}

