/**
 * Checks the lazy-flags IR (flags.ts) through the Wasm backend against a straightforward
 * reference computed in the test with BigInt (tests are not a hot path).
 */
import { describe, expect, it } from "vitest";
import { WasmBackend } from "../jit/wasm/backend.js";
import { WasmLayout } from "../memory/wasm-layout.js";
import { CC_OP_COUNT, CC_OP_EFLAGS, CcKind, ccOp } from "./flags.js";
import { runtimeFunctions } from "./runtime-fns.js";
import { StateOff, stateAddr } from "./state-layout.js";

function setup(optimize = false) {
  const memory = new WebAssembly.Memory({ initial: WasmLayout.RAM_BASE / 65536, maximum: 65536 });
  const table = new WebAssembly.Table({ element: "anyfunc", initial: 4 });
  const backend = new WasmBackend({ memory, table, ldSlow: () => 1, stSlow: () => 1, resolveHelper: () => () => 0 }, undefined, { optimize });
  backend.buildRuntime(runtimeFunctions());
  const dv = new DataView(memory.buffer);
  const eflags = backend.runtimeFunction("compute_eflags");
  return (op: number, dst: bigint, src: bigint, src2 = 0n): number => {
    dv.setInt32(stateAddr(StateOff.CC_OP), op, true);
    dv.setBigUint64(stateAddr(StateOff.CC_DST), BigInt.asUintN(64, dst), true);
    dv.setBigUint64(stateAddr(StateOff.CC_SRC), BigInt.asUintN(64, src), true);
    dv.setBigUint64(stateAddr(StateOff.CC_SRC2), BigInt.asUintN(64, src2), true);
    return eflags() as number;
  };
}

/** Reference: flags of a + b (+ carry) or a - b (- borrow) at `bits`. */
function ref(kind: "add" | "sub", a: bigint, b: bigint, carry: bigint, bits: number) {
  const mask = (1n << BigInt(bits)) - 1n;
  a &= mask; b &= mask;
  const full = kind === "add" ? a + b + carry : a - b - carry;
  const r = full & mask;
  const sign = (v: bigint) => (v >> BigInt(bits - 1)) & 1n;
  const cf = kind === "add" ? full > mask : full < 0n;
  const of = kind === "add" ? sign(a) === sign(b) && sign(r) !== sign(a) : sign(a) !== sign(b) && sign(r) !== sign(a);
  let pop = 0; for (let i = 0n; i < 8n; i++) pop += Number((r >> i) & 1n);
  const af = ((a ^ b ^ r) & 0x10n) !== 0n;
  return { r, flags: (cf ? 1 : 0) | (pop % 2 === 0 ? 4 : 0) | (af ? 0x10 : 0) | (r === 0n ? 0x40 : 0) | (sign(r) ? 0x80 : 0) | (of ? 0x800 : 0) };
}

describe("lazy flags", () => {
  const flags = setup();
  it("the binaryen-optimised runtime agrees with the plain one", () => {
    const opt = setup(true);
    const vals = [0n, 1n, 0x7fn, 0x80n, 0xffffffffn, 0x8000000000000000n, 0x123456789abcdef0n];
    for (let op = 0; op < CC_OP_COUNT; op++) for (const d of vals) for (const s of vals) for (const c of [0n, 1n]) {
      expect(opt(op, d, s, c)).toBe(flags(op, d, s, c));
    }
  });
  const samples = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
    0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n, 0x0fn, 0x10n];
  for (const size of [1, 2, 4, 8] as const) {
    it(`ADD/ADC/SUB/SBB at ${size * 8} bits match the reference`, () => {
      for (const a of samples) for (const b of samples) for (const c of [0n, 1n]) {
        const add = ref("add", a, b, c, size * 8);
        expect(flags(ccOp(c ? CcKind.ADC : CcKind.ADD, size), add.r, b, c)).toBe(add.flags);
        const sub = ref("sub", a, b, c, size * 8);
        expect(flags(ccOp(c ? CcKind.SBB : CcKind.SUB, size), sub.r, b, c)).toBe(sub.flags);
      }
    });
  }
  it("LOGIC clears CF/OF/AF and sets ZF/SF/PF from the result", () => {
    expect(flags(ccOp(CcKind.LOGIC, 4), 0n, 0n)).toBe(0x44);
    expect(flags(ccOp(CcKind.LOGIC, 1), 0x81n, 0n)).toBe(0x84);
  });
  it("EFLAGS passes the stored flags through", () => {
    expect(flags(CC_OP_EFLAGS, 0n, 0x8d5n)).toBe(0x8d5);
  });
  it("INC/DEC keep CF and set OF at the signed boundary", () => {
    expect(flags(ccOp(CcKind.INC, 1), 0x80n, 1n)).toBe(0x800 | 0x80 | 0x10 | 1);
    expect(flags(ccOp(CcKind.DEC, 8), 0x7fffffffffffffffn, 0n)).toBe(0x800 | 0x10 | 4);
  });
});
