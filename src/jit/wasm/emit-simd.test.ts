import { describe, expect, it } from "vitest";
import { IrBuilder } from "../ir/builder.js";
import { defineHelper } from "../ir/helpers.js";
import { HelperFlag, IrType, TbExit } from "../ir/types.js";
import { WasmBackend } from "./backend.js";
import { WasmLayout } from "../../memory/wasm-layout.js";
import { SoftTlb } from "../../memory/tlb.js";
import { StateOff, stateAddr } from "../../cpu/state-layout.js";

function setup() {
  const memory = new WebAssembly.Memory({ initial: (WasmLayout.RAM_BASE + (1 << 20)) / 65536, maximum: 65536 });
  const table = new WebAssembly.Table({ element: "anyfunc", initial: 16 });
  const dv = () => new DataView(memory.buffer);
  new SoftTlb(memory.buffer);
  const slow: number[] = [];
  const backend = new WasmBackend({
    memory, table,
    ldSlow: (lo, _hi, sizeMmu) => {
      slow.push(lo, sizeMmu & 15);
      const v = dv();
      for (let i = 0; i < 8; i++) v.setUint8(WasmLayout.SCRATCH_BASE + i, i < (sizeMmu & 15) ? v.getUint8(WasmLayout.RAM_BASE + lo + i) : 0);
      return 0;
    },
    stSlow: (lo, _hi, sizeMmu, vlo, vhi) => {
      slow.push(lo, sizeMmu & 15);
      const v = dv();
      for (let i = 0; i < (sizeMmu & 15); i++) v.setUint8(WasmLayout.RAM_BASE + lo + i, i < 4 ? (vlo >>> (8 * i)) & 255 : (vhi >>> (8 * (i - 4))) & 255);
      return 0;
    },
    resolveHelper: () => { throw new Error("no helpers"); },
  });
  return { backend, dv, slow };
}

const X = StateOff.XMM;

describe("float and vector IR", () => {
  it("renders scalar float arithmetic, comparisons and conversions", () => {
    const { backend, dv } = setup();
    const f = new IrBuilder("fops", "function", IrType.I32);
    const a = f.ldEnv(IrType.F64, X), c = f.ldEnv(IrType.F64, X + 8);
    f.stEnv(f.fbin("div", a, c), X + 16);
    f.stEnv(f.fun("sqrt", a), X + 24);
    f.stEnv(f.fconv("f32_of_f64", a), X + 32);
    f.stEnv(f.fconv("i64_of_f64_sat_s", f.fbin("mul", a, c)), X + 40);
    f.stEnv(f.fconv("i64_bits_f64", f.fconv("f64_of_i32_s", f.i32(-3))), X + 48);
    f.ret(f.fcmp("lt", c, a));
    backend.buildRuntime([{ decl: defineHelper("fops", [], IrType.I32, HelperFlag.NONE), unit: f.finish() }]);
    const d = dv(), s = stateAddr(X);
    d.setFloat64(s, 9, true);
    d.setFloat64(s + 8, -2.5, true);
    expect(backend.runtimeFunction("fops")()).toBe(1);
    expect(d.getFloat64(s + 16, true)).toBe(-3.6);
    expect(d.getFloat64(s + 24, true)).toBe(3);
    expect(d.getFloat32(s + 32, true)).toBe(9);
    expect(d.getBigInt64(s + 40, true)).toBe(-22n);
    expect(d.getFloat64(s + 48, true)).toBe(-3);
  });

  it("renders vector ops, constants, shuffles and partial env accesses", () => {
    const { backend, dv } = setup();
    const f = new IrBuilder("vops", "function", IrType.I32);
    const a = f.ldEnv(IrType.V128, X), c = f.ldEnv(IrType.V128, X + 16);
    f.stEnv(f.simd("i8x16.add", [a, c]), X + 32);
    f.stEnv(f.shuffle(a, c, [16, 0, 17, 1, 18, 2, 19, 3, 20, 4, 21, 5, 22, 6, 23, 7]), X + 48);
    f.stEnv(f.simd("xor", [a, f.vconst(-1, 0, -1, 0)]), X + 64);
    f.stEnv(f.ldEnv(IrType.V128, X + 16, 4), X + 80);
    f.stEnv(c, X + 100, 8);
    f.ret(f.simd("i8x16.bitmask", [c]));
    backend.buildRuntime([{ decl: defineHelper("vops", [], IrType.I32, HelperFlag.NONE), unit: f.finish() }]);
    const d = dv(), s = stateAddr(X);
    for (let i = 0; i < 16; i++) { d.setUint8(s + i, i); d.setUint8(s + 16 + i, 0xf0 + (i & 1) * 2); }
    for (let i = 0; i < 4; i++) d.setUint32(s + 96 + i * 4, 0xdeadbeef, true);
    expect(backend.runtimeFunction("vops")()).toBe(0xffff);
    const bytes = (off: number, n = 16) => [...new Uint8Array(d.buffer, s + off, n)];
    expect(bytes(32)).toEqual(Array.from({ length: 16 }, (_, i) => (i + 0xf0 + (i & 1) * 2) & 255));
    expect(bytes(48)).toEqual([0xf0, 0, 0xf2, 1, 0xf0, 2, 0xf2, 3, 0xf0, 4, 0xf2, 5, 0xf0, 6, 0xf2, 7]);
    expect(bytes(64)).toEqual(Array.from({ length: 16 }, (_, i) => (i < 4 || (i >= 8 && i < 12) ? i ^ 255 : i)));
    expect(bytes(80)).toEqual([0xf0, 0xf2, 0xf0, 0xf2, ...new Array(12).fill(0)]);
    expect(bytes(96)).toEqual([0xef, 0xbe, 0xad, 0xde, 0xf0, 0xf2, 0xf0, 0xf2, 0xf0, 0xf2, 0xf0, 0xf2, 0xef, 0xbe, 0xad, 0xde]);
  });

  it("loads and stores 16 bytes of guest memory through the slow path as two halves", () => {
    const { backend, dv, slow } = setup();
    backend.buildRuntime([]);
    const b = new IrBuilder("tbv");
    b.insnStart(0, 1);
    const v = b.ldGuest(IrType.V128, b.i64(0x100), 16, 0);
    b.stGuest(v, b.i64(0x204), 16, 0);
    b.stGuest(b.ldGuest(IrType.V128, b.i64(0x100), 4, 0), b.i64(0x300), 8, 0);
    b.stEnv(b.i64(0), StateOff.RIP);
    b.exit(TbExit.HALT);
    const [slot] = backend.compileBatch({ csBase: 0, blocks: [{ unit: b.finish(), rip: 0 }] });
    const d = dv();
    for (let i = 0; i < 16; i++) d.setUint8(WasmLayout.RAM_BASE + 0x100 + i, 0x10 + i);
    d.setInt32(stateAddr(StateOff.RUN), 1000, true);
    d.setInt32(WasmLayout.JMP_CACHE_BASE + 12, slot!, true);
    expect(backend.dispatch()).toBe(TbExit.HALT);
    const ram = (off: number, n: number) => [...new Uint8Array(d.buffer, WasmLayout.RAM_BASE + off, n)];
    expect(ram(0x204, 16)).toEqual(Array.from({ length: 16 }, (_, i) => 0x10 + i));
    expect(ram(0x300, 8)).toEqual([0x10, 0x11, 0x12, 0x13, 0, 0, 0, 0]);
    expect(slow).toEqual([0x100, 8, 0x108, 8, 0x204, 8, 0x20c, 8, 0x100, 4, 0x300, 8]);
  });
});
