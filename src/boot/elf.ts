/**
 * Minimal ELF reader for loaders (System V gABI, "ELF Header", "Program Header", "Note
 * Section"): ELF32 and ELF64 little-endian x86 images, their PT_LOAD segments and PT_NOTE
 * notes. Every failure is a ConfigError; values are numbers < 2^53.
 */
import { ConfigError } from "../common/errors.js";
import { ByteReader, checkedAdd, hex } from "./bytes.js";

export const PT_LOAD = 1;
export const PT_NOTE = 4;
const EM_386 = 3, EM_X86_64 = 62;

export interface ElfSegment {
  type: number;
  offset: number;
  /** Canonical sign-extended virtual address. */
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

export interface ElfImage {
  class: 32 | 64;
  /** e_entry (virtual; canonical sign-extended for ELF64). */
  entry: number;
  segments: ElfSegment[];
}

export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Parse the ELF header and program headers. */
export function parseElf(bytes: Uint8Array, what = "ELF image"): ElfImage {
  const r = new ByteReader(bytes, what);
  if (!isElf(bytes)) throw new ConfigError(`${what}: not an ELF file (bad magic)`);
  const cls = r.u8(4, "EI_CLASS");
  if (cls !== 1 && cls !== 2) throw new ConfigError(`${what}: invalid ELF class ${cls}`);
  if (r.u8(5, "EI_DATA") !== 1) throw new ConfigError(`${what}: not little-endian`);
  const is64 = cls === 2;
  const machine = r.u16(18, "e_machine");
  if (machine !== (is64 ? EM_X86_64 : EM_386)) throw new ConfigError(`${what}: e_machine ${machine} is not x86`);
  const entry = is64 ? r.vaddr64(24, "e_entry") : r.u32(24, "e_entry");
  const phoff = is64 ? r.u64(32, "e_phoff") : r.u32(28, "e_phoff");
  const phentsize = r.u16(is64 ? 54 : 42, "e_phentsize");
  const phnum = r.u16(is64 ? 56 : 44, "e_phnum");
  if (phnum === 0) throw new ConfigError(`${what}: no program headers`);
  if (phentsize < (is64 ? 56 : 32)) throw new ConfigError(`${what}: e_phentsize ${phentsize} too small`);
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = checkedAdd(phoff, i * phentsize, what);
    const s: ElfSegment = is64
      ? { type: r.u32(o, "p_type"), offset: r.u64(o + 8, "p_offset"), vaddr: r.vaddr64(o + 16, "p_vaddr"), paddr: r.u64(o + 24, "p_paddr"), filesz: r.u64(o + 32, "p_filesz"), memsz: r.u64(o + 40, "p_memsz") }
      : { type: r.u32(o, "p_type"), offset: r.u32(o + 4, "p_offset"), vaddr: r.u32(o + 8, "p_vaddr"), paddr: r.u32(o + 12, "p_paddr"), filesz: r.u32(o + 16, "p_filesz"), memsz: r.u32(o + 20, "p_memsz") };
    if (s.type === PT_LOAD || s.type === PT_NOTE) {
      if (checkedAdd(s.offset, s.filesz, what) > bytes.length) throw new ConfigError(`${what}: segment ${i} (${hex(s.offset)}+${hex(s.filesz)}) extends past the end of the file`);
      if (s.filesz > s.memsz) throw new ConfigError(`${what}: segment ${i} has p_filesz > p_memsz`);
    }
    segments.push(s);
  }
  return { class: is64 ? 64 : 32, entry, segments };
}

/** All notes in the PT_NOTE segments (name without its NUL). */
export function elfNotes(bytes: Uint8Array, elf: ElfImage, what = "ELF image"): ElfNote[] {
  const r = new ByteReader(bytes, what);
  const notes: ElfNote[] = [];
  for (const s of elf.segments) {
    if (s.type !== PT_NOTE) continue;
    let p = s.offset;
    const end = s.offset + s.filesz;
    while (p + 12 <= end) {
      const namesz = r.u32(p, "note namesz"), descsz = r.u32(p + 4, "note descsz"), type = r.u32(p + 8, "note type");
      const nameOff = p + 12;
      const descOff = checkedAdd(nameOff, align4(namesz), what);
      const next = checkedAdd(descOff, align4(descsz), what);
      if (next > end) throw new ConfigError(`${what}: note at ${hex(p)} overruns its PT_NOTE segment`);
      const name = r.ascii(nameOff, namesz, "note name").replace(/\0+$/, "");
      notes.push({ name, type, desc: r.slice(descOff, descsz, "note desc") });
      p = next;
    }
  }
  return notes;
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
