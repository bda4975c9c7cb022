/**
 * boot_params, the Linux "zero page" (Documentation/arch/x86/zero-page.rst; struct boot_params
 * in arch/x86/include/uapi/asm/bootparam.h), as a typed input struct encoded to 4 KiB.
 * Offsets below are the zero-page.rst offsets.
 */
import { ByteWriter } from "./bytes.js";
import { encodeE820, E820Type, type MemoryRange } from "./e820.js";
import { SETUP_HEADER_OFFSET } from "./bzimage.js";

const BP = {
  ACPI_RSDP_ADDR: 0x070, EXT_RAMDISK_IMAGE: 0x0c0, EXT_RAMDISK_SIZE: 0x0c4, EXT_CMD_LINE_PTR: 0x0c8,
  ALT_MEM_K: 0x1e0, E820_ENTRIES: 0x1e8, E820_TABLE: 0x2d0,
  // setup_header fields, at their boot_params offsets
  VID_MODE: 0x1fa, TYPE_OF_LOADER: 0x210, CODE32_START: 0x214, RAMDISK_IMAGE: 0x218,
  RAMDISK_SIZE: 0x21c, CMD_LINE_PTR: 0x228, HARDWARE_SUBARCH: 0x23c, SETUP_DATA: 0x250,
} as const;

/** type_of_loader 0xFF: "undefined" boot loader (boot.rst). */
export const LOADER_TYPE_UNDEFINED = 0xff;
/** vid_mode 0xFFFF: "normal" VGA mode. */
export const VID_MODE_NORMAL = 0xffff;

export interface BootParams {
  /** The image's setup header bytes (from 0x1f1 to the header end), copied verbatim. */
  setupHeader: Uint8Array;
  /** Where the protected-mode kernel was loaded (reported in code32_start). */
  kernelGpa: number;
  cmdlineGpa: number;
  /** 0 / 0 when there is no initrd. */
  ramdiskGpa: number;
  ramdiskSize: number;
  /** 0 = none; written when the protocol is >= 2.14 (zero-page.rst acpi_rsdp_addr). */
  acpiRsdpGpa: number;
  memoryMap: readonly MemoryRange[];
  /** Setup header protocol version (decides which fields exist). */
  version: number;
}

/** Encode the 4 KiB zero page. */
export function encodeBootParams(p: BootParams): Uint8Array {
  const w = new ByteWriter(4096);
  w.set(SETUP_HEADER_OFFSET, p.setupHeader);
  w.u8(BP.TYPE_OF_LOADER, LOADER_TYPE_UNDEFINED);
  w.u16(BP.VID_MODE, VID_MODE_NORMAL);
  w.u32(BP.CODE32_START, p.kernelGpa);
  w.u32(BP.RAMDISK_IMAGE, p.ramdiskGpa % 2 ** 32).u32(BP.EXT_RAMDISK_IMAGE, Math.floor(p.ramdiskGpa / 2 ** 32));
  w.u32(BP.RAMDISK_SIZE, p.ramdiskSize % 2 ** 32).u32(BP.EXT_RAMDISK_SIZE, Math.floor(p.ramdiskSize / 2 ** 32));
  w.u32(BP.CMD_LINE_PTR, p.cmdlineGpa % 2 ** 32).u32(BP.EXT_CMD_LINE_PTR, Math.floor(p.cmdlineGpa / 2 ** 32));
  w.u32(BP.HARDWARE_SUBARCH, 0).u64(BP.SETUP_DATA, 0);
  if (p.acpiRsdpGpa !== 0 && p.version >= 0x020e) w.u64(BP.ACPI_RSDP_ADDR, p.acpiRsdpGpa);
  w.u32(BP.ALT_MEM_K, altMemK(p.memoryMap));
  const e820 = encodeE820(p.memoryMap);
  w.u8(BP.E820_ENTRIES, p.memoryMap.length).set(BP.E820_TABLE, e820);
  return w.bytes;
}

/** KiB of contiguous RAM above 1 MiB (the pre-e820 fallback the kernel may print). */
function altMemK(map: readonly MemoryRange[]): number {
  const r = map.find((m) => m.type === E820Type.RAM && m.gpa <= 0x100000 && m.gpa + m.size > 0x100000);
  return r ? Math.min(0xffffffff, Math.floor((r.gpa + r.size - 0x100000) / 1024)) : 0;
}
