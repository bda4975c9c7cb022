/**
 * Differential tests of the SSE/SSE2/SSE3/SSSE3/SSE4.1 and MMX semantics against the host CPU:
 * every case runs natively and in the emulator with the same inputs (special floats included:
 * ±0, ±inf, QNaN/SNaN, denormals, out-of-range integers) and must produce the same bytes.
 */
import { describe, expect, it } from "vitest";
import { buildCases, diffCases, runEmu, runNative, type CaseSpec, type Fill } from "./simd-harness.js";

const rr = (ops: string[], fill: Fill, form = "xmm0, xmm1"): CaseSpec[] => ops.flatMap((op) => [
  { insn: `${op} ${form}`, fill },
  { insn: `${op} ${form.replace(/xmm1|mm1/, op.startsWith("cvtsi2") ? "qword IN" : "IN")}`, fill },
]);

const INT_OPS = ["paddb", "paddw", "paddd", "paddq", "psubb", "psubw", "psubd", "psubq", "paddsb", "paddsw", "paddusb", "paddusw",
  "psubsb", "psubsw", "psubusb", "psubusw", "pmullw", "pmulld", "pmaddwd", "pmulhw", "pmulhuw", "pmuludq", "pmuldq", "pmulhrsw",
  "pminub", "pmaxub", "pminsw", "pmaxsw", "pminsb", "pmaxsb", "pminuw", "pmaxuw", "pminsd", "pmaxsd", "pminud", "pmaxud",
  "pavgb", "pavgw", "psadbw", "pmaddubsw", "pand", "por", "pxor", "pandn", "pcmpeqb", "pcmpeqw", "pcmpeqd", "pcmpeqq",
  "pcmpgtb", "pcmpgtw", "pcmpgtd", "pcmpgtq", "pabsb", "pabsw", "pabsd", "psignb", "psignw", "psignd",
  "packsswb", "packuswb", "packssdw", "packusdw", "punpcklbw", "punpcklwd", "punpckldq", "punpcklqdq",
  "punpckhbw", "punpckhwd", "punpckhdq", "punpckhqdq", "phaddw", "phaddd", "phaddsw", "phsubw", "phsubd", "phsubsw",
  "pshufb", "psrlw", "psrld", "psrlq", "psraw", "psrad", "psllw", "pslld", "psllq",
  "pmovsxbw", "pmovsxbd", "pmovsxbq", "pmovsxwd", "pmovsxwq", "pmovsxdq", "pmovzxbw", "pmovzxbd", "pmovzxbq",
  "pmovzxwd", "pmovzxwq", "pmovzxdq", "movdqa", "movdqu", "movaps", "movups", "movapd", "movupd"];
const MMX_OPS = ["paddb", "paddw", "paddd", "paddq", "psubb", "psubusw", "pmullw", "pmulhw", "pmuludq", "pmaddwd", "pminub",
  "pavgb", "psadbw", "pand", "pandn", "pcmpeqb", "pcmpgtw", "packsswb", "packuswb", "packssdw", "punpcklbw", "punpckhbw",
  "punpckhwd", "punpckhdq", "punpckldq", "pshufb", "phaddw", "phsubd", "pmaddubsw", "pmulhrsw", "psignb", "pabsw",
  "psrlw", "psraw", "psllq", "psrlq", "movq"];
const IMM_INT = ["pshufd xmm0, xmm1, 0x1b", "pshufd xmm0, IN, 0xe4", "pshufhw xmm0, xmm1, 0x93", "pshuflw xmm0, xmm1, 0x39",
  "pshufw mm0, mm1, 0x4e", "palignr xmm0, xmm1, 5", "palignr xmm0, IN, 20", "palignr mm0, mm1, 3", "palignr mm0, mm1, 11",
  "psrlw xmm0, 3", "psrlw xmm0, 17", "psraw xmm0, 15", "psraw xmm0, 40", "psrad xmm0, 7", "psrld xmm0, 31", "psrlq xmm0, 63",
  "psrlq xmm0, 64", "psllw xmm0, 9", "pslld xmm0, 33", "psllq xmm0, 1", "psrldq xmm0, 3", "psrldq xmm0, 17", "pslldq xmm0, 9",
  "psrlw mm0, 4", "psrad mm0, 33", "pblendw xmm0, xmm1, 0xa5", "blendps xmm0, xmm1, 6", "blendpd xmm0, IN, 1",
  "pinsrw xmm0, eax, 5", "pinsrw mm0, eax, 2", "pinsrb xmm0, eax, 13", "pinsrd xmm0, eax, 2", "pinsrq xmm0, rax, 1",
  "pinsrd xmm0, dword IN, 1", "pextrw eax, xmm1, 6", "pextrw eax, mm1, 3", "pextrb eax, xmm1, 9", "pextrd eax, xmm1, 3",
  "pextrq rax, xmm1, 1", "pextrw word IN, xmm1, 1", "extractps eax, xmm1, 2", "insertps xmm0, xmm1, 0x9c", "insertps xmm0, IN, 0x21",
  "pmovmskb eax, xmm1", "pmovmskb eax, mm1", "movmskps eax, xmm1", "movmskpd eax, xmm1", "ptest xmm0, xmm1", "ptest xmm0, IN",
  "pblendvb xmm1, IN", "blendvps xmm1, xmm0", "blendvpd xmm1, IN",
  "movd xmm0, eax", "movq xmm0, rax", "movd eax, xmm1", "movq rax, xmm1", "movd mm0, eax", "movq rax, mm1", "movd dword IN, xmm1",
  "movq xmm0, xmm1", "movq xmm0, IN", "movq IN, xmm1", "movq2dq xmm0, mm1", "movdq2q mm0, xmm1", "movq mm0, IN",
  "movss xmm0, xmm1", "movss xmm0, IN", "movss IN, xmm1", "movsd xmm0, xmm1", "movsd xmm0, IN", "movsd IN, xmm1",
  "movlps xmm0, IN", "movhps xmm0, IN", "movlps IN, xmm1", "movhps IN, xmm1", "movlpd xmm0, IN", "movhpd IN, xmm1",
  "movhlps xmm0, xmm1", "movlhps xmm0, xmm1", "movddup xmm0, xmm1", "movddup xmm0, IN", "movsldup xmm0, xmm1", "movshdup xmm0, IN",
  "movntdq IN, xmm1", "lddqu xmm0, IN", "movntps IN, xmm1", "movnti IN, eax", "movntq IN, mm1", "movaps IN, xmm1", "movups IN, xmm0",
  "shufps xmm0, xmm1, 0x1b", "shufps xmm0, IN, 0xb1", "shufpd xmm0, xmm1, 2", "unpcklps xmm0, xmm1", "unpckhps xmm0, IN",
  "unpcklpd xmm0, xmm1", "unpckhpd xmm0, xmm1", "andps xmm0, xmm1", "andnps xmm0, IN", "orps xmm0, xmm1", "xorpd xmm0, xmm1",
  "andnpd xmm0, xmm1", "andpd xmm0, IN", "orpd xmm0, xmm1", "xorps xmm0, IN",
  ...[1, 7, 15, 16, 31, 33, 63, 64].flatMap((n) => ["psrlw", "psraw", "psllw", "psrld", "psrad", "pslld", "psrlq", "psllq"].flatMap((op) => [
    `mov ecx, ${n}\n movd xmm2, ecx\n ${op} xmm0, xmm2`, `mov ecx, ${n}\n movd mm2, ecx\n ${op} mm0, mm2`])),
  "lea rax, IN\n maskmovdqu xmm1, xmm0\n xchg rdi, rax\n maskmovdqu xmm0, xmm1\n xchg rdi, rax\n xor eax, eax"];

function check(specs: CaseSpec[], reps: number, seed: number): void {
  const { body, data, names } = buildCases(specs, reps, seed);
  const native = runNative(body, data);
  const emu = runEmu(body, data);
  expect(emu.logs.filter((l) => l.includes("unimp") || l.includes("#UD"))).toEqual([]);
  expect(emu.exitCode).toBe(0x55);
  expect(diffCases(names, emu.out, native).slice(0, 20)).toEqual([]);
}

describe("SSE integer and MMX instructions match the host CPU", () => {
  it("packed integer ops (SSE2..SSE4.1), register and memory forms", () => check(rr(INT_OPS, "int"), 4, 1));
  it("MMX forms", () => check(rr(MMX_OPS, "int", "mm0, mm1"), 4, 2));
  it("immediate, extract/insert, moves and shuffles", () => check(IMM_INT.map((insn) => ({ insn, fill: "int" })), 4, 3));
  it("SSE4.2 string compares and the SSE4.1 helper instructions", () => {
    const specs: CaseSpec[] = [];
    for (const imm of [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0d, 0x0e, 0x10, 0x14, 0x18, 0x1a, 0x30, 0x38, 0x3c, 0x40, 0x44, 0x48, 0x4c, 0x4d, 0x70, 0x7c]) {
      for (const op of ["pcmpistri", "pcmpistrm", "pcmpestri", "pcmpestrm"]) {
        const pre = op.includes("estr") ? "mov edx, eax\n shr edx, 28\n and eax, 15\n sub eax, 2\n " : "";
        specs.push({ insn: `${pre}${op} xmm0, xmm1, ${imm}`, fill: "str" }, { insn: `${pre}${op} xmm0, IN, ${imm}`, fill: "str" });
      }
    }
    specs.push(...["phminposuw xmm0, xmm1", "phminposuw xmm0, IN", "mpsadbw xmm0, xmm1, 0", "mpsadbw xmm0, xmm1, 7", "mpsadbw xmm0, IN, 5"]
      .map((insn) => ({ insn, fill: "int" as const })));
    specs.push(...["dpps xmm0, xmm1, 0xff", "dpps xmm0, xmm1, 0x35", "dppd xmm0, xmm1, 0x31", "dppd xmm0, IN, 0x33"].map((insn) => ({ insn, fill: "str" as const })));
    check(specs, 3, 4);
  });
});
