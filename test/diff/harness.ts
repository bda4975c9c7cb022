/**
 * Differential testing against the host CPU. A list of cases (nasm source for the instructions
 * under test plus an initial register/flags/memory state) becomes ONE program, run natively by
 * test/diff/native.c (built with gcc, cached under the tmp dir) and in tsemu through
 * createTestCpu; the output records are then compared (GPRs, the six arithmetic flags and DF
 * minus a case's undefined ones, and a 128-byte memory window).
 *
 * Layout shared by both runs (all below 4 GiB, so 32-bit programs work too):
 *   0x200400  WIN: the 128-byte memory window (rSP starts at WIN + 64 unless a case says)
 *   0x201800  scratch stack top (state load/save), 0x201f00.. slots
 *   0x400000  PROG: +0 native entry (saves host registers, switches to compatibility mode via
 *             selector 0x23 for 32-bit programs), +8 tsemu entry; shared load/save routines
 *   0x800000  IN records (512 bytes): 16 regs, flags at 128, window at 136
 *   0x1000000 OUT records, same layout
 * Per case: rsp = scratch; rax = &IN[i]; call load_state (window, flags, regs but rsp);
 * mov rsp, [IN[i].rsp]; <case>; mov [SAVED_RSP], rsp; rsp = scratch; call save_state.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";

export const WIN = 0x200400;
export const WIN_BYTES = 128;
const SCRATCH_TOP = 0x201800;
const SAVED_RSP = 0x201f00, TMP_RAX = 0x201f08, OUT_PTR = 0x201f10, IS_NATIVE = 0x201f18, HOST_RSP = 0x201f20, FARPTR = 0x201f28;
const PROG = 0x400000, IN = 0x800000, OUT = 0x1000000, REC = 512;
const MAX_CASES = (OUT - IN) / REC;

export type Mode = 64 | 32;
export const REGS64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;
export const REGS32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
export type RegName = (typeof REGS64)[number] | (typeof REGS32)[number];

export const F = { CF: 1, PF: 4, AF: 0x10, ZF: 0x40, SF: 0x80, DF: 0x400, OF: 0x800 } as const;
const ARITH = 0x8d5;
const COMPARED = ARITH | F.DF;

export interface DiffCase {
  /** nasm source of the instruction(s) under test. */
  asm: string;
  /** Initial registers (the rest random; rsp = WIN + 64). 32-bit names in 32-bit programs. */
  regs?: Partial<Record<RegName, bigint | number>>;
  /** Initial arithmetic flags and DF (default: random arithmetic flags, DF clear). */
  flags?: number;
  /** Initial window bytes from offset 0 (the rest random). */
  mem?: ArrayLike<number>;
  /** EFLAGS bits not compared (architecturally undefined for this case). */
  undef?: number;
  /** Registers not compared. */
  ignore?: RegName[];
  /**
   * EFLAGS bits that are architecturally undefined but compared on Intel hosts, where tsemu
   * reproduces what Intel hardware does; masked on other hosts.
   */
  undefIntel?: number;
  /** An undefined result that tsemu matches to Intel: the case only runs on Intel hosts. */
  intelOnly?: boolean;
}

/** Is the host CPU an Intel one (undefined behaviour is matched to Intel)? */
export const HOST_INTEL = (() => {
  try { return /GenuineIntel/.test(readFileSync("/proc/cpuinfo", "utf8")); } catch { return false; }
})();

/** Can the native runner map 0x1000..0xffff (16-bit addressing cases)? */
export const LOW_MEMORY_OK = (() => {
  try { return Number(readFileSync("/proc/sys/vm/mmap_min_addr", "utf8").trim()) <= 0x1000; } catch { return false; }
})();

/** The differential tests need an x86-64 Linux host with gcc and nasm. */
export const DIFF_AVAILABLE = (() => {
  if (process.arch !== "x64" || process.platform !== "linux") return false;
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
    execFileSync("nasm", ["-v"], { stdio: "ignore" });
    return true;
  } catch { return false; }
})();

export interface CaseResult { regs: bigint[]; flags: number; mem: Uint8Array }
export interface Mismatch { index: number; c: DiffCase; what: string }

/** Deterministic PRNG (xorshift128+ on 32-bit halves) so failures reproduce. */
export class Rng {
  private _s = [0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x12345678];
  constructor(seed: number) { this._s[0]! ^= seed; for (let i = 0; i < 16; i++) this.u32(); }
  u32(): number {
    const s = this._s;
    let t = s[3]!;
    t ^= t << 11; t ^= t >>> 8;
    s[3] = s[2]!; s[2] = s[1]!; s[1] = s[0]!;
    s[0] = (t ^ s[0]! ^ (s[0]! >>> 19)) >>> 0;
    return s[0];
  }
  int(n: number): number { return this.u32() % n; }
  u64(): bigint { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  /** A value of `bits` bits biased toward edge cases (0, 1, -1, sign boundaries, small). */
  edge(bits: number): bigint {
    const m = (1n << BigInt(bits)) - 1n;
    const h = 1n << BigInt(bits - 1);
    switch (this.int(12)) {
      case 0: return 0n;
      case 1: return 1n;
      case 2: return m;
      case 3: return h;
      case 4: return h - 1n;
      case 5: return h + 1n;
      case 6: return BigInt(this.int(256));
      case 7: return (m - BigInt(this.int(256))) & m;
      default: return this.u64() & m;
    }
  }
}

const hex = (v: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

function routines(mode: Mode): string {
  if (mode === 64) {
    const winLoad = Array.from({ length: 16 }, (_, k) => `mov rcx, [rax+${136 + 8 * k}]\nmov [${WIN + 8 * k}], rcx`).join("\n");
    const winSave = Array.from({ length: 16 }, (_, k) => `mov rcx, [${WIN + 8 * k}]\nmov [rax+${136 + 8 * k}], rcx`).join("\n");
    const loads = REGS64.map((r, i) => (i === 0 || i === 4 ? "" : `mov ${r}, [rax+${8 * i}]`)).join("\n");
    const saves = REGS64.map((r, i) => (i === 0 || i === 4 ? "" : `mov [rax+${8 * i}], ${r}`)).join("\n");
    return `load_state:\n${winLoad}\npush qword [rax+128]\npopfq\n${loads}\nmov rax, [rax]\nret
save_state:\npushfq\nmov [${TMP_RAX}], rax\nmov rax, [${OUT_PTR}]\n${saves}
mov rcx, [${TMP_RAX}]\nmov [rax], rcx\nmov rcx, [${SAVED_RSP}]\nmov [rax+32], rcx\npop rcx\nmov [rax+128], rcx
${winSave}\nadd qword [${OUT_PTR}], ${REC}\nret`;
  }
  const winLoad = Array.from({ length: 32 }, (_, k) => `mov ecx, [eax+${136 + 4 * k}]\nmov [${WIN + 4 * k}], ecx`).join("\n");
  const winSave = Array.from({ length: 32 }, (_, k) => `mov ecx, [${WIN + 4 * k}]\nmov [eax+${136 + 4 * k}], ecx`).join("\n");
  const loads = REGS32.map((r, i) => (i === 0 || i === 4 ? "" : `mov ${r}, [eax+${8 * i}]`)).join("\n");
  const saves = REGS32.map((r, i) => (i === 0 || i === 4 ? "" : `mov [eax+${8 * i}], ${r}`)).join("\n");
  return `load_state:\n${winLoad}\npush dword [eax+128]\npopfd\n${loads}\nmov eax, [eax]\nret
save_state:\npushfd\nmov [${TMP_RAX}], eax\nmov eax, [${OUT_PTR}]\n${saves}
mov ecx, [${TMP_RAX}]\nmov [eax], ecx\nmov ecx, [${SAVED_RSP}]\nmov [eax+32], ecx\npop ecx\nmov [eax+128], ecx
${winSave}\nadd dword [${OUT_PTR}], ${REC}\nret`;
}

function program(cases: readonly DiffCase[], mode: Mode): string {
  const sp = mode === 64 ? "rsp" : "esp";
  const body = cases.map((c, i) => {
    const rec = IN + i * REC;
    return `; case ${i}\nmov ${sp}, ${SCRATCH_TOP}\nmov eax, ${rec}\ncall load_state\nmov ${sp}, [${rec + 32}]\n${c.asm}
mov [${SAVED_RSP}], ${sp}\nmov ${sp}, ${SCRATCH_TOP}\ncall save_state`;
  }).join("\n");
  const native = mode === 64
    ? "jmp body"
    : `mov ax, 0x2b\nmov ds, ax\nmov es, ax\nmov dword [${FARPTR}], body\nmov word [${FARPTR + 4}], 0x23\njmp far dword [${FARPTR}]`;
  const finish = mode === 64
    ? `cmp byte [${IS_NATIVE}], 0\njz .halt\njmp back64\n.halt: hlt`
    : `cmp byte [${IS_NATIVE}], 0\njz .halt\njmp 0x33:back64\n.halt: hlt`;
  return `bits 64\norg ${PROG}\njmp near native_entry\nalign 8, db 0x90\nbits ${mode}\njmp near body
bits 64
native_entry:\npush rbx\npush rbp\npush r12\npush r13\npush r14\npush r15\nmov [${HOST_RSP}], rsp
mov byte [${IS_NATIVE}], 1\n${native}
back64:\nxor eax, eax\nmov ds, ax\nmov es, ax\nmov rsp, [${HOST_RSP}]\npop r15\npop r14\npop r13\npop r12\npop rbp\npop rbx\ncld\nret
bits ${mode}\n${routines(mode)}
body:\nmov dword [${OUT_PTR}], ${OUT}\n${body}\nfinish:\n${finish}\n`;
}

/** The initial flags each case actually ran with (for reports). */
const resolvedFlags = new WeakMap<DiffCase, number>();

function inputs(cases: readonly DiffCase[], mode: Mode, rng: Rng): Uint8Array {
  const buf = new Uint8Array(cases.length * REC);
  const dv = new DataView(buf.buffer);
  const names: readonly string[] = mode === 64 ? REGS64 : REGS32;
  cases.forEach((c, i) => {
    const o = i * REC;
    names.forEach((r, k) => {
      let v = (c.regs as Record<string, bigint | number> | undefined)?.[r];
      if (v === undefined) v = k === 4 ? BigInt(WIN + 64) : rng.u64();
      const x = BigInt.asUintN(mode, BigInt(v));
      dv.setBigUint64(o + 8 * k, x, true);
    });
    const flags = (c.flags ?? rng.u32() & ARITH) & COMPARED;
    resolvedFlags.set(c, flags);
    dv.setUint32(o + 128, flags | 2, true);
    for (let k = 0; k < WIN_BYTES; k++) buf[o + 136 + k] = c.mem && k < c.mem.length ? c.mem[k]! & 0xff : rng.int(256);
  });
  return buf;
}

function parse(out: Uint8Array, n: number, mode: Mode): CaseResult[] {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const res: CaseResult[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * REC;
    const regs = Array.from({ length: mode === 64 ? 16 : 8 }, (_, k) => {
      const v = dv.getBigUint64(o + 8 * k, true);
      return mode === 64 ? v : v & 0xffffffffn;
    });
    res.push({ regs, flags: dv.getUint32(o + 128, true), mem: out.slice(o + 136, o + 136 + WIN_BYTES) });
  }
  return res;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Build (once per source hash) and return the native runner's path. */
function nativeRunner(): string {
  const src = readFileSync(join(here, "native.c"));
  const h = createHash("sha256").update(src).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), "tsemu-diff");
  const bin = join(dir, `native-${h}`);
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}`;
    execFileSync("gcc", ["-O1", "-o", tmp, join(here, "native.c")], { stdio: ["ignore", "ignore", "pipe"] });
    renameSync(tmp, bin);
  }
  return bin;
}

let compat32: boolean | undefined;

/**
 * Can the host run 32-bit code in compatibility mode through selector 0x23? Kernels built with
 * IA32 emulation disabled by default (CONFIG_IA32_EMULATION_DEFAULT_DISABLED, or
 * ia32_emulation=false) mark that segment not present, and the far jump faults. Probed once by
 * running an empty 32-bit program natively.
 */
export function compat32Available(): boolean {
  if (compat32 !== undefined) return compat32;
  if (!DIFF_AVAILABLE) return (compat32 = false);
  const dir = mkdtempSync(join(tmpdir(), "tsemu-diff-"));
  try {
    writeFileSync(join(dir, "t.asm"), program([], 32));
    execFileSync("nasm", ["-f", "bin", "-o", join(dir, "t.bin"), join(dir, "t.asm")], { stdio: ["ignore", "ignore", "pipe"] });
    writeFileSync(join(dir, "in.bin"), new Uint8Array(0));
    const r = spawnSync(nativeRunner(), [join(dir, "t.bin"), join(dir, "in.bin"), join(dir, "out.bin"), "0"], { encoding: "utf8" });
    return (compat32 = r.status === 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface DiffRun { native: CaseResult[]; emu: CaseResult[]; stop: string; unimp: string[] }

/** Run `cases` natively and in tsemu. */
export function runBoth(cases: readonly DiffCase[], mode: Mode, seed = 1): DiffRun {
  if (cases.length > MAX_CASES) throw new Error(`too many cases (${cases.length} > ${MAX_CASES})`);
  const dir = mkdtempSync(join(tmpdir(), "tsemu-diff-"));
  try {
    writeFileSync(join(dir, "t.asm"), program(cases, mode));
    execFileSync("nasm", ["-f", "bin", "-O1", "-o", join(dir, "t.bin"), join(dir, "t.asm")], { stdio: ["ignore", "ignore", "pipe"] });
    const prog = new Uint8Array(readFileSync(join(dir, "t.bin")));
    const inp = inputs(cases, mode, new Rng(seed));
    writeFileSync(join(dir, "in.bin"), inp);
    const outBytes = cases.length * REC;
    const r = spawnSync(nativeRunner(), [join(dir, "t.bin"), join(dir, "in.bin"), join(dir, "out.bin"), String(outBytes)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`native run failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
    const native = parse(new Uint8Array(readFileSync(join(dir, "out.bin"))), cases.length, mode);

    const t = createTestCpu(32 << 20);
    t.load(PROG, prog);
    t.load(IN, inp);
    if (mode === 64) t.enterLongMode(PROG + 8); else t.enterProtectedMode(PROG + 8);
    const stop = t.run(200_000_000);
    const emu = parse(t.ram.slice(OUT, OUT + outBytes), cases.length, mode);
    return { native, emu, stop, unimp: t.logs.filter((l) => l.startsWith("unimp")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compare per case; returns the mismatches (empty when all agree). */
export function compare(cases: readonly DiffCase[], run: DiffRun, mode: Mode): Mismatch[] {
  const names: readonly RegName[] = mode === 64 ? REGS64 : REGS32;
  const out: Mismatch[] = [];
  cases.forEach((c, i) => {
    if (c.intelOnly && !HOST_INTEL) return;
    const n = run.native[i]!, e = run.emu[i]!;
    const diffs: string[] = [];
    names.forEach((r, k) => {
      if (c.ignore?.includes(r)) return;
      if (n.regs[k] !== e.regs[k]) diffs.push(`${r}: host ${hex(n.regs[k]!)} tsemu ${hex(e.regs[k]!)}`);
    });
    const mask = COMPARED & ~(c.undef ?? 0) & ~(HOST_INTEL ? 0 : c.undefIntel ?? 0);
    if ((n.flags & mask) !== (e.flags & mask)) {
      const names2 = Object.entries(F).filter(([, bit]) => ((n.flags ^ e.flags) & mask & bit) !== 0).map(([k]) => k);
      diffs.push(`flags ${names2.join(",")}: host ${hex(n.flags & mask)} tsemu ${hex(e.flags & mask)}`);
    }
    for (let k = 0; k < WIN_BYTES; k++) {
      if (n.mem[k] !== e.mem[k]) { diffs.push(`mem[WIN+${k}]: host ${n.mem[k]} tsemu ${e.mem[k]}`); break; }
    }
    if (diffs.length) out.push({ index: i, c, what: diffs.join("; ") });
  });
  return out;
}

/** A readable report of the first mismatches, with the case's initial state. */
export function report(ms: readonly Mismatch[], limit = 12): string {
  return ms.slice(0, limit).map((m) => {
    const regs = Object.entries(m.c.regs ?? {}).map(([k, v]) => `${k}=${hex(v)}`).join(" ");
    return `#${m.index} \`${m.c.asm.replace(/\n/g, "; ")}\` ${regs} flags=${hex(m.c.flags ?? resolvedFlags.get(m.c) ?? -1)}\n    ${m.what}`;
  }).join("\n") + (ms.length > limit ? `\n  ... ${ms.length - limit} more` : "");
}
