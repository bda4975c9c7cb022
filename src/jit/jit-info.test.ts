import { describe, expect, it } from "vitest";
import { formatJitInfo, type JitStats } from "./jit-info.js";

const stats: JitStats = {
  insnsRetired: 1_927_742_062, blocksTranslated: 154_010, blocksLive: 93_796, modules: 14_183,
  wasmBytes: 76_651_787, compileMs: 11_830.4, linking: true, linkedExits: 148_972, chainedJumps: 300,
  dispatcherCalls: 703_396, jumpCacheHits: 100, jumpCacheMisses: 300, tlbHits: 900, tlbSlowPath: 100,
  tlbFills: 2_071_465, tlbFlushes: 60, tlbNonGlobalFlushes: 16_961, tlbGlobalEntries: 2_716,
  tlbPageFlushes: 544, smcBlocks: 60_214, smcWrites: 1_776,
};

describe("formatJitInfo", () => {
  it("renders every figure with thousands separators, shares and groups", () => {
    const text = formatJitInfo(stats);
    const line = (name: string): string => text.split("\n").find((l) => l.trimStart().startsWith(name)) ?? "";
    expect(text.split("\n")[0]).toBe("Translation");
    expect(line("blocks translated")).toMatch(/154,010$/);
    expect(line("Wasm bytes")).toMatch(/76,651,787 \(498 per block\)$/);
    expect(line("compile time")).toMatch(/11,830 ms$/);
    expect(line("block linking")).toMatch(/on$/);
    expect(line("linked jumps taken")).toMatch(/300 \(75\.0%\)$/);
    expect(line("jump cache hits")).toMatch(/100 \(25\.0%\)$/);
    expect(line("fast-path hits")).toMatch(/900 \(90\.0%\)$/);
    expect(line("CR3 flushes")).toMatch(/16,961$/);
    expect(line("global entries now")).toMatch(/2,716$/);
    expect(line("blocks invalidated")).toMatch(/60,214$/);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("says when counters were not kept", () => {
    const text = formatJitInfo({ ...stats, linking: false, chainedJumps: null, jumpCacheHits: null, tlbHits: null });
    expect(text).toMatch(/block linking\s+off/);
    expect(text).toMatch(/linked jumps taken\s+n\/a \(stats off\)/);
    expect(text).toMatch(/fast-path hits\s+n\/a \(stats off\)/);
  });
});
