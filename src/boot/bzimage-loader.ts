/**
 * Direct boot of a bzImage (boot.rst "32-bit BOOT PROTOCOL" and "64-bit BOOT PROTOCOL"): load
 * the protected-mode kernel, the initrd and the command line, build the zero page and return
 * the entry register state. The default entry is the 64-bit one (startup_64 at load address +
 * 0x200) with identity-mapped page tables; the 32-bit entry (startup_32 at the load address,
 * paging off) is an option. See docs/ARCHITECTURE.md "Boot".
 */
import { ConfigError } from "../common/errors.js";
import type { GuestMemory } from "./guest-memory.js";
import { alignUp, checkedAdd, cstring, fmtSize, hex } from "./bytes.js";
import { isRam, placeHighest, validateMemoryMap, type MemoryRange } from "./e820.js";
import { parseBzImage, versionString, XLF_KERNEL_64, type SetupHeader } from "./bzimage.js";
import { encodeBootParams } from "./boot-params.js";
import { long64State, protected32State, type BootCpuState } from "./boot-state.js";
import { writeIdentityPageTables } from "./page-tables.js";
import { CMDLINE_GPA, CMDLINE_MAX, HIGH_MEMORY_GPA, IDENTITY_MAP_BYTES, INITRD_ALIGN, ZERO_PAGE_GPA } from "./layout.js";

export interface BzImageLoadOptions {
  /** The board's memory map (RAM, reserved, ACPI ranges), also given to the guest as e820. */
  memoryMap: readonly MemoryRange[];
  cmdline?: string;
  initrd?: Uint8Array;
  /** "64" (default): startup_64 in long mode; "32": startup_32 in flat protected mode. */
  entry?: "64" | "32";
  /** Physical address of the ACPI RSDP (0 or absent: the kernel scans the BIOS area). */
  acpiRsdpGpa?: number;
}

export interface BzImageLoadResult {
  cpu: BootCpuState;
  header: SetupHeader;
  kernelGpa: number;
  /** End of the region the kernel may use while decompressing (load address + init_size). */
  kernelEnd: number;
  initrdGpa: number | null;
  zeroPageGpa: number;
}

/** Offset of startup_64 from the load address (boot.rst: "at load offset + 0x200"). */
export const STARTUP_64_OFFSET = 0x200;

export function loadBzImage(mem: GuestMemory, image: Uint8Array, opts: BzImageLoadOptions): BzImageLoadResult {
  const h = parseBzImage(image);
  validateMemoryMap(opts.memoryMap);
  const long = (opts.entry ?? "64") === "64";
  if (long && !(h.xloadflags & XLF_KERNEL_64)) {
    throw new ConfigError(`kernel (protocol ${versionString(h.version)}) has no 64-bit entry point (XLF_KERNEL_64 clear); use the 32-bit entry`);
  }
  const cmdline = opts.cmdline ?? "";
  if (cmdline.length > h.cmdlineSize || cmdline.length + 1 > CMDLINE_MAX) {
    throw new ConfigError(`command line is ${cmdline.length} bytes, the kernel accepts at most ${Math.min(h.cmdlineSize, CMDLINE_MAX - 1)}`);
  }
  const { kernelGpa, kernelEnd } = placeKernel(h, opts.memoryMap, mem.size);
  if (long && kernelEnd > IDENTITY_MAP_BYTES) throw new ConfigError(`kernel at ${hex(kernelGpa)} is outside the 4 GiB identity map`);
  mem.write(kernelGpa, image.subarray(h.kernelOffset));
  const initrdGpa = opts.initrd ? placeInitrd(h, opts.memoryMap, opts.initrd.length, kernelEnd) : null;
  if (opts.initrd && initrdGpa !== null) mem.write(initrdGpa, opts.initrd);
  mem.write(CMDLINE_GPA, cstring(cmdline));
  const zeroPage = encodeBootParams({
    setupHeader: image.subarray(0x1f1, h.headerEnd), kernelGpa, cmdlineGpa: CMDLINE_GPA,
    ramdiskGpa: initrdGpa ?? 0, ramdiskSize: opts.initrd?.length ?? 0,
    acpiRsdpGpa: opts.acpiRsdpGpa ?? 0, memoryMap: opts.memoryMap, version: h.version,
  });
  mem.write(ZERO_PAGE_GPA, zeroPage);
  // Both protocols: interrupts off, %rsi/%esi = boot_params, %ebp/%edi/%ebx zero.
  const regs = { rsi: ZERO_PAGE_GPA };
  const cpu = long
    ? long64State(mem, kernelGpa + STARTUP_64_OFFSET, writeIdentityPageTables(mem), regs)
    : protected32State(mem, kernelGpa, regs);
  return { cpu, header: h, kernelGpa, kernelEnd, initrdGpa, zeroPageGpa: ZERO_PAGE_GPA };
}

/**
 * pref_address when it is RAM and init_size fits there; otherwise, for a relocatable kernel,
 * the lowest kernel_alignment-aligned RAM address above 1 MiB where it fits.
 */
function placeKernel(h: SetupHeader, map: readonly MemoryRange[], ramSize: number): { kernelGpa: number; kernelEnd: number } {
  const need = Math.max(h.initSize, h.kernelSize);
  // Below 1 MiB live the zero page, command line, GDT and page tables (layout.ts).
  if (h.prefAddress >= HIGH_MEMORY_GPA && isRam(map, h.prefAddress, need)) return { kernelGpa: h.prefAddress, kernelEnd: checkedAdd(h.prefAddress, need, "kernel") };
  if (h.relocatableKernel) {
    for (const r of map) {
      const a = alignUp(Math.max(r.gpa, HIGH_MEMORY_GPA), h.kernelAlignment);
      if (isRam(map, a, need)) return { kernelGpa: a, kernelEnd: a + need };
    }
  }
  if (h.prefAddress < HIGH_MEMORY_GPA) throw new ConfigError(`kernel pref_address ${hex(h.prefAddress)} is below 1 MiB and the kernel is not relocatable`);
  throw new ConfigError(`kernel (init_size ${fmtSize(need)} at ${hex(h.prefAddress)}${h.relocatableKernel ? ", relocatable" : ""}) does not fit in ${fmtSize(ramSize)} of RAM`);
}

/** Highest page-aligned RAM address below min(initrd_addr_max + 1, 4 GiB) above the kernel. */
function placeInitrd(h: SetupHeader, map: readonly MemoryRange[], size: number, kernelEnd: number): number {
  const limit = Math.min(h.initrdAddrMax + 1, 2 ** 32);
  const a = placeHighest(map, size, INITRD_ALIGN, alignUp(kernelEnd, INITRD_ALIGN), limit);
  if (a === null) throw new ConfigError(`initrd (${fmtSize(size)}) does not fit below initrd_addr_max (${hex(h.initrdAddrMax)}) above the kernel`);
  return a;
}
