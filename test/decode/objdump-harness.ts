/**
 * Differential-test harness for the decoder against GNU objdump: generates instruction byte
 * sequences (from every table row, and fully random), disassembles them with objdump in
 * 16/32/64-bit mode, and compares length, validity (#UD vs "(bad)") and mnemonic.
 * Each case sits in its own 32-byte slot padded with NOPs so objdump resynchronises.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRow, EF } from "../../src/cpu/decode/compile.js";
import { decode } from "../../src/cpu/decode/decoder.js";
import { displayMnemonic, formatInsn } from "../../src/cpu/decode/format.js";
import type { CodeMode } from "../../src/cpu/decode/insn.js";
import { TABLE } from "../../src/cpu/decode/table.js";

export const SLOT = 32;

export interface Case { mode: CodeMode; bytes: number[]; row?: string }

/** Small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEG_PREFIXES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

/** `perRow` encodings for every table row (and every opcode of a range). */
export function rowCases(perRow: number, seed: number): Case[] {
  const rand = rng(seed);
  const ri = (n: number): number => Math.floor(rand() * n);
  const out: Case[] = [];
  for (const raw of TABLE) {
    for (const r of parseRow(raw)) {
      for (let k = 0; k < perRow; k++) {
        const modes: CodeMode[] = r.mode === 0 ? [32, 16] : r.mode === 1 ? [64] : [64, 64, 32, 32, 16];
        const mode = modes[ri(modes.length)] ?? 64;
        const b: number[] = [];
        if (r.entry.flags & EF.LOCK && ri(3) === 0) b.push(0xf0);
        if (ri(4) === 0) b.push(SEG_PREFIXES[ri(6)] ?? 0x2e);
        if (ri(4) === 0) b.push(0x67);
        if (r.pfx === 1) b.push(0x66);
        else if (r.pfx === -1 && ri(4) === 0) b.push(0x66);
        if (r.pfx === 2) b.push(0xf3);
        if (r.pfx === 3) b.push(0xf2);
        if (mode === 64 && ri(2) === 0) b.push(0x40 + ri(16));
        if (r.map >= 1) b.push(0x0f);
        if (r.map === 2) b.push(0x38);
        if (r.map === 3) b.push(0x3a);
        b.push(r.op);
        if (r.modrm) {
          const mod = r.mod === 1 ? 3 : r.mod === 0 ? ri(3) : ri(4);
          const reg = r.reg >= 0 ? r.reg : ri(8);
          const rm = r.rm >= 0 ? r.rm : ri(8);
          b.push((mod << 6) | (reg << 3) | rm);
        }
        for (let i = 0; i < 12; i++) b.push(ri(256));
        out.push({ mode, bytes: b.slice(0, 20), row: r.text });
      }
    }
  }
  return out;
}

/** Every slot of the 0F, 0F38 and 0F3A maps under each of none/66/F3/F2, register and memory ModRM. */
export function slotCases(seed: number): Case[] {
  const rand = rng(seed);
  const ri = (n: number): number => Math.floor(rand() * n);
  const out: Case[] = [];
  const esc = [[0x0f], [0x0f, 0x38], [0x0f, 0x3a]];
  for (const mode of [64, 32] as CodeMode[]) {
    for (const e of esc) {
      for (let op = 0; op < 256; op++) {
        for (const pfx of [[], [0x66], [0xf3], [0xf2]]) {
          for (const modBits of [ri(3), 3]) {
            const b = [...pfx, ...e, op, (modBits << 6) | ri(64)];
            for (let i = 0; i < 8; i++) b.push(ri(256));
            out.push({ mode, bytes: b });
          }
        }
      }
    }
  }
  return out;
}

/** Fully random byte strings. */
export function randomCases(n: number, seed: number): Case[] {
  const rand = rng(seed);
  const out: Case[] = [];
  const modes: CodeMode[] = [64, 32, 16];
  for (let i = 0; i < n; i++) {
    const b: number[] = [];
    for (let j = 0; j < 15; j++) b.push(Math.floor(rand() * 256));
    // Bias towards the 0F maps, which are sparse in uniformly random bytes.
    if (i % 3 === 1) b.splice(Math.floor(rand() * 2), 0, 0x0f);
    out.push({ mode: modes[i % 3] ?? 64, bytes: b.slice(0, 15) });
  }
  return out;
}

interface ObjLine { addr: number; len: number; text: string }

const ARCH: Record<CodeMode, string[]> = {
  64: ["-m", "i386:x86-64", "-M", "intel,intel64"],
  32: ["-m", "i386", "-M", "intel"],
  16: ["-m", "i8086", "-M", "intel"],
};

/** Disassemble slots with objdump; returns lines keyed by address. */
function objdump(mode: CodeMode, image: Uint8Array, dir: string): Map<number, ObjLine> {
  const file = join(dir, `m${mode}.bin`);
  writeFileSync(file, image);
  const text = execFileSync("objdump", ["-D", "-b", "binary", ...ARCH[mode], "--insn-width=16", file], { maxBuffer: 1 << 28 }).toString();
  const lines = new Map<number, ObjLine>();
  for (const l of text.split("\n")) {
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(l);
    if (!m) continue;
    const addr = parseInt(m[1] ?? "0", 16);
    lines.set(addr, { addr, len: (m[2] ?? "").trim().split(" ").length, text: (m[3] ?? "").trim() });
  }
  return lines;
}

const PREFIX_WORDS = new Set(["lock", "rep", "repz", "repnz", "repe", "repne", "data16", "data32", "addr16", "addr32",
  "cs", "ds", "es", "ss", "fs", "gs", "bnd", "notrack", "xacquire", "xrelease"]);
const isPrefixWord = (w: string): boolean => PREFIX_WORDS.has(w) || /^rex(\.[WRXB]+)?$/.test(w);

/** objdump mnemonics that name the same semantic as ours under another spelling. */
const ALIASES: Record<string, string> = {
  sal: "shl", int1: "int1", icebp: "int1", fwait: "fwait", wait: "fwait", xlatb: "xlat",
  iretd: "iret", iretw: "iret", retf: "retf", lret: "retf", pushfq: "pushf", pushfd: "pushf", pushfw: "pushf",
  popfq: "popf", popfd: "popf", popfw: "popf", pushad: "pusha", pushaw: "pusha", popad: "popa", popaw: "popa",
  fneni: "fnop", fndisi: "fnop", fnsetpm: "fnop", fnop: "fnop", cldemote: "nop", prefetchit0: "nop", prefetchit1: "nop", wbnoinvd: "wbinvd", rdsspd: "nop", rdsspq: "nop",
  prefetchnta: "prefetch", prefetcht0: "prefetch", prefetcht1: "prefetch", prefetcht2: "prefetch", prefetchw: "prefetch",
  prefetchwt1: "prefetch", endbr64: "nop", endbr32: "nop", clflushopt: "clflush", jmpe: "jmpe",
  xchg: "xchg", nop: "nop", movsxd: "movsxd", movabs: "mov", sysretd: "sysret", sysretq: "sysret", sysexitd: "sysexit", sysexitq: "sysexit",
  fstp1: "fstp", fstp8: "fstp", fstp9: "fstp", fxch4: "fxch", fxch7: "fxch", fcom2: "fcom", fcomp3: "fcomp", fcomp5: "fcomp",
  iretq: "iretq", cmpxchg16b: "cmpxchg16b",
};

function norm(m: string): string {
  const base = m.replace(/\(.*$/, "").replace(/^cmp(eq|lt|le|unord|neq|nlt|nle|ord)(ps|pd|ss|sd)$/, "cmp$2");
  return ALIASES[base] ?? base;
}

/**
 * Known, deliberate differences from objdump:
 * - x87 register-form aliases (DC D0-DF, DD C8-CF, DE D0-D7, DF C8-DF) that objdump calls
 *   "(bad)" but CPUs execute (QEMU implements them too);
 * - fences with a non-zero ModRM.rm (objdump accepts only E8/F0/F8 outside 64-bit mode);
 * - MPX BND* forms (0F 1A/1B), which without MPX are hint NOPs;
 * - FWAIT followed by an x87 instruction, which objdump prints as one (FSTSW = FWAIT FNSTSW);
 * - MOV to/from test registers (0F 24/26, 386 only) and reserved CR/DR/Sreg numbers: #UD here;
 * - F2 0F BC/BD: BSF/BSR with an ignored F2 here, "(bad)" in objdump; 16-bit "66 90" is a NOP;
 * - extensions tsemu's CPU lacks (UNIMPLEMENTED), which are #UD here.
 */
/** Extensions tsemu's CPU does not have (not in its CPUID), so #UD is right for them. */
const UNIMPLEMENTED = /\b(wrss[dq]|wruss[dq]|xcrypt[\w-]*|xstore\w*|xsha\w*|montmul\w*|swapgs|wrmsrns|rdmsrlist|wrmsrlist|adcx|adox|aes\w*|sha\w+|pclmul\w*|gf2p8\w*|enq\w*|movdir\w*|rstorssp|saveprevssp|incssp[dq]|rdssp[dq]|setssbsy|clrssbsy|serialize|xsusldtrk|xresldtrk|uiret|testui|clui|stui|senduipi|hreset|tpause|umonitor|umwait|pconfig|wbnoinvd|encl[suv]|vm\w+|invlpgb|tlbsync|rdpru|mcommit|clzero|monitorx|mwaitx|rmpadjust|pvalidate|psmash|rmpupdate|rdpid|ptwrite|erets|eretu|lkgs|rdtscp|seamcall|seamops|seamret|tdcall|skinit|stgi|clgi|invlpga|xbegin|xabort|aadd|aand|aor|axor|cmp\w+xadd|prefetchit[01]|rao\w*|getsec|lidt|jmpe|movnts[sd]|extrq|insertq|loadiwkey|encodekey\d+|pf\w+|(rd|wr)[fg]sbase|frstpm)\b/;

function knownDifference(ours: string, reason: string, objText: string): boolean {
  if (/reserved (control|debug|segment) register|MOV to CS/.test(reason)) return true;
  if (/\btr[0-7]\b/.test(objText)) return true;
  if (objText.includes("(bad)") && /^(fcom|fcomp|fxch|fstp|ffreep|lfence|mfence|sfence|wbinvd|bsf|bsr)$/.test(ours)) return true;
  if (/\bbnd/.test(objText)) return true;
  if (reason === "undefined opcode" && UNIMPLEMENTED.test(objText)) return true;
  if (/\bfemms\b|\bp[a-z0-9]+ +mm[0-7],/.test(objText) && reason === "undefined opcode") return true; // AMD 3DNow!
  if (ours === "fwait") return true;
  if (ours === "nop" && /\bxchg\s+([re]?ax),\1$/.test(objText)) return true;
  if (reason === "undefined opcode" && /^rep(n?z)\s+pmovmskb/.test(objText)) return true;
  return false;
}

export interface Mismatch { mode: CodeMode; bytes: string; row?: string; ours: string; objdump: string }

export interface DiffStats { compared: number; skipped: number; mismatches: Mismatch[] }

function hexBytes(b: number[], n: number): string {
  return b.slice(0, n).map((x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Run every case through our decoder and objdump; collect mismatches. */
export function runDiff(cases: Case[]): DiffStats {
  const dir = mkdtempSync(join(tmpdir(), "tsemu-decode-"));
  const stats: DiffStats = { compared: 0, skipped: 0, mismatches: [] };
  try {
    for (const mode of [64, 32, 16] as CodeMode[]) {
      const mine = cases.filter((c) => c.mode === mode);
      if (mine.length === 0) continue;
      const image = new Uint8Array(mine.length * SLOT).fill(0x90);
      mine.forEach((c, i) => image.set(c.bytes, i * SLOT));
      const lines = objdump(mode, image, dir);
      mine.forEach((c, i) => compareOne(c, i * SLOT, image, lines, stats));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}

/**
 * Decode a contiguous code stream (e.g. a real program's .text) and compare at every
 * instruction boundary objdump finds. Returns the stats; `c.bytes` is unused for streams.
 */
export function runStream(code: Uint8Array, mode: CodeMode): DiffStats {
  const dir = mkdtempSync(join(tmpdir(), "tsemu-decode-"));
  const stats: DiffStats = { compared: 0, skipped: 0, mismatches: [] };
  try {
    const lines = objdump(mode, code, dir);
    const starts = [...lines.keys()].sort((a, b) => a - b);
    let next = 0;
    for (const a of starts) {
      if (a < next) continue; // inside a merged prefix line
      const l = lines.get(a);
      next = a + (l?.len ?? 1);
      const bytes = Array.from(code.subarray(a, a + 15));
      compareOne({ mode, bytes }, a, code, lines, stats, code.length);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}

function compareOne(c: Case, base: number, image: Uint8Array, lines: Map<number, ObjLine>, stats: DiffStats, limit = SLOT): void {
  // Merge objdump's standalone prefix lines into the instruction that follows.
  let addr = base, objLen = 0, text = "";
  for (;;) {
    const l = lines.get(addr);
    if (!l) { stats.skipped++; return; }
    objLen += l.len; addr += l.len;
    const words = l.text.split(/\s+/);
    if (words.every(isPrefixWord) && objLen < 15) continue;
    text = l.text;
    break;
  }
  const reader = { readByte: (a: number): number => (a - base >= 0 && a - base < limit ? (image[a] ?? -1) : -1) };
  const r = decode(reader, base, c.mode);
  const bad = text.includes("(bad)");
  const words = text.split(/[\s,]+/).filter((w) => w && !isPrefixWord(w));
  const objMn = norm(words[0] ?? "");
  const rec = (ours: string): void => {
    stats.mismatches.push({ mode: c.mode, bytes: hexBytes(c.bytes, Math.max(objLen, 8)), row: c.row, ours, objdump: `${objLen}: ${text}` });
  };
  if (text.startsWith(".byte") || objLen > 15) { stats.skipped++; return; }
  if ("fault" in r) {
    if (r.fault === "UD" && (r.reason === "VEX not implemented" || r.reason === "LOCK prefix not allowed")) { stats.skipped++; return; }
    const reason = "reason" in r ? r.reason : "";
    if (knownDifference("", reason, text)) { stats.skipped++; return; }
    stats.compared++;
    if (!bad) rec(`${r.fault} ${reason}`);
    return;
  }
  const ours = norm(displayMnemonic(r));
  if ((bad || r.len !== objLen || objMn !== ours) && knownDifference(ours, "", text)) { stats.skipped++; return; }
  stats.compared++;
  if (bad) { rec(`${r.len}: ${ours}`); return; }
  if (r.len !== objLen || !(objMn === ours || objMn.startsWith(ours))) rec(`${r.len}: ${ours}`);
}

const STRING_MN = /^(movs|cmps|stos|lods|scas|ins|outs)/;

/**
 * objdump text with the spelling differences we accept: prefixes that do not apply, rip+2^64-x,
 * "# target" comments, eiz (a null SIB index), 16-bit-mode size suffixes (calld, pushfd...),
 * "xchg ax,ax" for a 66-prefixed NOP.
 */
function normFormat(t: string): string {
  const words = t.replace(/\s+#.*$/, "").trim().split(/\s+/);
  const i = words.findIndex((w) => !isPrefixWord(w));
  const mn = words[i] ?? "";
  const kept = words.slice(0, Math.max(i, 0)).filter((w) => w === "lock" || (/^rep/.test(w) && STRING_MN.test(mn)));
  let x = [...kept, ...words.slice(i)].join(" ");
  x = x.replace(/\+eiz\*\d/, "").replace(/^(call|ret|push|pushf|popf|pusha|popa|lidt|lgdt|sidt|sgdt)[dw]\b/, "$1");
  if (/^xchg e?ax,e?ax$/.test(x)) x = "nop";
  return x.replace(/rip\+0x(f{8}[0-9a-f]{8})/, (_m, h: string) => `rip-0x${(2n ** 64n - BigInt(`0x${h}`)).toString(16)}`);
}

/**
 * Compare our full Intel-syntax text (format.ts) with objdump's on a code stream: checks
 * operand decoding (registers, sizes, displacements, immediates, targets), not just lengths.
 */
export function formatDiff(code: Uint8Array, mode: CodeMode): { total: number; differ: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "tsemu-decode-"));
  const differ: string[] = [];
  let total = 0;
  try {
    const lines = objdump(mode, code, dir);
    const reader = { readByte: (a: number): number => (a < code.length ? (code[a] ?? -1) : -1) };
    for (const [addr, l] of lines) {
      const r = decode(reader, addr, mode);
      if ("fault" in r || r.len !== l.len) continue;
      total++;
      const ours = formatInsn(r).replace(/\s+/g, " ").trim(), theirs = normFormat(l.text);
      if (ours !== theirs) differ.push(`ours: ${ours} | objdump: ${theirs}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { total, differ };
}
