/**
 * Synthetic boot images for the loaders' unit tests and fuzzers: a minimal bzImage (setup
 * header only, boot.rst field offsets), an ELF64/ELF32 with PT_LOAD + a Xen PVH note, and
 * multiboot v1 images (a.out kludge). Host-neutral; not used by the emulator itself.
 */
import { ByteWriter } from "../bytes.js";

export interface FakeBzImageOptions {
  version?: number;
  setupSects?: number;
  loadflags?: number;
  xloadflags?: number;
  prefAddress?: number;
  initSize?: number;
  kernelAlignment?: number;
  relocatable?: boolean;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  /** Protected-mode kernel bytes (default 64 KiB of a pattern). */
  kernel?: Uint8Array;
  /** Offset/length of a payload inside `kernel`. */
  payloadOffset?: number;
  payloadLength?: number;
}

export function fakeKernelBytes(size: number): Uint8Array {
  const k = new Uint8Array(size);
  for (let i = 0; i < size; i++) k[i] = (i * 7 + (i >>> 8)) & 0xff;
  return k;
}

export function fakeBzImage(o: FakeBzImageOptions = {}): Uint8Array {
  const sects = o.setupSects ?? 4;
  const kernel = o.kernel ?? fakeKernelBytes(64 * 1024);
  const setupLen = ((sects === 0 ? 4 : sects) + 1) * 512;
  const w = new ByteWriter(setupLen + kernel.length);
  w.u8(0x1f1, sects).u32(0x1f4, Math.ceil(kernel.length / 16)).u16(0x1fa, 0xffff).u16(0x1fe, 0xaa55)
    .u8(0x200, 0xeb).u8(0x201, 0x6a).ascii(0x202, "HdrS").u16(0x206, o.version ?? 0x020f)
    .u8(0x211, o.loadflags ?? 1).u32(0x214, 0x100000)
    .u32(0x22c, o.initrdAddrMax ?? 0x7fffffff).u32(0x230, o.kernelAlignment ?? 0x200000)
    .u8(0x234, (o.relocatable ?? true) ? 1 : 0).u8(0x235, 21).u16(0x236, o.xloadflags ?? 3)
    .u32(0x238, o.cmdlineSize ?? 2047).u32(0x248, o.payloadOffset ?? 0).u32(0x24c, o.payloadLength ?? 0)
    .u64(0x258, o.prefAddress ?? 0x1000000).u32(0x260, o.initSize ?? 0x200000);
  w.set(setupLen, kernel);
  return w.bytes;
}

export interface FakeElfOptions {
  class?: 32 | 64;
  paddr?: number;
  vaddr?: number;
  entry?: number;
  code?: Uint8Array;
  bss?: number;
  /** PVH entry written as a Xen note (omit for no note); `noteDescSize` 4 or 8. */
  pvhEntry?: number;
  noteDescSize?: 4 | 8;
}

/** An ELF with one PT_LOAD and optionally a PT_NOTE holding XEN_ELFNOTE_PHYS32_ENTRY. */
export function fakeElf(o: FakeElfOptions = {}): Uint8Array {
  const is64 = (o.class ?? 64) === 64;
  const code = o.code ?? fakeKernelBytes(8192);
  const ehsize = is64 ? 64 : 52, phsize = is64 ? 56 : 32;
  const hasNote = o.pvhEntry !== undefined;
  const descSize = o.noteDescSize ?? (is64 ? 8 : 4);
  const phnum = hasNote ? 2 : 1;
  const noteOff = ehsize + phnum * phsize;
  const noteLen = hasNote ? 12 + 4 + descSize : 0;
  const codeOff = 0x1000;
  const w = new ByteWriter(codeOff + code.length);
  w.set(0, [0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1]).u16(16, 2).u16(18, is64 ? 62 : 3).u32(20, 1);
  const paddr = o.paddr ?? 0x100000, vaddr = o.vaddr ?? paddr, entry = o.entry ?? vaddr;
  const ph = (i: number, type: number, off: number, va: number, pa: number, filesz: number, memsz: number): void => {
    const b = ehsize + i * phsize;
    if (is64) w.u32(b, type).u32(b + 4, 5).u64(b + 8, off).u64(b + 16, va).u64(b + 24, pa).u64(b + 32, filesz).u64(b + 40, memsz).u64(b + 48, 4);
    else w.u32(b, type).u32(b + 4, off).u32(b + 8, va).u32(b + 12, pa).u32(b + 16, filesz).u32(b + 20, memsz).u32(b + 24, 5).u32(b + 28, 4);
  };
  if (is64) w.u64(24, entry).u64(32, ehsize).u16(52, ehsize).u16(54, phsize).u16(56, phnum);
  else w.u32(24, entry).u32(28, ehsize).u16(40, ehsize).u16(42, phsize).u16(44, phnum);
  ph(0, 1, codeOff, vaddr, paddr, code.length, code.length + (o.bss ?? 0));
  if (hasNote) {
    ph(1, 4, noteOff, 0, 0, noteLen, noteLen);
    w.u32(noteOff, 4).u32(noteOff + 4, descSize).u32(noteOff + 8, 18).ascii(noteOff + 12, "Xen\0");
    if (descSize === 8) w.u64(noteOff + 16, o.pvhEntry ?? 0);
    else w.u32(noteOff + 16, o.pvhEntry ?? 0);
  }
  w.set(codeOff, code);
  return w.bytes;
}

/** A multiboot v1 image using the a.out kludge, header at file offset `headerOffset`. */
export function fakeMultibootAout(o: { loadAddr?: number; headerOffset?: number; code?: Uint8Array; bss?: number; flags?: number } = {}): Uint8Array {
  const hoff = o.headerOffset ?? 0x40;
  const code = o.code ?? fakeKernelBytes(4096);
  const load = o.loadAddr ?? 0x100000;
  const flags = o.flags ?? ((1 << 16) | 3);
  const w = new ByteWriter(Math.max(code.length, hoff + 32));
  w.set(0, code);
  const loadEnd = load + w.bytes.length;
  w.u32(hoff, 0x1badb002).u32(hoff + 4, flags).u32(hoff + 8, (-(0x1badb002 + flags)) >>> 0)
    .u32(hoff + 12, load + hoff).u32(hoff + 16, load).u32(hoff + 20, loadEnd).u32(hoff + 24, loadEnd + (o.bss ?? 0))
    .u32(hoff + 28, load + hoff + 32);
  return w.bytes;
}
