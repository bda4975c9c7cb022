import { describe, expect, it } from "vitest";
import { IrBuilder } from "../ir/builder.js";
import { defineHelper, HelperSet } from "../ir/helpers.js";
import { HelperFlag, IrType, TbExit } from "../ir/types.js";
import { WasmBackend } from "./backend.js";
import { WasmLayout } from "../../memory/wasm-layout.js";
import { SoftTlb } from "../../memory/tlb.js";
import { RunWord, StateOff, gprOff, runOff, stateAddr } from "../../cpu/state-layout.js";

function setup() {
  const memory = new WebAssembly.Memory({ initial: (WasmLayout.RAM_BASE + (1 << 20)) / 65536, maximum: 65536 });
  const table = new WebAssembly.Table({ element: "anyfunc", initial: 16 });
  const helpers = new HelperSet();
  const dv = () => new DataView(memory.buffer);
  new SoftTlb(memory.buffer); // starts flushed: every access takes the slow path
  const slowCalls: number[] = [];
  const backend = new WasmBackend({
    memory, table,
    // identity-mapped "RAM" for the test: va -> RAM_BASE + va, via the slow path only
    ldSlow: (lo, _hi, sizeMmu) => {
      slowCalls.push(lo);
      const size = sizeMmu & 15;
      const v = dv();
      for (let i = 0; i < 8; i++) v.setUint8(WasmLayout.SCRATCH_BASE + i, i < size ? v.getUint8(WasmLayout.RAM_BASE + lo + i) : 0);
      return 0;
    },
    stSlow: (lo, _hi, sizeMmu, vlo, vhi) => {
      slowCalls.push(lo);
      const size = sizeMmu & 15;
      const v = dv();
      for (let i = 0; i < size; i++) v.setUint8(WasmLayout.RAM_BASE + lo + i, i < 4 ? (vlo >>> (8 * i)) & 255 : (vhi >>> (8 * (i - 4))) & 255);
      return lo === 0x999 ? 1 : 0;
    },
    resolveHelper: (name) => helpers.resolve(name),
  });
  return { memory, table, helpers, backend, dv, slowCalls };
}

describe("WasmBackend", () => {
  it("runs a TB that adds registers, loads and stores guest memory, and exits", () => {
    const { backend, dv, slowCalls } = setup();
    backend.buildRuntime([]);
    const b = new IrBuilder("tb0");
    b.insnStart(0x1000, 3);
    const a = b.ldEnv(IrType.I64, gprOff(0));
    const c = b.ldEnv(IrType.I64, gprOff(1));
    b.stEnv(b.add(a, c), gprOff(2));
    b.insnStart(0x1003, 3);
    const addr = b.i64(0x100);
    const v = b.ldGuest(IrType.I64, addr, 8, 0);
    b.stGuest(b.addi(v, 1), b.i64(0x108), 8, 0);
    b.stEnv(b.i64(0x2000), StateOff.RIP);
    b.exit(TbExit.HALT);
    const [slot] = backend.compileBatch({ csBase: 0, blocks: [{ unit: b.finish(), rip: 0 }] });
    const d = dv();
    d.setBigInt64(stateAddr(gprOff(0)), 5n, true);
    d.setBigInt64(stateAddr(gprOff(1)), -7n, true);
    d.setBigInt64(WasmLayout.RAM_BASE + 0x100, 0x1234_5678_9abc_def0n, true);
    d.setInt32(stateAddr(StateOff.RUN), 1000, true); // budget
    // jump-cache entry for RIP 0 with hflags 0
    d.setBigInt64(WasmLayout.JMP_CACHE_BASE, 0n, true);
    d.setInt32(WasmLayout.JMP_CACHE_BASE + 8, 0, true);
    d.setInt32(WasmLayout.JMP_CACHE_BASE + 12, slot!, true);
    expect(backend.dispatch()).toBe(TbExit.HALT);
    expect(d.getBigInt64(stateAddr(gprOff(2)), true)).toBe(-2n);
    expect(d.getBigInt64(WasmLayout.RAM_BASE + 0x108, true)).toBe(0x1234_5678_9abc_def1n);
    expect(d.getBigInt64(stateAddr(StateOff.RIP), true)).toBe(0x2000n);
    expect(slowCalls).toEqual([0x100, 0x108]); // empty TLB: both accesses took the slow path
    expect(d.getInt32(stateAddr(StateOff.RUN), true)).toBe(998);
  });

  it("exits with FAULT and RIP at the faulting instruction when a store faults", () => {
    const { backend, dv } = setup();
    backend.buildRuntime([]);
    const b = new IrBuilder("tb1");
    b.insnStart(-0x7f000000, 2);
    b.stEnv(b.i64(1), gprOff(3));
    b.insnStart(-0x7f000000 + 2, 2);
    b.stGuest(b.i32(7), b.i64(0x999), 4, 0);
    b.stEnv(b.i64(2), gprOff(3));
    b.exit(TbExit.NEXT);
    const [slot] = backend.compileBatch({ csBase: 0, blocks: [{ unit: b.finish(), rip: 0 }] });
    const d = dv();
    d.setInt32(stateAddr(StateOff.RUN), 1000, true);
    d.setInt32(WasmLayout.JMP_CACHE_BASE + 12, slot!, true);
    expect(backend.dispatch()).toBe(TbExit.FAULT);
    expect(d.getInt32(stateAddr(runOff(RunWord.EXC_VECTOR)), true)).toBe(0); // set by nobody: the slow path reported the fault
    expect(d.getBigInt64(stateAddr(gprOff(3)), true)).toBe(1n);
    expect(d.getBigUint64(stateAddr(StateOff.RIP), true)).toBe(0xffffffff81000002n);
  });

  it("calls JS helpers and runtime functions built from IR", () => {
    const { backend, helpers, dv } = setup();
    const twice = defineHelper("twice", [IrType.I32], IrType.I32, HelperFlag.NONE);
    helpers.bind(twice, (x) => x * 2);
    const rtDecl = defineHelper("add3", [IrType.I64], IrType.I64, HelperFlag.NONE);
    const f = new IrBuilder("add3", "function", IrType.I64);
    const p = f.param(IrType.I64);
    f.ret(f.addi(p, 3));
    backend.buildRuntime([{ decl: rtDecl, unit: f.finish() }]);
    const b = new IrBuilder("tb2");
    b.insnStart(0, 1);
    b.stEnv(b.extu(b.callValue(twice, [b.i32(21)])), gprOff(0));
    b.stEnv(b.callValue(rtDecl, [b.i64(4)]), gprOff(1));
    b.exit(TbExit.HALT);
    const [slot] = backend.compileBatch({ csBase: 0, blocks: [{ unit: b.finish(), rip: 0 }] });
    const d = dv();
    d.setInt32(stateAddr(StateOff.RUN), 1000, true);
    d.setInt32(WasmLayout.JMP_CACHE_BASE + 12, slot!, true);
    expect(backend.dispatch()).toBe(TbExit.HALT);
    expect(d.getBigInt64(stateAddr(gprOff(0)), true)).toBe(42n);
    expect(d.getBigInt64(stateAddr(gprOff(1)), true)).toBe(7n);
  });
});
