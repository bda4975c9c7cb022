/**
 * Renders one IrUnit into a binaryen function. IR temps become Wasm locals one to one; the
 * forward-only labels become nested blocks (the block for the i-th label wraps everything up
 * to that label, so a branch is a `br` out of it); guest memory accesses inline the softmmu
 * TLB fast path (tag compare + addend, src/memory/wasm-layout.ts) with a call to the slow path
 * on a miss; exits return a TbExit code after storing RIP.
 */

import binaryen from "binaryen";
import { EmulatorBug } from "../../common/errors.js";
import { WasmLayout } from "../../memory/wasm-layout.js";
import { RunWord, StateOff, runOff, stateAddr } from "../../cpu/state-layout.js";
import {
  HelperFlag, IrType, TbExit, type BinOp, type Cond, type HelperDecl, type IrOp, type IrUnit, type MemSize, type Temp, type UnOp,
} from "../ir/types.js";

type Ex = binaryen.ExpressionRef;

/** What the lowering needs from the module being built. */
export interface LowerHost {
  readonly m: binaryen.Module;
  /** Internal name of the import for a helper (declared on first use). */
  helper(h: HelperDecl): string;
  /** Internal names of the softmmu slow paths: ld(alo, ahi, sizeMmu) -> status; st(alo, ahi, sizeMmu, vlo, vhi) -> status. */
  readonly ldSlow: string;
  readonly stSlow: string;
}

/** Slow-path status codes returned by the softmmu helpers. */
export const enum SlowStatus { OK = 0, FAULT = 1, CODE_INVALIDATED = 2 }

/** Encode size, MMU index and signedness for the slow path (one i32 argument). */
export const encodeSizeMmu = (size: MemSize, mmuIdx: number): number => size | (mmuIdx << 4);

const wt = (t: IrType): binaryen.Type => (t === IrType.I64 ? binaryen.i64 : binaryen.i32);

/**
 * An i64 constant from 32-bit halves. binaryen.js 132 takes i64 constants as bigint only; this
 * runs at compile time, never in generated code.
 */
export function i64const(m: binaryen.Module, lo: number, hi: number): Ex {
  if ((hi === 0 && lo >= 0) || (hi === -1 && lo < 0)) return m.i64.const(BigInt(lo));
  return m.i64.const(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0)));
}

export function lowerUnit(host: LowerHost, unit: IrUnit): void {
  new UnitLowering(host, unit).run();
}

class UnitLowering {
  private readonly m: binaryen.Module;
  private readonly nTemps: number;
  // scratch locals after the temps
  private readonly lEntry: number;
  private readonly lStop: number;
  private curPc = 0;
  private storeSinceStart = false;
  private readonly labelDepthOk = new Set<number>();

  constructor(private readonly host: LowerHost, private readonly unit: IrUnit) {
    this.m = host.m;
    this.nTemps = unit.tempTypes.length;
    this.lEntry = this.nTemps;
    this.lStop = this.nTemps + 1;
  }

  run(): void {
    const { m, unit } = this;
    const segments: Ex[][] = [[]];
    const labelOrder: number[] = [];
    if (unit.kind === "tb") segments[0]!.push(this.prologue());
    for (const op of unit.ops) {
      if (op.op === "label") {
        labelOrder.push(op.label.id);
        this.labelDepthOk.add(op.label.id);
        segments.push([]);
        continue;
      }
      segments[segments.length - 1]!.push(...this.lowerOp(op));
    }
    // Nest: block L0 wraps segment 0; block L1 wraps (block L0, segment 1); ...
    let body: Ex[] = segments[0]!;
    labelOrder.forEach((id, i) => {
      body = [m.block(`L${id}`, body, binaryen.none), ...segments[i + 1]!];
    });
    body.push(m.unreachable());
    const params = unit.params.map((p) => wt(p.type));
    const vars = unit.tempTypes.slice(unit.params.length).map(wt).concat([binaryen.i32, binaryen.i32]);
    const result = unit.kind === "tb" ? binaryen.i32 : unit.result === null ? binaryen.none : wt(unit.result);
    m.addFunction(unit.name, binaryen.createType(params), result, vars, m.block(null, body, binaryen.auto));
  }

  // ---- helpers for expressions
  private get(t: Temp): Ex { return this.m.local.get(t.id, wt(t.type)); }
  private set(t: Temp, v: Ex): Ex { return this.m.local.set(t.id, v); }
  private i32(v: number): Ex { return this.m.i32.const(v | 0); }
  private zero(): Ex { return this.m.i32.const(0); }
  private runWord(w: RunWord): Ex { return this.m.i32.load(stateAddr(runOff(w)), 4, this.zero()); }
  private storeRip(pc: number): Ex {
    const hi = Math.floor(pc / 4294967296);
    return this.m.i64.store(stateAddr(StateOff.RIP), 8, this.zero(), i64const(this.m, (pc - hi * 4294967296) | 0, hi | 0));
  }
  private exitWith(code: TbExit, pc: number): Ex {
    return this.m.block(null, [this.storeRip(pc), this.m.return(this.i32(code))], binaryen.unreachable);
  }

  /** TB entry: leave at once when the budget is spent or an exit is requested; else charge the block. */
  private prologue(): Ex {
    const m = this.m;
    const n = this.unit.ops.reduce((k, o) => k + (o.op === "insn_start" ? 1 : 0), 0);
    const budget = stateAddr(runOff(RunWord.BUDGET));
    return m.block(null, [
      m.if(m.i32.or(m.i32.le_s(this.runWord(RunWord.BUDGET), this.zero()), this.runWord(RunWord.EXIT_REQUEST)),
        m.return(this.i32(TbExit.REQUEST))),
      m.i32.store(budget, 4, this.zero(), m.i32.sub(this.runWord(RunWord.BUDGET), this.i32(n))),
      m.local.set(this.lStop, this.zero()),
    ]);
  }

  private lowerOp(op: IrOp): Ex[] {
    const m = this.m;
    switch (op.op) {
      case "movi":
        return [this.set(op.dst, op.dst.type === IrType.I64 ? i64const(m, op.lo, op.hi) : m.i32.const(op.lo))];
      case "mov":
        return [this.set(op.dst, this.get(op.src))];
      case "bin":
        return [this.set(op.dst, this.bin(op.kind, op.dst.type, this.get(op.a), this.get(op.b)))];
      case "un":
        return [this.set(op.dst, this.un(op.kind, op.a.type, this.get(op.a)))];
      case "conv":
        return [this.set(op.dst, op.kind === "trunc_i64_i32" ? m.i32.wrap(this.get(op.a))
          : op.kind === "extu_i32_i64" ? m.i64.extend_u(this.get(op.a)) : m.i64.extend_s(this.get(op.a)))];
      case "setcond":
        return [this.set(op.dst, this.cmp(op.cond, op.a.type, this.get(op.a), this.get(op.b)))];
      case "select":
        return [this.set(op.dst, m.select(this.get(op.cond), this.get(op.a), this.get(op.b)))];
      case "ld_env":
        return [this.set(op.dst, this.load(op.dst.type, op.size, op.signed, stateAddr(op.offset), this.zero()))];
      case "st_env":
        return [this.store(op.src.type, op.size, stateAddr(op.offset), this.zero(), this.get(op.src))];
      case "ld_guest":
        return [this.guestLoad(op)];
      case "st_guest":
        this.storeSinceStart = true;
        return [this.guestStore(op)];
      case "brcond":
        this.checkLabel(op.label.id);
        return [m.br(`L${op.label.id}`, this.cmp(op.cond, op.a.type, this.get(op.a), this.get(op.b)))];
      case "br":
        this.checkLabel(op.label.id);
        return [m.br(`L${op.label.id}`)];
      case "label":
        throw new EmulatorBug("labels are handled by run()");
      case "call":
        return this.call(op.helper, op.args, op.dst);
      case "insn_start": {
        const out: Ex[] = [];
        // A store in the previous instruction invalidated translated code: stop before this one.
        if (this.storeSinceStart && this.unit.kind === "tb")
          out.push(m.if(m.local.get(this.lStop, binaryen.i32), this.exitWith(TbExit.NEXT, op.pc)));
        this.storeSinceStart = false;
        this.curPc = op.pc;
        return out;
      }
      case "exit":
        return [m.return(this.i32(op.code))];
      case "raise":
        return [m.block(null, [
          m.i32.store(stateAddr(runOff(RunWord.EXC_VECTOR)), 4, this.zero(), this.i32(op.vector)),
          m.i32.store(stateAddr(runOff(RunWord.EXC_ERROR)), 4, this.zero(), op.error ? this.get(op.error) : this.i32(-1)),
          this.exitWith(TbExit.FAULT, this.curPc),
        ], binaryen.unreachable)];
      case "ret":
        return [m.return(op.value ? this.get(op.value) : undefined)];
    }
  }

  private checkLabel(id: number): void {
    // Labels are forward-only: a branch must not target a label already placed.
    if (this.labelDepthOk.has(id)) throw new EmulatorBug(`backward branch to L${id} in ${this.unit.name}`);
  }

  private call(h: HelperDecl, args: Temp[], dst: Temp | null): Ex[] {
    const m = this.m;
    const name = this.host.helper(h);
    const ret = h.result === null ? binaryen.none : wt(h.result);
    const c = m.call(name, args.map((a) => this.get(a)), ret);
    const out = [dst ? this.set(dst, c) : c];
    if (h.flags & HelperFlag.CAN_FAULT) {
      const exitOnFault = this.unit.kind === "tb" ? this.exitWith(TbExit.FAULT, this.curPc) : m.return(this.unit.result === null ? undefined : this.i32(0));
      out.push(m.if(m.i32.ge_s(this.runWord(RunWord.EXC_VECTOR), this.zero()), exitOnFault));
    }
    return out;
  }

  private bin(kind: BinOp, t: IrType, a: Ex, b: Ex): Ex {
    const o = t === IrType.I64 ? this.m.i64 : this.m.i32;
    switch (kind) {
      case "add": return o.add(a, b);
      case "sub": return o.sub(a, b);
      case "mul": return o.mul(a, b);
      case "and": return o.and(a, b);
      case "or": return o.or(a, b);
      case "xor": return o.xor(a, b);
      case "shl": return o.shl(a, b);
      case "shr_u": return o.shr_u(a, b);
      case "shr_s": return o.shr_s(a, b);
      case "rotl": return o.rotl(a, b);
      case "rotr": return o.rotr(a, b);
      case "div_s": return o.div_s(a, b);
      case "div_u": return o.div_u(a, b);
      case "rem_s": return o.rem_s(a, b);
      case "rem_u": return o.rem_u(a, b);
    }
  }

  private un(kind: UnOp, t: IrType, a: Ex): Ex {
    const m = this.m;
    if (t === IrType.I64) {
      const o = m.i64;
      switch (kind) {
        case "neg": return o.sub(i64const(this.m, 0, 0), a);
        case "not": return o.xor(a, i64const(this.m, -1, -1));
        case "clz": return o.clz(a);
        case "ctz": return o.ctz(a);
        case "popcnt": return o.popcnt(a);
        case "eqz": return o.eqz(a);
        case "ext8s": return o.extend8_s(a);
        case "ext16s": return o.extend16_s(a);
        case "ext32s": return o.extend32_s(a);
        case "ext8u": return o.and(a, i64const(this.m, 0xff, 0));
        case "ext16u": return o.and(a, i64const(this.m, 0xffff, 0));
        case "ext32u": return o.and(a, i64const(this.m, -1, 0));
      }
    }
    const o = m.i32;
    switch (kind) {
      case "neg": return o.sub(o.const(0), a);
      case "not": return o.xor(a, o.const(-1));
      case "clz": return o.clz(a);
      case "ctz": return o.ctz(a);
      case "popcnt": return o.popcnt(a);
      case "eqz": return o.eqz(a);
      case "ext8s": return o.extend8_s(a);
      case "ext16s": return o.extend16_s(a);
      case "ext32s": return a;
      case "ext8u": return o.and(a, o.const(0xff));
      case "ext16u": return o.and(a, o.const(0xffff));
      case "ext32u": return a;
    }
  }

  private cmp(cond: Cond, t: IrType, a: Ex, b: Ex): Ex {
    const o = t === IrType.I64 ? this.m.i64 : this.m.i32;
    switch (cond) {
      case "eq": return o.eq(a, b);
      case "ne": return o.ne(a, b);
      case "lt_s": return o.lt_s(a, b);
      case "lt_u": return o.lt_u(a, b);
      case "le_s": return o.le_s(a, b);
      case "le_u": return o.le_u(a, b);
      case "gt_s": return o.gt_s(a, b);
      case "gt_u": return o.gt_u(a, b);
      case "ge_s": return o.ge_s(a, b);
      case "ge_u": return o.ge_u(a, b);
    }
  }

  private load(t: IrType, size: MemSize, signed: boolean, offset: number, ptr: Ex): Ex {
    const m = this.m;
    if (t === IrType.I64) {
      switch (size) {
        case 1: return signed ? m.i64.load8_s(offset, 1, ptr) : m.i64.load8_u(offset, 1, ptr);
        case 2: return signed ? m.i64.load16_s(offset, 1, ptr) : m.i64.load16_u(offset, 1, ptr);
        case 4: return signed ? m.i64.load32_s(offset, 1, ptr) : m.i64.load32_u(offset, 1, ptr);
        case 8: return m.i64.load(offset, 1, ptr);
      }
    }
    switch (size) {
      case 1: return signed ? m.i32.load8_s(offset, 1, ptr) : m.i32.load8_u(offset, 1, ptr);
      case 2: return signed ? m.i32.load16_s(offset, 1, ptr) : m.i32.load16_u(offset, 1, ptr);
      case 4: return m.i32.load(offset, 1, ptr);
      case 8: throw new EmulatorBug("8-byte load into an i32 temp");
    }
  }

  private store(t: IrType, size: MemSize, offset: number, ptr: Ex, v: Ex): Ex {
    const m = this.m;
    if (t === IrType.I64) {
      switch (size) {
        case 1: return m.i64.store8(offset, 1, ptr, v);
        case 2: return m.i64.store16(offset, 1, ptr, v);
        case 4: return m.i64.store32(offset, 1, ptr, v);
        case 8: return m.i64.store(offset, 1, ptr, v);
      }
    }
    switch (size) {
      case 1: return m.i32.store8(offset, 1, ptr, v);
      case 2: return m.i32.store16(offset, 1, ptr, v);
      case 4: return m.i32.store(offset, 1, ptr, v);
      case 8: throw new EmulatorBug("8-byte store from an i32 temp");
    }
  }

  /** entry = TLB_BASE + mmu * MODE_BYTES + ((addr >>> 12) & (ENTRIES - 1)) * ENTRY_BYTES */
  private tlbEntry(addr: Temp, mmuIdx: number): Ex {
    const m = this.m;
    const idx = m.i32.and(m.i32.wrap(m.i64.shr_u(this.get(addr), i64const(m, 12, 0))), this.i32(WasmLayout.TLB_ENTRIES - 1));
    return m.local.set(this.lEntry, m.i32.add(m.i32.shl(idx, this.i32(5)), this.i32(WasmLayout.TLB_BASE + mmuIdx * WasmLayout.TLB_MODE_BYTES)));
  }

  /** tag(entry + tagOff) == page of the access's last byte: a hit for the whole access. */
  private tlbHit(addr: Temp, size: MemSize, tagOff: number): Ex {
    const m = this.m;
    const last = size === 1 ? this.get(addr) : m.i64.add(this.get(addr), i64const(m, size - 1, 0));
    return m.i64.eq(m.i64.load(tagOff, 8, m.local.get(this.lEntry, binaryen.i32)), m.i64.and(last, i64const(m, ~0xfff, -1)));
  }

  private hostAddr(addr: Temp): Ex {
    const m = this.m;
    return m.i32.add(m.i32.wrap(this.get(addr)), m.i32.load(24, 4, m.local.get(this.lEntry, binaryen.i32)));
  }

  private faultExit(): Ex {
    return this.unit.kind === "tb" ? this.exitWith(TbExit.FAULT, this.curPc) : this.m.unreachable();
  }

  private guestLoad(op: Extract<IrOp, { op: "ld_guest" }>): Ex {
    const m = this.m;
    const t = op.dst.type;
    const addrHi = m.i32.wrap(m.i64.shr_u(this.get(op.addr), i64const(m, 32, 0)));
    const slow = m.block(null, [
      m.if(m.call(this.host.ldSlow, [m.i32.wrap(this.get(op.addr)), addrHi, this.i32(encodeSizeMmu(op.size, op.mmuIdx))], binaryen.i32),
        this.faultExit()),
      this.load(t, op.size, op.signed, WasmLayout.SCRATCH_BASE, this.zero()),
    ], wt(t));
    return m.block(null, [
      this.tlbEntry(op.addr, op.mmuIdx),
      this.set(op.dst, m.if(this.tlbHit(op.addr, op.size, 0), this.load(t, op.size, op.signed, 0, this.hostAddr(op.addr)), slow)),
    ]);
  }

  private guestStore(op: Extract<IrOp, { op: "st_guest" }>): Ex {
    const m = this.m;
    const t = op.src.type;
    const addrHi = m.i32.wrap(m.i64.shr_u(this.get(op.addr), i64const(m, 32, 0)));
    const vlo = t === IrType.I64 ? m.i32.wrap(this.get(op.src)) : this.get(op.src);
    const vhi = t === IrType.I64 ? m.i32.wrap(m.i64.shr_u(this.get(op.src), i64const(m, 32, 0))) : this.zero();
    const status = m.call(this.host.stSlow, [m.i32.wrap(this.get(op.addr)), addrHi, this.i32(encodeSizeMmu(op.size, op.mmuIdx)), vlo, vhi], binaryen.i32);
    const slow = m.block(null, [
      m.local.set(this.lEntry, status),
      m.if(m.i32.eq(m.local.get(this.lEntry, binaryen.i32), this.i32(SlowStatus.FAULT)), this.faultExit()),
      m.if(m.i32.eq(m.local.get(this.lEntry, binaryen.i32), this.i32(SlowStatus.CODE_INVALIDATED)), m.local.set(this.lStop, this.i32(1))),
    ]);
    return m.block(null, [
      this.tlbEntry(op.addr, op.mmuIdx),
      m.if(this.tlbHit(op.addr, op.size, 8), this.store(t, op.size, 0, this.hostAddr(op.addr), this.get(op.src)), slow),
    ]);
  }
}
