import { describe, expect, test } from "vitest";
import { ConfigError } from "../common/errors.js";
import { ArrayGuestMemory } from "./guest-memory.js";
import { pcMemoryMap } from "./e820.js";
import { findPvhEntry, HVM_START_MAGIC, loadPvh } from "./pvh.js";
import { parseElf } from "./elf.js";
import { fakeElf, fakeKernelBytes } from "./testing/images.js";
import { CMDLINE_GPA, PVH_MEMMAP_GPA, PVH_MODLIST_GPA, PVH_START_INFO_GPA } from "./layout.js";

const MiB = 1 << 20;

describe("PVH", () => {
  test("finds the Xen PHYS32_ENTRY note (4- and 8-byte descriptors, ELF32 and ELF64)", () => {
    expect(findPvhEntry(fakeElf({ pvhEntry: 0x1234560 }))).toBe(0x1234560);
    expect(findPvhEntry(fakeElf({ pvhEntry: 0x1234560, noteDescSize: 4 }))).toBe(0x1234560);
    expect(findPvhEntry(fakeElf({ class: 32, pvhEntry: 0x100040 }))).toBe(0x100040);
    expect(findPvhEntry(fakeElf())).toBeNull();
  });
  test("loads segments, builds hvm_start_info and enters flat 32-bit with EBX", () => {
    const mem = new ArrayGuestMemory(32 * MiB);
    const code = fakeKernelBytes(8192);
    const initrd = fakeKernelBytes(100000);
    const map = pcMemoryMap(32 * MiB);
    const r = loadPvh(mem, fakeElf({ paddr: 0x1000000, vaddr: 0xffffffff81000000, code, bss: 4096, pvhEntry: 0x1000100 }), {
      memoryMap: map, cmdline: "console=ttyS0", initrd, acpiRsdpGpa: 0xe0000,
    });
    expect(Array.from(mem.bytes.subarray(0x1000000, 0x1000010))).toEqual(Array.from(code.subarray(0, 16)));
    expect(mem.bytes[0x1000000 + 8192 + 100]).toBe(0);
    const dv = new DataView(mem.bytes.buffer);
    const si = PVH_START_INFO_GPA;
    expect(dv.getUint32(si, true)).toBe(HVM_START_MAGIC);
    expect(dv.getUint32(si + 4, true)).toBe(1);
    expect(dv.getUint32(si + 0x0c, true)).toBe(1);
    expect(dv.getUint32(si + 0x10, true)).toBe(PVH_MODLIST_GPA);
    expect(dv.getUint32(si + 0x18, true)).toBe(CMDLINE_GPA);
    expect(dv.getUint32(si + 0x20, true)).toBe(0xe0000);
    expect(dv.getUint32(si + 0x28, true)).toBe(PVH_MEMMAP_GPA);
    expect(dv.getUint32(si + 0x30, true)).toBe(map.length);
    expect(dv.getUint32(PVH_MODLIST_GPA, true)).toBe(r.initrdGpa);
    expect(dv.getUint32(PVH_MODLIST_GPA + 8, true)).toBe(initrd.length);
    expect(dv.getUint32(PVH_MEMMAP_GPA + 3 * 24, true)).toBe(0x100000);
    expect(dv.getUint32(PVH_MEMMAP_GPA + 3 * 24 + 16, true)).toBe(1);
    expect(r.cpu.mode).toBe("protected32-flat");
    expect(r.cpu.rip).toBe(0x1000100);
    expect(r.cpu.rbx).toBe(PVH_START_INFO_GPA);
    expect(r.cpu.cr0 & 0x80000001).toBe(1);
    expect(r.cpu.cs.limit).toBe(0xffffffff);
    expect(r.cpu.tr.limit).toBe(0x67);
    expect(r.cpu.tr.attr & 0x8f).toBe(0x8b);
  });
  test("errors", () => {
    const mem = new ArrayGuestMemory(8 * MiB);
    const map = pcMemoryMap(8 * MiB);
    expect(() => loadPvh(mem, fakeElf(), { memoryMap: map })).toThrow(/no PVH entry point/);
    expect(() => loadPvh(mem, fakeElf({ paddr: 0x1000000, pvhEntry: 0x1000000 }), { memoryMap: map })).toThrow(/does not fit in 8 MiB of RAM/);
    expect(() => loadPvh(mem, new Uint8Array(100), { memoryMap: map })).toThrow(ConfigError);
    expect(() => loadPvh(mem, fakeElf({ paddr: 0x6000, pvhEntry: 0x6000 }), { memoryMap: map })).toThrow(/below 1 MiB/);
  });
  test("fuzzed ELF headers give success or ConfigError only", () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const base = fakeElf({ pvhEntry: 0x100000, code: fakeKernelBytes(512) });
    const mem = new ArrayGuestMemory(8 * MiB);
    for (let i = 0; i < 300; i++) {
      const img = base.slice(0, rnd(6) === 0 ? rnd(base.length) : base.length);
      for (let k = 0, n = 1 + rnd(4); k < n; k++) { const at = rnd(0xa0); if (at < img.length) img[at] = rnd(256); }
      try {
        parseElf(img);
        loadPvh(mem, img, { memoryMap: pcMemoryMap(8 * MiB) });
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
    }
  });
});
