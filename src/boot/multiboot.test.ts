import { describe, expect, test } from "vitest";
import { ConfigError } from "../common/errors.js";
import { ArrayGuestMemory } from "./guest-memory.js";
import { pcMemoryMap } from "./e820.js";
import { findMultibootHeader, loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC } from "./multiboot.js";
import { fakeElf, fakeKernelBytes, fakeMultibootAout } from "./testing/images.js";
import { MULTIBOOT_INFO_GPA } from "./layout.js";

const MiB = 1 << 20;
const cstr = (m: Uint8Array, at: number): string => {
  let s = "";
  while (m[at] !== 0) s += String.fromCharCode(m[at++]!);
  return s;
};

describe("multiboot v1", () => {
  test("a.out kludge: load, bss, modules, info struct, entry state", () => {
    const mem = new ArrayGuestMemory(16 * MiB);
    mem.bytes.fill(0xcc, 0x100000, 0x110000);
    const img = fakeMultibootAout({ bss: 0x2000 });
    const mod = fakeKernelBytes(5000);
    const r = loadMultiboot(mem, img, { memoryMap: pcMemoryMap(16 * MiB), cmdline: "kernel arg", modules: [{ data: mod, cmdline: "mod1 x" }] });
    expect(r.entry).toBe(0x100000 + 0x40 + 32);
    expect(mem.bytes[0x100000 + 4096 + 0x100]).toBe(0); // bss cleared
    expect(r.cpu.rax).toBe(MULTIBOOT_BOOTLOADER_MAGIC);
    expect(r.cpu.rbx).toBe(MULTIBOOT_INFO_GPA);
    expect(r.cpu.mode).toBe("protected32-flat");
    const dv = new DataView(mem.bytes.buffer), mi = MULTIBOOT_INFO_GPA;
    const flags = dv.getUint32(mi, true);
    expect(flags & 0x24d).toBe(0x24d);
    expect(dv.getUint32(mi + 4, true)).toBe(639);
    expect(dv.getUint32(mi + 8, true)).toBe(15 * 1024);
    expect(cstr(mem.bytes, dv.getUint32(mi + 16, true))).toBe("kernel arg");
    expect(dv.getUint32(mi + 20, true)).toBe(1);
    const m0 = dv.getUint32(mi + 24, true);
    expect(dv.getUint32(m0, true)).toBe(r.moduleGpas[0]);
    expect(r.moduleGpas[0]! % 4096).toBe(0);
    expect(dv.getUint32(m0 + 4, true) - dv.getUint32(m0, true)).toBe(5000);
    expect(cstr(mem.bytes, dv.getUint32(m0 + 8, true))).toBe("mod1 x");
    const mmapLen = dv.getUint32(mi + 44, true), mmap = dv.getUint32(mi + 48, true);
    expect(mmapLen).toBe(4 * 24);
    expect(dv.getUint32(mmap, true)).toBe(20);
    expect(dv.getUint32(mmap + 3 * 24 + 4, true)).toBe(0x100000);
    expect(cstr(mem.bytes, dv.getUint32(mi + 64, true))).toBe("tsemu");
  });
  test("ELF images load by p_paddr, entry translated", () => {
    const elf = fakeElf({ class: 32, paddr: 0x200000, vaddr: 0xc0200000, entry: 0xc0200010 });
    // Put a multiboot header (no a.out kludge) inside the first 8 KiB: at 0x100 (inside the ELF headers' padding).
    const hdr = new DataView(elf.buffer);
    hdr.setUint32(0x100, 0x1badb002, true);
    hdr.setUint32(0x104, 3, true);
    hdr.setUint32(0x108, (-(0x1badb002 + 3)) >>> 0, true);
    expect(findMultibootHeader(elf)?.offset).toBe(0x100);
    const mem = new ArrayGuestMemory(16 * MiB);
    const r = loadMultiboot(mem, elf, { memoryMap: pcMemoryMap(16 * MiB) });
    expect(r.entry).toBe(0x200010);
  });
  test("errors", () => {
    const mem = new ArrayGuestMemory(16 * MiB);
    const map = pcMemoryMap(16 * MiB);
    expect(() => loadMultiboot(mem, new Uint8Array(9000), { memoryMap: map })).toThrow(/no header/);
    expect(() => loadMultiboot(mem, fakeMultibootAout({ flags: (1 << 16) | (1 << 5) }), { memoryMap: map })).toThrow(/unsupported features/);
    expect(() => loadMultiboot(mem, fakeMultibootAout({ loadAddr: 0x2000000 }), { memoryMap: map })).toThrow(/does not fit/);
  });
  test("fuzzed headers give success or ConfigError only", () => {
    let seed = 3;
    const rnd = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const base = fakeMultibootAout();
    const mem = new ArrayGuestMemory(16 * MiB);
    for (let i = 0; i < 300; i++) {
      const img = base.slice();
      for (let k = 0, n = 1 + rnd(4); k < n; k++) img[0x40 + 12 + rnd(20)] = rnd(256);
      const flags = new DataView(img.buffer).getUint32(0x44, true);
      new DataView(img.buffer).setUint32(0x48, (-(0x1badb002 + flags)) >>> 0, true);
      try {
        loadMultiboot(mem, img, { memoryMap: pcMemoryMap(16 * MiB) });
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
    }
  });
});
