/**
 * bzImage: the Linux/x86 boot protocol's setup header (Documentation/arch/x86/boot.rst, "THE
 * REAL-MODE KERNEL HEADER"; offsets from arch/x86/include/uapi/asm/bootparam.h) parsed into a
 * typed struct and validated. Loading and entry live in bzimage-loader.ts.
 */
import { ConfigError } from "../common/errors.js";
import { ByteReader, checkedAdd, fmtSize, hex } from "./bytes.js";

/** "HdrS" at 0x202. */
export const HDRS_MAGIC = 0x53726448;
/** Oldest protocol we load: 2.06 added cmdline_size (and 2.05 relocation) we rely on. */
export const MIN_PROTOCOL = 0x0206;

export const LOADFLAG_LOADED_HIGH = 1 << 0;
export const LOADFLAG_KEEP_SEGMENTS = 1 << 6;
export const LOADFLAG_CAN_USE_HEAP = 1 << 7;
export const XLF_KERNEL_64 = 1 << 0;
export const XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1;

/** Offset of the setup header in the image and in boot_params. */
export const SETUP_HEADER_OFFSET = 0x1f1;

/** The fields of struct setup_header a loader needs (boot.rst names). */
export interface SetupHeader {
  /** Protocol version, e.g. 0x020f for 2.15. */
  version: number;
  /** Setup code sectors (0 already mapped to 4). */
  setupSects: number;
  /** Size of the 32-bit code in 16-byte paragraphs. */
  syssize: number;
  loadflags: number;
  /** 0 before protocol 2.12. */
  xloadflags: number;
  code32Start: number;
  initrdAddrMax: number;
  kernelAlignment: number;
  relocatableKernel: boolean;
  /** 0 before 2.10. */
  minAlignment: number;
  cmdlineSize: number;
  /** Offset of the compressed payload from the start of the protected-mode code. */
  payloadOffset: number;
  payloadLength: number;
  /** Preferred load address (2.10+; otherwise 1 MiB). */
  prefAddress: number;
  /** Linear memory the kernel needs from its load address during decompression (2.10+). */
  initSize: number;
  vidMode: number;
  /** End of the header inside the image (0x202 + the jump's displacement byte). */
  headerEnd: number;
  /** Offset of the protected-mode kernel in the file: (setup_sects + 1) * 512. */
  kernelOffset: number;
  /** Bytes of protected-mode kernel in the file. */
  kernelSize: number;
}

export function versionString(v: number): string {
  return `${v >>> 8}.${(v & 0xff).toString().padStart(2, "0")}`;
}

/** Parse and validate the setup header of a bzImage; every failure is a ConfigError. */
export function parseBzImage(image: Uint8Array): SetupHeader {
  const r = new ByteReader(image, "bzImage");
  if (image.length < 0x264) throw new ConfigError(`not a bzImage: ${image.length} bytes is too short for a setup header`);
  if (r.u32(0x202) !== HDRS_MAGIC) throw new ConfigError("not a bzImage: missing HdrS magic");
  const version = r.u16(0x206);
  if (version < MIN_PROTOCOL) throw new ConfigError(`boot protocol ${versionString(version)} too old (need >= ${versionString(MIN_PROTOCOL)})`);
  const loadflags = r.u8(0x211);
  if (!(loadflags & LOADFLAG_LOADED_HIGH)) throw new ConfigError("not a bzImage: LOADED_HIGH is clear (zImage kernels are not supported)");
  const rawSects = r.u8(0x1f1);
  const setupSects = rawSects === 0 ? 4 : rawSects;
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= image.length) throw new ConfigError(`bzImage truncated: setup (${setupSects} sectors) reaches past the end of the file`);
  const headerEnd = 0x202 + r.u8(0x201);
  if (headerEnd > kernelOffset) throw new ConfigError(`bzImage setup header (ends at ${hex(headerEnd)}) is longer than the setup code`);
  const syssize = r.u32(0x1f4);
  const has210 = version >= 0x020a;
  const kernelSize = image.length - kernelOffset;
  const h: SetupHeader = {
    version, setupSects, syssize, loadflags,
    xloadflags: version >= 0x020c ? r.u16(0x236) : 0,
    code32Start: r.u32(0x214),
    initrdAddrMax: version >= 0x0203 ? r.u32(0x22c) : 0x37ffffff,
    kernelAlignment: r.u32(0x230),
    relocatableKernel: r.u8(0x234) !== 0,
    minAlignment: has210 ? r.u8(0x235) : 0,
    cmdlineSize: r.u32(0x238),
    payloadOffset: version >= 0x0208 ? r.u32(0x248) : 0,
    payloadLength: version >= 0x0208 ? r.u32(0x24c) : 0,
    prefAddress: has210 ? r.u64(0x258, "pref_address") : 0x100000,
    initSize: has210 ? r.u32(0x260) : 0,
    vidMode: r.u16(0x1fa),
    headerEnd, kernelOffset, kernelSize,
  };
  validate(h);
  return h;
}

function validate(h: SetupHeader): void {
  if (h.syssize === 0 || h.syssize * 16 > h.kernelSize + 16) {
    throw new ConfigError(`bzImage truncated: syssize says ${fmtSize(h.syssize * 16)} of kernel but the file holds ${fmtSize(h.kernelSize)}`);
  }
  if (h.relocatableKernel && (h.kernelAlignment === 0 || (h.kernelAlignment & (h.kernelAlignment - 1)) !== 0)) {
    throw new ConfigError(`bzImage kernel_alignment ${hex(h.kernelAlignment)} is not a power of two`);
  }
  if (h.minAlignment > 31) throw new ConfigError(`bzImage min_alignment 2^${h.minAlignment} is invalid`);
  if (h.cmdlineSize === 0) throw new ConfigError("bzImage cmdline_size is 0");
  if (h.payloadLength !== 0 && checkedAdd(h.payloadOffset, h.payloadLength, "bzImage payload") > h.kernelSize) {
    throw new ConfigError(`bzImage payload (${fmtSize(h.payloadLength)} at ${hex(h.payloadOffset)}) extends past the end of the file`);
  }
  if (h.initSize !== 0 && h.initSize < h.kernelSize) {
    throw new ConfigError(`bzImage init_size ${fmtSize(h.initSize)} is smaller than the kernel (${fmtSize(h.kernelSize)})`);
  }
}
