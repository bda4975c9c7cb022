import { describe, expect, test } from "vitest";
import { long64State, protected32State, segmentFromDescriptor } from "./boot-state.js";
import { ArrayGuestMemory } from "./guest-memory.js";
import { BOOT_GDT_GPA } from "./layout.js";

describe("boot state", () => {
  test("segment cache from a descriptor: base, byte/page-granular limit, attr without limit bits", () => {
    // base 0x12345678, limit 0xabcde, byte granular, 32-bit data, DPL 3.
    const lo = (0x5678 << 16) | 0xbcde, hi = 0x12000000 | 0x00400000 | 0x000a0000 | 0xf200 | 0x34;
    expect(segmentFromDescriptor(0x2b, lo >>> 0, hi >>> 0)).toEqual({ selector: 0x2b, base: 0x12345678, limit: 0xabcde, attr: 0x40f2 });
    expect(segmentFromDescriptor(0x10, 0x0000ffff, 0x00cf9b00).limit).toBe(0xffffffff);
  });
  test("protected32 and long64 states write a matching GDT", () => {
    const mem = new ArrayGuestMemory(1 << 20);
    const p = protected32State(mem, 0x100000, { rbx: 7 });
    expect(p).toMatchObject({ mode: "protected32-flat", rip: 0x100000, rbx: 7, cr0: 0x31, cr3: 0, cr4: 0, efer: 0, rflags: 2 });
    expect(p.gdt).toEqual({ base: BOOT_GDT_GPA, limit: 39 });
    const dv = new DataView(mem.bytes.buffer);
    expect(dv.getUint32(BOOT_GDT_GPA + 0x10 + 4, true)).toBe(0x00cf9b00);
    const l = long64State(mem, 0x1000200, 0x9000, { rsi: 0x7000 });
    expect(l).toMatchObject({ mode: "long64", cr0: 0x80000031, cr3: 0x9000, cr4: 0x20, efer: 0x500, rsi: 0x7000 });
    expect(dv.getUint32(BOOT_GDT_GPA + 0x10 + 4, true)).toBe(0x00af9b00);
    expect(l.tr).toMatchObject({ selector: 0x20, base: 0, limit: 0x67, attr: 0x8b });
  });
});
