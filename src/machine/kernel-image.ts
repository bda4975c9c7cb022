/**
 * Recognise a -kernel image and load it with the right protocol: a bzImage (Linux boot
 * protocol, "HdrS"), an ELF vmlinux with a PVH entry note, or a multiboot v1 kernel. Anything
 * else is a one-line ConfigError naming the problem.
 */

import { ConfigError } from "../common/errors.js";
import type { BootCpuState } from "../boot/boot-state.js";
import { loadBzImage } from "../boot/bzimage-loader.js";
import { HDRS_MAGIC } from "../boot/bzimage.js";
import type { MemoryRange } from "../boot/e820.js";
import type { GuestMemory } from "../boot/guest-memory.js";
import { findMultibootHeader, loadMultiboot } from "../boot/multiboot.js";
import { findPvhEntry, loadPvh } from "../boot/pvh.js";

export type KernelFormat = "bzimage" | "pvh" | "multiboot";

export interface KernelLoadOptions {
  memoryMap: readonly MemoryRange[];
  cmdline: string;
  initrd?: Uint8Array;
  acpiRsdpGpa?: number;
  /** bzImage entry: the 64-bit one (default) or the 32-bit one. */
  bzEntry?: "64" | "32";
}

export function detectKernelFormat(image: Uint8Array): KernelFormat {
  if (image.length >= 0x206 && new DataView(image.buffer, image.byteOffset).getUint32(0x202, true) === HDRS_MAGIC) return "bzimage";
  const isElf = image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
  if (isElf && findPvhEntry(image) !== null) return "pvh";
  if (findMultibootHeader(image)) return "multiboot";
  if (isElf) throw new ConfigError("kernel is an ELF file without a PVH entry note or a multiboot header");
  throw new ConfigError("kernel is not a bzImage, a PVH vmlinux or a multiboot image");
}

export function loadKernel(mem: GuestMemory, image: Uint8Array, opts: KernelLoadOptions): { format: KernelFormat; cpu: BootCpuState } {
  const format = detectKernelFormat(image);
  switch (format) {
    case "bzimage":
      return { format, cpu: loadBzImage(mem, image, { memoryMap: opts.memoryMap, cmdline: opts.cmdline, initrd: opts.initrd, entry: opts.bzEntry, acpiRsdpGpa: opts.acpiRsdpGpa }).cpu };
    case "pvh":
      return { format, cpu: loadPvh(mem, image, { memoryMap: opts.memoryMap, cmdline: opts.cmdline, initrd: opts.initrd, acpiRsdpGpa: opts.acpiRsdpGpa }).cpu };
    case "multiboot":
      return { format, cpu: loadMultiboot(mem, image, { memoryMap: opts.memoryMap, cmdline: opts.cmdline, modules: opts.initrd ? [{ data: opts.initrd, cmdline: "initrd" }] : [] }).cpu };
  }
}
