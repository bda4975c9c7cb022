/**
 * Differential tests (host CPU vs tsemu) of bit and exchange instructions and data movement:
 * BT BTS BTR BTC (register, immediate and register-offset memory forms), BSF BSR TZCNT LZCNT
 * POPCNT, MOVBE, CRC32, BSWAP, CMPXCHG CMPXCHG8B CMPXCHG16B XADD XCHG, MOVZX MOVSX MOVSXD,
 * LEA (16/32/64-bit addresses), CMOVcc, SETcc, CBW..CQO, LAHF/SAHF, CLC/STC/CMC, PUSH/POP,
 * ENTER/LEAVE, XLAT, LOOP/JCXZ.
 */

import { beforeAll, describe, it } from "vitest";
import { F, Rng, type DiffCase } from "./harness.js";
import { DIFF_AVAILABLE, DiffSuite, SIZES, SIZE_WORD, bytes, memWith, reg, value } from "./gen.js";

const rng = new Rng(0xb2);
const suite = new DiffSuite();
const N = 12;
const W = 0x200400;

function btCases(op: string): DiffCase[] {
  const out: DiffCase[] = [];
  for (const size of [2, 4, 8] as const) {
    for (let i = 0; i < N; i++) {
      out.push({ asm: `${op} ${reg(3, size)}, ${reg(1, size)}`, regs: { rbx: value(rng, size), rcx: rng.u64() } });
      out.push({ asm: `${op} ${reg(3, size)}, ${rng.int(256)}`, regs: { rbx: value(rng, size) } });
      out.push({ asm: `${op} ${SIZE_WORD[size]} [rsi+56], ${rng.int(256)}`, regs: { rsi: W } });
      // Register offsets reach -448..+511 bits around rsi+56: inside the window.
      const off = BigInt(rng.int(960) - 448);
      out.push({ asm: `${op} ${SIZE_WORD[size]} [rsi+56], ${reg(1, size)}`, regs: { rsi: W, rcx: BigInt.asUintN(64, off) } });
      out.push({ asm: `${op} ${SIZE_WORD[size]} [rdi+rdx*2+40], ${reg(2, size)}`, regs: { rdi: W, rdx: BigInt(rng.int(8)) } });
    }
  }
  return out;
}

function scanCases(op: string): DiffCase[] {
  const out: DiffCase[] = [];
  for (const size of [2, 4, 8] as const) {
    for (let i = 0; i < N; i++) {
      const v = rng.int(4) === 0 ? 0n : rng.int(2) ? 1n << BigInt(rng.int(size * 8)) : value(rng, size);
      out.push({ asm: `${op} ${reg(3, size)}, ${reg(1, size)}`, regs: { rbx: rng.u64(), rcx: (rng.u64() & ~((1n << BigInt(size * 8)) - 1n)) | (v & ((1n << BigInt(size * 8)) - 1n)) } });
      out.push({ asm: `${op} ${reg(9, size)}, ${SIZE_WORD[size]} [rsi+8]`, regs: { rsi: W, r9: rng.u64() }, mem: memWith(rng, 8, v, size) });
    }
  }
  return out;
}

function movbeCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (const size of [2, 4, 8] as const) {
    for (let i = 0; i < 4; i++) {
      out.push({ asm: `movbe ${reg(3, size)}, ${SIZE_WORD[size]} [rsi+8]`, regs: { rsi: W } });
      out.push({ asm: `movbe ${SIZE_WORD[size]} [rsi+16], ${reg(3, size)}`, regs: { rsi: W } });
    }
  }
  return out;
}

function crcCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (const size of SIZES) {
    const dst = size === 8 ? "rbx" : "ebx";
    for (let i = 0; i < 6; i++) {
      out.push({ asm: `crc32 ${dst}, ${reg(1, size)}`, regs: { rbx: rng.u64(), rcx: rng.u64() } });
      out.push({ asm: `crc32 ${size === 8 ? "r10" : "r10d"}, ${SIZE_WORD[size]} [rsi+8]`, regs: { rsi: W } });
    }
  }
  for (let i = 0; i < 3; i++) out.push({ asm: "crc32 rbx, cl", regs: { rbx: rng.u64(), rcx: rng.u64() } });
  return out;
}

function xchgCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (const size of SIZES) {
    for (let i = 0; i < 6; i++) {
      const eq = rng.int(2) === 1;
      const acc = value(rng, size), dst = eq ? acc : value(rng, size);
      // A failing CMPXCHG r32 leaves the register's upper half (Intel).
      out.push({ asm: `cmpxchg ${reg(3, size)}, ${reg(1, size)}`, regs: { rax: acc, rbx: dst, rcx: rng.u64() }, intelOnly: size === 4 && !eq });
      out.push({ asm: `cmpxchg ${SIZE_WORD[size]} [rsi+8], ${reg(1, size)}`, regs: { rax: acc, rsi: W }, mem: memWith(rng, 8, dst, size) });
      out.push({ asm: `lock cmpxchg ${SIZE_WORD[size]} [rsi+8], ${reg(11, size)}`, regs: { rax: acc, rsi: W }, mem: memWith(rng, 8, eq ? acc : rng.u64(), size) });
      out.push({ asm: `cmpxchg ${reg(0, size)}, ${reg(2, size)}`, regs: { rax: acc, rdx: rng.u64() } });
      out.push({ asm: `xadd ${reg(3, size)}, ${reg(1, size)}`, regs: { rbx: value(rng, size), rcx: value(rng, size) } });
      out.push({ asm: `xadd ${reg(3, size)}, ${reg(3, size)}`, regs: { rbx: value(rng, size) } });
      out.push({ asm: `lock xadd ${SIZE_WORD[size]} [rsi+8], ${reg(1, size)}`, regs: { rsi: W, rcx: value(rng, size) } });
      out.push({ asm: `xchg ${reg(3, size)}, ${reg(1, size)}`, regs: { rbx: value(rng, size), rcx: value(rng, size) } });
      out.push({ asm: `xchg ${SIZE_WORD[size]} [rsi+8], ${reg(9, size)}`, regs: { rsi: W } });
    }
  }
  for (let i = 0; i < 8; i++) {
    const m = rng.u64(), m2 = rng.u64(), eq = rng.int(2) === 1;
    const mem = [...bytes(m, 8), ...bytes(m2, 8)];
    const regs = { rax: eq ? m : rng.u64(), rdx: eq ? m2 : rng.u64(), rsi: W };
    const r8 = eq ? { rax: (rng.u64() & ~0xffffffffn) | (m & 0xffffffffn), rdx: (rng.u64() & ~0xffffffffn) | (m >> 32n), rsi: W } : regs;
    out.push({ asm: "cmpxchg8b [rsi]", regs: r8, mem });
    out.push({ asm: "lock cmpxchg16b [rsi]", regs, mem });
    out.push({ asm: "cmpxchg16b [rsi+16]", regs: { ...regs, rsi: W - 16 }, mem });
  }
  return out;
}

function moveCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (let i = 0; i < 6; i++) {
    for (const [d, s] of [[2, 1], [4, 1], [4, 2], [8, 1], [8, 2]] as const) {
      out.push({ asm: `movzx ${reg(3, d)}, ${reg(1, s)}`, regs: { rbx: rng.u64(), rcx: value(rng, s) } });
      out.push({ asm: `movsx ${reg(3, d)}, ${reg(1, s)}`, regs: { rbx: rng.u64(), rcx: value(rng, s) } });
      out.push({ asm: `movsx ${reg(12, d)}, ${SIZE_WORD[s]} [rsi+8]`, regs: { rsi: W } });
    }
    out.push({ asm: "movzx ebx, ah", regs: { rax: rng.u64() } });
    out.push({ asm: "movsxd rbx, ecx", regs: { rcx: value(rng, 4) } });
    out.push({ asm: "movsxd r9, dword [rsi+8]", regs: { rsi: W } });
    for (const size of [2, 4, 8] as const) out.push({ asm: `bswap ${reg(size === 2 ? 3 : 13, size === 2 ? 4 : size)}`, regs: { rbx: rng.u64(), r13: rng.u64() } });
    out.push({ asm: "db 0x66, 0x0f, 0xcb", regs: { rbx: rng.u64() }, intelOnly: true }); // bswap bx (undefined: Intel clears)
    out.push({ asm: "mov bh, cl\nmov ch, al\nmov r8b, dl\nmov dh, bl", regs: { rcx: rng.u64(), rax: rng.u64(), rdx: rng.u64() } });
    out.push({ asm: "mov ebx, ecx\nmov si, dx\nmov r9, 0x123456789abcdef", regs: { rcx: rng.u64(), rdx: rng.u64() } });
    // moffs forms (A0..A3) with 64- and 32-bit addresses.
    out.push({ asm: `mov al, [qword ${W + 8}]\nmov [qword ${W + 16}], ax\nmov eax, [qword ${W + 24}]\nmov rcx, rax\nmov rax, [qword ${W + 32}]`, regs: { rax: rng.u64() } });
    out.push({ asm: `a32 mov eax, [dword ${W + 40}]\na32 mov [dword ${W + 48}], rax`, regs: { rax: rng.u64() } });
  }
  // LEA with every address size and operand size.
  for (let i = 0; i < 10; i++) {
    const regs = { rbx: rng.u64(), rcx: rng.u64(), rsi: rng.u64() };
    for (const dst of ["ax", "eax", "rax"]) {
      out.push({ asm: `lea ${dst}, [rbx+rcx*4+${rng.int(0x10000) - 0x8000}]`, regs });
      out.push({ asm: `lea ${dst}, [ebx+ecx*8-${rng.int(0x100)}]`, regs });
      out.push({ asm: `lea ${dst}, [rsi+0x7fffffff]`, regs });
      out.push({ asm: `lea ${dst}, [esi+0x7fffffff]`, regs });
    }
  }
  return out;
}

function condCases(): DiffCase[] {
  const out: DiffCase[] = [];
  const ccs = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
  for (const cc of ccs) {
    for (let i = 0; i < 6; i++) {
      const flags = rng.u32() & 0x8d5;
      out.push({ asm: `set${cc} bl`, flags, regs: { rbx: rng.u64() } });
      out.push({ asm: `set${cc} byte [rsi+8]`, flags, regs: { rsi: W } });
      out.push({ asm: `cmov${cc} ebx, ecx`, flags, regs: { rbx: rng.u64(), rcx: rng.u64() } });
      out.push({ asm: `cmov${cc} bx, cx`, flags, regs: { rbx: rng.u64(), rcx: rng.u64() } });
      out.push({ asm: `cmov${cc} r9, qword [rsi+8]`, flags, regs: { rsi: W, r9: rng.u64() } });
      // Each producer kind feeding the condition directly (lazy-flags fast paths).
      const a = value(rng, 4), c = value(rng, 4);
      out.push({ asm: `cmp ebx, ecx\nset${cc} al`, regs: { rbx: a, rcx: rng.int(3) === 0 ? a : c } });
      out.push({ asm: `sub bl, cl\nset${cc} al`, regs: { rbx: a, rcx: c } });
      out.push({ asm: `test rbx, rcx\nset${cc} al`, regs: { rbx: rng.u64(), rcx: rng.int(2) ? 0n : rng.u64() }, undefIntel: F.AF }); // AF undefined after TEST (Intel clears it)
      out.push({ asm: `add bx, cx\ncmov${cc} eax, edx`, regs: { rbx: a, rcx: c } });
      out.push({ asm: `inc ecx\nset${cc} al`, regs: { rcx: value(rng, 4) } });
      out.push({ asm: `shl ebx, 1\nset${cc} al`, regs: { rbx: a }, undefIntel: F.AF }); // AF undefined after shifts (Intel clears it)
    }
  }
  for (let i = 0; i < 10; i++) {
    out.push({ asm: "cbw", regs: { rax: value(rng, 1) } });
    out.push({ asm: "cwde", regs: { rax: value(rng, 2) } });
    out.push({ asm: "cdqe", regs: { rax: value(rng, 4) } });
    out.push({ asm: "cwd", regs: { rax: value(rng, 2) } });
    out.push({ asm: "cdq", regs: { rax: value(rng, 4) } });
    out.push({ asm: "cqo", regs: { rax: value(rng, 8) } });
    out.push({ asm: "lahf", regs: { rax: rng.u64() } });
    out.push({ asm: "sahf", regs: { rax: rng.u64() } });
    out.push({ asm: "cmc" }, { asm: "clc" }, { asm: "stc" });
    out.push({ asm: "add eax, ecx\ncmc\nadc ebx, edx", regs: { rax: value(rng, 4), rcx: value(rng, 4) } });
  }
  return out;
}

function stackCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (let i = 0; i < 6; i++) {
    out.push({ asm: "push rbx\npush r12\npop rcx\npop rdx", regs: { rbx: rng.u64(), r12: rng.u64() } });
    out.push({ asm: "push word 0x1234\npush -5\npush 0x12345678\npop ax\npop rcx\npop rdx" });
    out.push({ asm: "push qword [rsi+8]\npop qword [rsi+16]", regs: { rsi: W } });
    out.push({ asm: "push rsp\npop rbx" });
    out.push({ asm: "pop qword [rsp]\npop qword [rsp+8]\npush qword [rsp+16]\npop word [rsp-2]\na32 pop qword [esp+8]" });
    out.push({ asm: "pop rsp" });
    out.push({ asm: "push bx\npop cx", regs: { rbx: rng.u64() } });
    for (const level of [0, 1, 2, 3, 5]) {
      const alloc = rng.int(16) * 4;
      out.push({ asm: `enter ${alloc}, ${level}`, regs: { rbp: BigInt(W + 96 + rng.int(4) * 8) } });
      out.push({ asm: `o16 enter ${alloc}, ${level}`, regs: { rbp: BigInt(W + 96 + rng.int(4) * 2) } });
    }
    out.push({ asm: "leave", regs: { rbp: BigInt(W + 64 + rng.int(8) * 8) } });
    out.push({ asm: "o16 leave", regs: { rbp: BigInt(W + 64 + rng.int(8) * 2) } });
    out.push({ asm: "xlatb", regs: { rbx: BigInt(W), rax: (rng.u64() & ~0xffn) | BigInt(rng.int(128)) } });
    out.push({ asm: "a32 xlatb", regs: { rbx: BigInt(W) | (rng.u64() << 32n), rax: (rng.u64() & ~0xffn) | BigInt(rng.int(128)) } });
    // LOOP/JCXZ: the taken path skips the marker store.
    for (const [br, cx] of [["loop", 1n], ["loop", 5n], ["loop", 0n], ["jrcxz", 0n], ["jrcxz", 3n], ["jecxz", 0x100000000n], ["loope", 2n], ["loopne", 2n], ["a32 loop", 0x100000001n]] as const) {
      out.push({ asm: `${br} .t${i}${br.length}${cx}\nmov byte [${W}], 0x55\n.t${i}${br.length}${cx}:`, regs: { rcx: cx }, flags: rng.u32() & 0x8d5 });
    }
  }
  return out;
}

/** Near control transfers: the taken path skips a marker store into the window. */
function controlCases(): DiffCase[] {
  const out: DiffCase[] = [];
  const ccs = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
  let n = 0;
  const l = (): string => `.c${n++}`;
  for (let i = 0; i < 4; i++) {
    for (const cc of ccs) {
      const t = l(), t2 = l();
      out.push({ asm: `j${cc} ${t}\nmov byte [${W}], 0x55\n${t}:\nj${cc} near ${t2}\nmov byte [${W + 1}], 0x66\n${t2}:`, flags: rng.u32() & 0x8d5 });
    }
    const a = l(), b = l(), c = l(), d = l(), e = l();
    out.push({ asm: `call ${a}\n${a}: pop rbx` });
    out.push({ asm: `lea rax, [rel ${b}]\njmp rax\nmov byte [${W}], 1\n${b}:` });
    out.push({ asm: `lea rax, [rel ${c}]\nmov [rsi], rax\njmp [rsi]\nmov byte [${W}], 1\n${c}:`, regs: { rsi: BigInt(W + 8) } });
    out.push({ asm: `push 0x1111\npush 0x2222\nlea rax, [rel ${d}]\npush rax\nret 16\nmov byte [${W}], 1\n${d}:` });
    out.push({ asm: `lea rax, [rel ${e}]\ncall rax\nmov byte [${W}], 2\njmp ${e}x\n${e}: pop rcx\npush rcx\nret\n${e}x:` });
    const f = l();
    out.push({ asm: `db 0x66\njmp short ${f}\nmov byte [${W}], 3\n${f}:`, intelOnly: true }); // 66 ignored on near branches (Intel; AMD truncates RIP to 16 bits)
  }
  return out;
}

suite.add("Jcc/CALL/RET/JMP", 64, controlCases());
// Undefined flags tsemu matches to Intel (compared on Intel hosts only).
const withIntel = (cases: DiffCase[], undefIntel: number): DiffCase[] => cases.map((c) => ({ ...c, undefIntel }));
for (const op of ["BT", "BTS", "BTR", "BTC"]) suite.add(op, 64, withIntel(btCases(op.toLowerCase()), F.OF | F.SF | F.AF | F.PF));
suite.add("BSF", 64, withIntel(scanCases("bsf"), F.CF | F.OF | F.SF | F.AF | F.PF));
suite.add("BSR", 64, withIntel(scanCases("bsr"), F.CF | F.OF | F.SF | F.AF | F.PF));
suite.add("TZCNT", 64, withIntel(scanCases("tzcnt"), F.OF | F.SF | F.AF | F.PF));
suite.add("LZCNT", 64, withIntel(scanCases("lzcnt"), F.OF | F.SF | F.AF | F.PF));
suite.add("POPCNT", 64, scanCases("popcnt"));
suite.add("MOVBE", 64, movbeCases());
suite.add("CRC32", 64, crcCases());
suite.add("CMPXCHG/XADD/XCHG", 64, xchgCases());
suite.add("MOVZX/MOVSX/BSWAP/LEA/MOV", 64, moveCases());
suite.add("SETcc/CMOVcc/CBW/LAHF/SAHF/CMC", 64, condCases());
suite.add("PUSH/POP/ENTER/LEAVE/XLAT/LOOP", 64, stackCases());

describe.skipIf(!DIFF_AVAILABLE)("bit, exchange and move instructions vs host CPU", () => {
  beforeAll(() => { suite.run(64); }, 120_000);
  for (const g of suite.groups) it.skipIf(suite.skips(g))(g, () => suite.check(g));
});
