/**
 * The host x87 as an oracle for single x87 operations: a gcc-built program reads records
 * (op, FCW, two 80-bit operands), runs the operation on the host FPU with ST(0) = a and
 * ST(1) = b (or a memory operand holding a's bytes), and writes back the status word after
 * the operation (FNSTSW, before FNCLEX), ST(0), ST(1) (popped with all exceptions masked, so
 * an empty register reads as the indefinite) and the memory operand (zero unless stored).
 * OP lists the operations in the order of the program's switch.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const OP = [
  "fadd", "fsub", "fmul", "fdiv", "fsqrt", "frndint", "fscale", "fprem", "fprem1", "fxtract",
  "fst m32", "fst m64", "fist m16", "fist m32", "fistp m64", "fisttp m64", "fbstp", "fcom", "fucom",
  "fld m32", "fld m64", "fbld", "fadd m32", "fadd m64", "fimul m16", "fidiv m32",
  "fsin", "fcos", "fptan", "fpatan", "f2xm1", "fyl2x", "fyl2xp1", "fsincos", "fdivr", "fsubr", "fisttp m16",
] as const;
export type OpName = (typeof OP)[number];

const SRC = `#include <stdio.h>
#include <string.h>
#include <stdint.h>
typedef struct { uint8_t op; uint8_t pad; uint16_t cw; uint8_t a[10]; uint8_t b[10]; } __attribute__((packed)) In;
typedef struct { uint8_t r0[10]; uint8_t r1[10]; uint16_t sw; uint8_t mem[10]; } __attribute__((packed)) Out;
int main(void) {
  In in; Out o;
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    memset(&o, 0, sizeof o);
    uint16_t cw = in.cw, mcw = 0x37f;
    switch (in.op) {
#define BIN(I) asm volatile("fninit\\n fldcw %[cw]\\n fldt %[b]\\n fldt %[a]\\n " I "\\n fnstsw %[sw]\\n fnclex\\n fldcw %[mcw]\\n fstpt %[r0]\\n fstpt %[r1]" : [sw]"=m"(o.sw), [r0]"=m"(o.r0), [r1]"=m"(o.r1) : [cw]"m"(cw), [mcw]"m"(mcw), [a]"m"(in.a), [b]"m"(in.b)); break;
#define MEM(I) asm volatile("fninit\\n fldcw %[cw]\\n fldt %[b]\\n fldt %[a]\\n " I " %[mem]\\n fnstsw %[sw]\\n fnclex\\n fldcw %[mcw]\\n fstpt %[r0]\\n fstpt %[r1]" : [sw]"=m"(o.sw), [r0]"=m"(o.r0), [r1]"=m"(o.r1), [mem]"+m"(o.mem) : [cw]"m"(cw), [mcw]"m"(mcw), [a]"m"(in.a), [b]"m"(in.b)); break;
#define LDM(I) memcpy(o.mem, in.a, 10); asm volatile("fninit\\n fldcw %[cw]\\n fldt %[b]\\n " I " %[mem]\\n fnstsw %[sw]\\n fnclex\\n fldcw %[mcw]\\n fstpt %[r0]\\n fstpt %[r1]" : [sw]"=m"(o.sw), [r0]"=m"(o.r0), [r1]"=m"(o.r1), [mem]"+m"(o.mem) : [cw]"m"(cw), [mcw]"m"(mcw), [b]"m"(in.b)); break;
      case 0: BIN("fadd %%st(1), %%st")
      case 1: BIN("fsub %%st(1), %%st")
      case 2: BIN("fmul %%st(1), %%st")
      case 3: BIN("fdiv %%st(1), %%st")
      case 4: BIN("fsqrt")
      case 5: BIN("frndint")
      case 6: BIN("fscale")
      case 7: BIN("fprem")
      case 8: BIN("fprem1")
      case 9: BIN("fxtract")
      case 10: MEM("fsts")
      case 11: MEM("fstl")
      case 12: MEM("fists")
      case 13: MEM("fistl")
      case 14: MEM("fld %%st\\n fistpll")
      case 15: MEM("fld %%st\\n fisttpll")
      case 16: MEM("fld %%st\\n fbstp")
      case 17: BIN("fcom %%st(1)")
      case 18: BIN("fucom %%st(1)")
      case 19: LDM("flds")
      case 20: LDM("fldl")
      case 21: LDM("fbld")
      case 22: LDM("fadds")
      case 23: LDM("faddl")
      case 24: LDM("fimuls")
      case 25: LDM("fidivl")
      case 26: BIN("fsin")
      case 27: BIN("fcos")
      case 28: BIN("fptan")
      case 29: BIN("fpatan")
      case 30: BIN("f2xm1")
      case 31: BIN("fyl2x")
      case 32: BIN("fyl2xp1")
      case 33: BIN("fsincos")
      case 34: BIN("fdivr %%st(1), %%st")
      case 35: BIN("fsubr %%st(1), %%st")
      case 36: MEM("fisttps")
    }
    fwrite(&o, sizeof o, 1, stdout);
  }
  return 0;
}
`;

let exe: string | null = null;
function oracle(): string {
  if (exe) return exe;
  const dir = join(tmpdir(), `tsemu-x87-oracle-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "oracle");
  if (!existsSync(path)) {
    writeFileSync(join(dir, "oracle.c"), SRC);
    execFileSync("gcc", ["-O1", "-o", path, join(dir, "oracle.c")]);
  }
  return (exe = path);
}

/** One case: the operation, FCW, and the operand images a (ST(0) or memory) and b (ST(1)). */
export interface OracleCase { op: number; cw: number; a: Uint8Array; b: Uint8Array }
/** What the host produced: status word, ST(0), ST(1) images and the memory operand (10 bytes). */
export interface OracleOut { sw: number; r0: Uint8Array; r1: Uint8Array; mem: Uint8Array }

export const IN_BYTES = 24, OUT_BYTES = 32;

export function runOracle(cases: OracleCase[]): OracleOut[] {
  const input = new Uint8Array(cases.length * IN_BYTES);
  const dv = new DataView(input.buffer);
  cases.forEach((c, i) => {
    const o = i * IN_BYTES;
    input[o] = c.op; dv.setUint16(o + 2, c.cw, true);
    input.set(c.a, o + 4); input.set(c.b, o + 14);
  });
  const out = new Uint8Array(execFileSync(oracle(), { input, maxBuffer: 1 << 28 }));
  return cases.map((_, i) => {
    const o = i * OUT_BYTES;
    return { r0: out.slice(o, o + 10), r1: out.slice(o + 10, o + 20), sw: out[o + 20]! | (out[o + 21]! << 8), mem: out.slice(o + 22, o + 32) };
  });
}
