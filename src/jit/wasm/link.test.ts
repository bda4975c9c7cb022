/**
 * Block linking in the Wasm backend: direct tail calls between blocks of one batch, the
 * validity word that stops them into a dead block (including the running one), the budget
 * checked at every linked entry, the `link: false` option and the generated-code counters.
 */
import { describe, expect, it } from "vitest";
import { IrBuilder } from "../ir/builder.js";
import { IrType, TbExit, type IrUnit } from "../ir/types.js";
import { WasmBackend, type WasmBackendOptions } from "./backend.js";
import { JitCounter, WasmLayout } from "../../memory/wasm-layout.js";
import { SoftTlb } from "../../memory/tlb.js";
import { TbCache } from "../tb-cache.js";
import { StateOff, gprOff, stateAddr } from "../../cpu/state-layout.js";

function setup(opts: WasmBackendOptions = {}) {
  const memory = new WebAssembly.Memory({ initial: (WasmLayout.RAM_BASE + (1 << 20)) / 65536, maximum: 65536 });
  const table = new WebAssembly.Table({ element: "anyfunc", initial: 16 });
  const d = new DataView(memory.buffer);
  new SoftTlb(memory.buffer); // empty: guest accesses take the slow path
  let onStore: (addr: number) => void = () => {};
  const backend = new WasmBackend({
    memory, table,
    ldSlow: () => 0,
    stSlow: (lo) => { onStore(lo); return 0; },
    resolveHelper: () => () => 0,
  }, undefined, opts);
  backend.buildRuntime([]);
  const jc = (rip: number): number => WasmLayout.JMP_CACHE_BASE + TbCache.jcIndex(rip) * 16;
  return {
    backend, d,
    setOnStore: (f: (addr: number) => void) => { onStore = f; },
    /** Point the jump cache at `slot` for `rip` (hflags 0), or empty the entry. */
    enter: (rip: number, slot: number | null) => {
      d.setBigInt64(jc(rip), BigInt(rip), true);
      d.setInt32(jc(rip) + 8, slot === null ? -1 : 0, true);
      d.setInt32(jc(rip) + 12, slot ?? 0, true);
    },
    run: (rip: number, budget: number) => {
      d.setBigInt64(stateAddr(StateOff.RIP), BigInt(rip), true);
      d.setInt32(stateAddr(StateOff.RUN), budget, true);
      return backend.dispatch();
    },
    rax: () => d.getBigInt64(stateAddr(gprOff(0)), true),
    rip: () => d.getBigInt64(stateAddr(StateOff.RIP), true),
  };
}

/** A one-instruction block at `rip`: RAX += add, optionally a guest store, then RIP = next. */
function block(rip: number, add: number, next: number, code = TbExit.NEXT, storeTo = -1): IrUnit {
  const b = new IrBuilder(`tb${rip.toString(16)}`);
  b.insnStart(rip, 4);
  b.stEnv(b.addi(b.ldEnv(IrType.I64, gprOff(0)), add), gprOff(0));
  if (storeTo >= 0) b.stGuest(b.i64(0), b.i64(storeTo), 8, 0);
  b.stEnv(b.i64(next), StateOff.RIP);
  b.exit(code);
  return b.finish();
}

describe("block linking", () => {
  it("a block jumps straight to its successor in the same batch without the jump cache", () => {
    const t = setup({ stats: true });
    const [a] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1000, 1, 0x1040), rip: 0x1000 }, { unit: block(0x1040, 10, 0x2000, TbExit.HALT), rip: 0x1040 }] });
    t.enter(0x1000, a!); // only the first block is in the jump cache
    expect(t.run(0x1000, 100)).toBe(TbExit.HALT);
    expect(t.rax()).toBe(11n);
    expect(t.backend.stats.linkedExits).toBe(1);
    expect(t.backend.counters()![JitCounter.CHAINED]).toBe(1);
    expect(t.backend.counters()![JitCounter.JC_HIT]).toBe(1);
  });

  it("with linking off the same blocks return to the dispatcher", () => {
    const t = setup({ link: false });
    const [a] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1000, 1, 0x1040), rip: 0x1000 }, { unit: block(0x1040, 10, 0x2000, TbExit.HALT), rip: 0x1040 }] });
    t.enter(0x1000, a!);
    expect(t.run(0x1000, 100)).toBe(TbExit.MISS);
    expect(t.rax()).toBe(1n);
    expect(t.rip()).toBe(0x1040n);
    expect(t.backend.stats.linkedExits).toBe(0);
    expect(t.backend.counters()).toBeNull();
  });

  it("does not link to a block on another page", () => {
    const t = setup();
    t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1ff0, 1, 0x2000), rip: 0x1ff0 }, { unit: block(0x2000, 10, 0x3000, TbExit.HALT), rip: 0x2000 }] });
    expect(t.backend.stats.linkedExits).toBe(0);
  });

  it("a freed block is not entered through a link", () => {
    const t = setup();
    const [a, b] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1000, 1, 0x1040), rip: 0x1000 }, { unit: block(0x1040, 10, 0x2000, TbExit.HALT), rip: 0x1040 }] });
    t.backend.freeSlot(b!);
    t.enter(0x1000, a!);
    expect(t.run(0x1000, 100)).toBe(TbExit.MISS);
    expect(t.rax()).toBe(1n);
    expect(t.rip()).toBe(0x1040n);
  });

  it("a block that invalidates itself does not loop back into itself", () => {
    const t = setup();
    const [a] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1000, 1, 0x1000, TbExit.NEXT, 0x1008), rip: 0x1000 }] });
    t.enter(0x1000, a!);
    t.setOnStore(() => { t.backend.freeSlot(a!); t.enter(0x1000, null); }); // what TbCache.invalidatePage does
    expect(t.run(0x1000, 100)).toBe(TbExit.MISS);
    expect(t.rax()).toBe(1n);
  });

  it("a self-linked loop still stops when the budget is spent or an exit is requested", () => {
    const t = setup({ stats: true });
    const [a] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1000, 1, 0x1000), rip: 0x1000 }] });
    t.enter(0x1000, a!);
    expect(t.run(0x1000, 50)).toBe(TbExit.REQUEST);
    expect(t.rax()).toBe(50n);
    expect(t.backend.counters()![JitCounter.CHAINED]).toBe(50); // 49 runs and the entry that saw the budget spent
    expect(t.rip()).toBe(0x1000n);
  });

  it("reuses a slot only when every block of its module is dead", () => {
    const t = setup();
    const [a, b] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1000, 1, 0x1040), rip: 0x1000 }, { unit: block(0x1040, 10, 0x2000, TbExit.HALT), rip: 0x1040 }] });
    t.backend.freeSlot(b!);
    const [c] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x5000, 100, 0x6000, TbExit.HALT), rip: 0x5000 }] });
    expect(c).not.toBe(b); // block a's module still links to b's slot
    t.backend.freeSlot(a!);
    const [e, f] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x7000, 1, 0x8000, TbExit.HALT), rip: 0x7000 }, { unit: block(0x7040, 1, 0x8000, TbExit.HALT), rip: 0x7040 }] });
    expect([e, f].sort()).toEqual([a, b].sort());
  });

  it("links to a block of an earlier module, which keeps that slot until the importer dies", () => {
    const t = setup({ stats: true });
    const [b] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1040, 10, 0x2000, TbExit.HALT), rip: 0x1040 }] });
    const [a] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x1000, 1, 0x1040), rip: 0x1000 }], externs: [{ rip: 0x1040, slot: b! }] });
    t.enter(0x1000, a!);
    expect(t.run(0x1000, 100)).toBe(TbExit.HALT);
    expect(t.rax()).toBe(11n);
    expect(t.backend.counters()![JitCounter.CHAINED]).toBe(1);
    t.backend.freeSlot(b!); // b's module is dead, but a's module still links to its slot
    expect(t.run(0x1000, 100)).toBe(TbExit.MISS);
    expect(t.rax()).toBe(12n);
    const [c] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x5000, 1, 0x6000, TbExit.HALT), rip: 0x5000 }] });
    expect(c).not.toBe(b);
    t.backend.freeSlot(a!);
    const [d, e] = t.backend.compileBatch({ csBase: 0, blocks: [{ unit: block(0x7000, 1, 0x8000, TbExit.HALT), rip: 0x7000 }, { unit: block(0x7040, 1, 0x8000, TbExit.HALT), rip: 0x7040 }] });
    expect([d, e].sort()).toEqual([a, b].sort());
  });
});
