/**
 * The JIT statistics (`Cpu.jitStats()`, `info jit`) on a small program: a linked loop with a
 * load and a store per iteration, then a write into its own code page and a CR3 reload. Counts
 * must move with the work done: twice the iterations, exactly that many more linked jumps and
 * twice as many more TLB fast-path hits.
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { formatJitInfo, type JitStats } from "../../src/jit/jit-info.js";
import { nasm } from "../helpers/nasm.js";

function run(iterations: number, stats: boolean): JitStats {
  let ms = 0;
  const t = createTestCpu(4 << 20, () => ms++, { stats });
  t.load(0x100000, nasm(`
    mov ecx, ${iterations}
    lea rsi, [rel buf]
  l:
    add eax, [rsi]
    mov [rsi + 8], eax
    dec ecx
    jnz l
    mov byte [rel l], 0x03      ; the same instruction: a write to translated code
    mov rax, cr3
    mov cr3, rax
    mov dx, 0xf4
    out dx, al
    hlt
    align 4096
  buf: dq 1, 0`));
  t.enterLongMode();
  t.run();
  expect(t.exitCode).toBeDefined();
  return t.cpu.jitStats();
}

describe("jitStats", () => {
  it("counts translation, linking, the jump cache, the TLB and self-modifying code", () => {
    const a = run(1000, true);
    expect(a.blocksTranslated).toBeGreaterThanOrEqual(3);
    expect(a.modules).toBeGreaterThanOrEqual(1);
    expect(a.wasmBytes).toBeGreaterThan(100 * a.modules);
    expect(a.compileMs).toBeGreaterThan(0);
    expect(a.linking).toBe(true);
    expect(a.linkedExits).toBeGreaterThanOrEqual(1);
    expect(a.chainedJumps).toBeGreaterThanOrEqual(999);
    expect(a.jumpCacheHits).toBeGreaterThanOrEqual(1);
    expect(a.jumpCacheMisses).toBeGreaterThanOrEqual(1);
    expect(a.dispatcherCalls).toBeGreaterThanOrEqual(a.jumpCacheMisses);
    expect(a.tlbHits).toBeGreaterThanOrEqual(2 * 999);
    expect(a.tlbSlowPath).toBeGreaterThanOrEqual(2); // the first load and store, the code-page write
    expect(a.tlbFills).toBeGreaterThan(0);
    expect(a.tlbNonGlobalFlushes).toBe(1);
    expect(a.smcWrites).toBe(1);
    expect(a.smcBlocks).toBeGreaterThanOrEqual(1);

    const b = run(2000, true);
    expect(b.chainedJumps! - a.chainedJumps!).toBe(1000);
    expect(b.tlbHits! - a.tlbHits!).toBe(2000);
    expect(b.jumpCacheMisses).toBe(a.jumpCacheMisses);
    expect(b.blocksTranslated).toBe(a.blocksTranslated);
    expect(b.insnsRetired - a.insnsRetired).toBe(4000);
  });

  it("without the stats option, generated-code counts are null and the rest still counts", () => {
    const a = run(1000, false);
    expect(a.chainedJumps).toBeNull();
    expect(a.jumpCacheHits).toBeNull();
    expect(a.tlbHits).toBeNull();
    expect(a.blocksTranslated).toBeGreaterThanOrEqual(3);
    expect(a.smcWrites).toBe(1);
    const text = formatJitInfo(a);
    expect(text).toMatch(/blocks translated\s+\d/);
    expect(text).toMatch(/jump cache hits\s+n\/a/);
  });
});
