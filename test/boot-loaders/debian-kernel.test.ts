/**
 * System tests of the loaders on the real Debian kernel (fixtures/cache/vmlinuz, made by
 * `npm run fixtures`): the bzImage parses, the zero page is right, extractVmlinux yields the
 * ELF vmlinux with its PVH note, and that vmlinux loads through PVH.
 */
import { describe, expect, test } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../src/common/errors.js";
import { ArrayGuestMemory } from "../../src/boot/guest-memory.js";
import { parseBzImage, versionString, XLF_KERNEL_64 } from "../../src/boot/bzimage.js";
import { loadBzImage } from "../../src/boot/bzimage-loader.js";
import { pcMemoryMap } from "../../src/boot/e820.js";
import { extractVmlinux, payloadFormat } from "../../src/boot/extract-vmlinux.js";
import { parseElf, PT_LOAD } from "../../src/boot/elf.js";
import { findPvhEntry, HVM_START_MAGIC, loadPvh } from "../../src/boot/pvh.js";
import { writeAcpiTables } from "../../src/boot/acpi/build.js";
import { defaultPlatformTables } from "../../src/boot/acpi/config.js";
import { CMDLINE_GPA, PVH_START_INFO_GPA, ZERO_PAGE_GPA } from "../../src/boot/layout.js";

const VMLINUZ = fileURLToPath(new URL("../../fixtures/cache/vmlinuz", import.meta.url));
const MiB = 1 << 20;

function kernel(): Uint8Array {
  if (!existsSync(VMLINUZ)) throw new Error(`missing ${VMLINUZ}: run \`npm run fixtures\` first`);
  const b = readFileSync(VMLINUZ);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const hex = (n: number): string => "0x" + n.toString(16);
const image = existsSync(VMLINUZ) ? kernel() : null;
const h = image ? parseBzImage(image) : null;
const figures = h ? `protocol ${versionString(h.version)}, pref_address ${hex(h.prefAddress)}, init_size ${hex(h.initSize)}` : "missing";

describe("Debian bzImage", () => {
  test(`parses (${figures})`, () => {
    const hdr = parseBzImage(kernel());
    console.log(`vmlinuz: ${figures}, setup_sects ${hdr.setupSects}, xloadflags ${hex(hdr.xloadflags)}, kernel_alignment ${hex(hdr.kernelAlignment)}, payload ${hex(hdr.payloadOffset)}+${hex(hdr.payloadLength)}`);
    expect(hdr.version).toBeGreaterThanOrEqual(0x020f);
    expect(hdr.xloadflags & XLF_KERNEL_64).toBe(XLF_KERNEL_64);
    expect(hdr.relocatableKernel).toBe(true);
    expect(hdr.prefAddress).toBe(0x1000000);
  });

  test("loads with a correct zero page (64-bit entry)", () => {
    const img = kernel();
    const mem = new ArrayGuestMemory(256 * MiB);
    const map = pcMemoryMap(256 * MiB);
    const rsdp = writeAcpiTables(mem, defaultPlatformTables(1));
    const initrd = new Uint8Array(2 * MiB).fill(0x5a);
    const r = loadBzImage(mem, img, { memoryMap: map, cmdline: "console=ttyS0 earlyprintk=ttyS0", initrd, acpiRsdpGpa: rsdp });
    const dv = new DataView(mem.bytes.buffer);
    const zp = ZERO_PAGE_GPA;
    // The setup header is copied verbatim from 0x1f1 except the fields a loader writes.
    for (const off of [0x1f1, 0x202, 0x206, 0x230, 0x236, 0x258, 0x260]) expect(mem.bytes[zp + off]).toBe(img[off]);
    expect(dv.getUint8(zp + 0x210)).toBe(0xff);
    expect(dv.getUint32(zp + 0x228, true)).toBe(CMDLINE_GPA);
    expect(dv.getUint32(zp + 0x218, true)).toBe(r.initrdGpa);
    expect(dv.getUint32(zp + 0x21c, true)).toBe(initrd.length);
    expect(r.initrdGpa! + initrd.length).toBe(256 * MiB);
    expect(dv.getUint32(zp + 0x070, true)).toBe(rsdp);
    expect(dv.getUint8(zp + 0x1e8)).toBe(map.length);
    expect(r.kernelGpa).toBe(0x1000000);
    expect(r.kernelEnd).toBe(0x1000000 + r.header.initSize);
    // The protected-mode code is at the load address, startup_64 0x200 in.
    expect(mem.bytes.subarray(0x1000000, 0x1000000 + 64)).toEqual(img.subarray(r.header.kernelOffset, r.header.kernelOffset + 64));
    expect(r.cpu.rip).toBe(0x1000200);
    expect(r.cpu.rsi).toBe(zp);
    expect(r.cpu.mode).toBe("long64");
  });

  test("extractVmlinux yields the ELF vmlinux with a PVH entry note", () => {
    const img = kernel();
    const hdr = parseBzImage(img);
    const start = hdr.kernelOffset + hdr.payloadOffset;
    expect(payloadFormat(img.subarray(start, start + 8))).toBe("xz");
    const t = Date.now();
    const vmlinux = extractVmlinux(img);
    const elf = parseElf(vmlinux, "vmlinux");
    const pvh = findPvhEntry(vmlinux, elf);
    console.log(`vmlinux: ${vmlinux.length} bytes in ${Date.now() - t} ms, ELF${elf.class}, e_entry ${hex(elf.entry)}, PVH entry ${pvh === null ? "none" : hex(pvh)}`);
    expect(elf.class).toBe(64);
    expect(pvh).not.toBeNull();
    const load = elf.segments.filter((s) => s.type === PT_LOAD);
    expect(load[0]!.paddr).toBe(0x1000000);
    expect(pvh!).toBeGreaterThan(0x1000000);
    expect(pvh!).toBeLessThan(0x1000000 + 64 * MiB);

    const mem = new ArrayGuestMemory(256 * MiB);
    const r = loadPvh(mem, vmlinux, { memoryMap: pcMemoryMap(256 * MiB), cmdline: "console=ttyS0", initrd: new Uint8Array(MiB) });
    expect(new DataView(mem.bytes.buffer).getUint32(PVH_START_INFO_GPA, true)).toBe(HVM_START_MAGIC);
    expect(r.cpu.rip).toBe(pvh);
    expect(r.cpu.rbx).toBe(PVH_START_INFO_GPA);
    expect(r.cpu.mode).toBe("protected32-flat");
  });

  test("200 random mutations of the real setup header: success or ConfigError only", () => {
    const img = kernel();
    const mem = new ArrayGuestMemory(128 * MiB);
    const map = pcMemoryMap(128 * MiB);
    let seed = 2024, ok = 0;
    const rnd = (n: number): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
    for (let i = 0; i < 200; i++) {
      const m = img.slice(0, rnd(10) === 0 ? rnd(img.length) : img.length);
      for (let k = 0, n = 1 + rnd(4); k < n; k++) { const at = 0x1f1 + rnd(0x7b); if (at < m.length) m[at] = rnd(256); }
      try {
        loadBzImage(mem, m, { memoryMap: map, cmdline: "console=ttyS0", initrd: new Uint8Array(4096) });
        ok++;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
    }
    expect(ok).toBeGreaterThan(0);
  });
});
