import { describe, expect, test } from "vitest";
import { ConfigError } from "../common/errors.js";
import { ArrayGuestMemory } from "./guest-memory.js";
import { parseBzImage } from "./bzimage.js";
import { loadBzImage, STARTUP_64_OFFSET } from "./bzimage-loader.js";
import { E820Type, pcMemoryMap } from "./e820.js";
import { fakeBzImage, fakeKernelBytes } from "./testing/images.js";
import { CMDLINE_GPA, PML4_GPA, ZERO_PAGE_GPA } from "./layout.js";

const MiB = 1 << 20;
const dv = (m: ArrayGuestMemory): DataView => new DataView(m.bytes.buffer);
/** Byte comparison without vitest's (slow for megabytes) deep equality. */
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function expectConfigError(f: () => unknown, msg: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(msg);
    return;
  }
  throw new Error("expected a ConfigError");
}

describe("parseBzImage", () => {
  test("reads the setup header", () => {
    const h = parseBzImage(fakeBzImage({ setupSects: 0 }));
    expect(h.setupSects).toBe(4);
    expect(h.version).toBe(0x020f);
    expect(h.kernelOffset).toBe(2560);
    expect(h.prefAddress).toBe(0x1000000);
    expect(h.headerEnd).toBe(0x26c);
  });
  test("rejects bad images with one-line ConfigErrors", () => {
    const img = fakeBzImage();
    img[0x202] = 0;
    expectConfigError(() => parseBzImage(img), /^not a bzImage: missing HdrS magic$/);
    expectConfigError(() => parseBzImage(fakeBzImage({ version: 0x0204 })), /^boot protocol 2\.04 too old \(need >= 2\.06\)$/);
    expectConfigError(() => parseBzImage(fakeBzImage({ loadflags: 0 })), /LOADED_HIGH/);
    expectConfigError(() => parseBzImage(fakeBzImage().subarray(0, 0x100)), /too short/);
    expectConfigError(() => parseBzImage(fakeBzImage().subarray(0, 4000)), /truncated/);
    expectConfigError(() => parseBzImage(fakeBzImage({ kernelAlignment: 3 })), /power of two/);
    expectConfigError(() => parseBzImage(fakeBzImage({ payloadOffset: 0x10, payloadLength: 0xffffffff })), /payload/);
  });
});

describe("loadBzImage", () => {
  const map = pcMemoryMap(64 * MiB);
  test("64-bit entry: kernel, zero page, cmdline, initrd, page tables, registers", () => {
    const mem = new ArrayGuestMemory(64 * MiB);
    const initrd = fakeKernelBytes(3 * MiB + 5);
    const r = loadBzImage(mem, fakeBzImage(), { memoryMap: map, cmdline: "console=ttyS0", initrd, acpiRsdpGpa: 0xe0000 });
    expect(r.kernelGpa).toBe(0x1000000);
    expect(same(mem.bytes.subarray(0x1000000, 0x1000000 + 65536), fakeKernelBytes(65536))).toBe(true);
    const z = dv(mem), zp = ZERO_PAGE_GPA;
    expect(z.getUint32(zp + 0x202, true)).toBe(0x53726448);
    expect(z.getUint8(zp + 0x210)).toBe(0xff);
    expect(z.getUint32(zp + 0x228, true)).toBe(CMDLINE_GPA);
    expect(new TextDecoder().decode(mem.bytes.subarray(CMDLINE_GPA, CMDLINE_GPA + 14))).toBe("console=ttyS0\0");
    const rd = z.getUint32(zp + 0x218, true);
    expect(rd).toBe(r.initrdGpa);
    expect(rd % 4096).toBe(0);
    expect(rd + initrd.length).toBeLessThanOrEqual(64 * MiB);
    expect(rd + initrd.length).toBeGreaterThan(64 * MiB - 4096);
    expect(z.getUint32(zp + 0x21c, true)).toBe(initrd.length);
    expect(same(mem.bytes.subarray(rd, rd + initrd.length), initrd)).toBe(true);
    expect(z.getUint32(zp + 0x070, true)).toBe(0xe0000);
    expect(z.getUint8(zp + 0x1e8)).toBe(4);
    expect(z.getUint32(zp + 0x2d0 + 3 * 20, true)).toBe(0x100000);
    expect(z.getUint32(zp + 0x2d0 + 3 * 20 + 8, true)).toBe(63 * MiB);
    expect(z.getUint32(zp + 0x2d0 + 3 * 20 + 16, true)).toBe(E820Type.RAM);
    expect(z.getUint8(zp + 0x1ef)).toBe(0); // sentinel
    const c = r.cpu;
    expect(c.mode).toBe("long64");
    expect(c.rip).toBe(0x1000000 + STARTUP_64_OFFSET);
    expect(c.rsi).toBe(ZERO_PAGE_GPA);
    expect(c.rflags & 0x200).toBe(0);
    expect(c.cr3).toBe(PML4_GPA);
    expect(c.cr0 >>> 31).toBe(1);
    expect(c.efer).toBe(0x500);
    expect(c.cs.selector).toBe(0x10);
    expect(c.cs.attr).toBe(0xa09b); // G, L, P, code exec/read, accessed
    expect(c.ds.selector).toBe(0x18);
    expect(c.ds.limit).toBe(0xffffffff);
    // The GDT entry 2 in memory matches the cache.
    expect(z.getUint32(c.gdt.base + 0x10 + 4, true)).toBe(0x00af9b00);
    // Identity map: PML4[0] -> PDPT, PDPT[3] -> 4th PD, last PDE maps 4 GiB - 2 MiB.
    expect(z.getUint32(PML4_GPA, true) & ~0xfff).toBe(0xa000);
    expect(z.getUint32(0xa000 + 3 * 8, true) & ~0xfff).toBe(0xe000);
    expect(z.getUint32(0xe000 + 511 * 8, true)).toBe((0xffe00000 | 0x83) >>> 0);
  });
  test("32-bit entry: flat protected mode, paging off", () => {
    const mem = new ArrayGuestMemory(64 * MiB);
    const r = loadBzImage(mem, fakeBzImage(), { memoryMap: map, entry: "32" });
    expect(r.cpu.mode).toBe("protected32-flat");
    expect(r.cpu.rip).toBe(0x1000000);
    expect(r.cpu.cr0 & 0x80000001).toBe(1);
    expect(r.cpu.cs.attr).toBe(0xc09b);
    expect(r.cpu.ss.attr).toBe(0xc093);
    expect(r.cpu.rbx | r.cpu.rbp | r.cpu.rdi).toBe(0);
  });
  test("relocates a kernel whose pref_address is not RAM", () => {
    const mem = new ArrayGuestMemory(64 * MiB);
    const r = loadBzImage(mem, fakeBzImage({ prefAddress: 0x80000000 }), { memoryMap: map });
    expect(r.kernelGpa).toBe(0x200000);
    // Never below 1 MiB, where the zero page and friends live.
    expect(loadBzImage(mem, fakeBzImage({ prefAddress: 0x8000 }), { memoryMap: map }).kernelGpa).toBe(0x200000);
    expect(() => loadBzImage(mem, fakeBzImage({ prefAddress: 0x8000, relocatable: false }), { memoryMap: map })).toThrow(/below 1 MiB/);
  });
  test("configuration errors", () => {
    const mem = new ArrayGuestMemory(64 * MiB);
    expectConfigError(() => loadBzImage(mem, fakeBzImage({ initSize: 80 * MiB }), { memoryMap: map }), /^kernel .* does not fit in 64 MiB of RAM$/);
    expectConfigError(() => loadBzImage(mem, fakeBzImage({ prefAddress: 0x80000000, relocatable: false }), { memoryMap: map }), /does not fit/);
    expectConfigError(() => loadBzImage(mem, fakeBzImage(), { memoryMap: map, initrd: new Uint8Array(60 * MiB) }), /^initrd \(60 MiB\) does not fit below initrd_addr_max/);
    expectConfigError(() => loadBzImage(mem, fakeBzImage({ xloadflags: 0 }), { memoryMap: map }), /XLF_KERNEL_64/);
    expectConfigError(() => loadBzImage(mem, fakeBzImage({ cmdlineSize: 4 }), { memoryMap: map, cmdline: "console=ttyS0" }), /command line/);
  });
  test("initrd_addr_max is honoured", () => {
    const mem = new ArrayGuestMemory(64 * MiB);
    const r = loadBzImage(mem, fakeBzImage({ initrdAddrMax: 0x2ffffff }), { memoryMap: map, initrd: new Uint8Array(MiB) });
    expect(r.initrdGpa).toBe(0x2f00000);
  });
});

describe("fuzz", () => {
  test("random header mutations give success or ConfigError only", () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const base = fakeBzImage({ kernel: fakeKernelBytes(8192) });
    const mem = new ArrayGuestMemory(64 * MiB);
    const map = pcMemoryMap(64 * MiB);
    let ok = 0;
    for (let i = 0; i < 400; i++) {
      const img = base.slice(0, rnd(8) === 0 ? rnd(base.length) : base.length);
      const n = 1 + rnd(6);
      for (let k = 0; k < n; k++) {
        const at = 0x1f1 + rnd(0x80);
        if (at < img.length) img[at] = rnd(4) === 0 ? 0xff : rnd(256);
      }
      try {
        loadBzImage(mem, img, { memoryMap: map, cmdline: "x", initrd: new Uint8Array(4096), entry: rnd(2) ? "64" : "32" });
        ok++;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        expect((e as Error).message).not.toMatch(/\n/);
      }
    }
    expect(ok).toBeGreaterThan(0);
  });
});
