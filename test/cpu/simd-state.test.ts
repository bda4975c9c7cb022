/**
 * FXSAVE/FXRSTOR/XSAVE/XRSTOR images (compared with the host CPU where the architecture fixes
 * the bytes), XGETBV/XSETBV, and the availability faults of SSE/x87/XSAVE instructions:
 * CR0.TS -> #NM, CR0.EM -> #UD (SSE) / #NM (x87), CR4.OSFXSR = 0 -> #UD, misaligned m128 -> #GP,
 * reserved MXCSR bits -> #GP, CR4.OSXSAVE = 0 -> #UD.
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { MsrSlot, StateOff, msrOff } from "../../src/cpu/state-layout.js";
import { FCW_INIT, FpuOff, MXCSR_INIT } from "../../src/cpu/fpu-state.js";
import { nasm } from "../helpers/nasm.js";
import { runEmu, runNative } from "./simd-harness.js";

describe("FXSAVE/XSAVE images match the host CPU", () => {
  it("saves and restores x87, MXCSR and XMM state", () => {
    const body = `
      fninit
      fld qword [rdi + 0]
      fld1
      fldpi
      fld qword [rdi + 8]
      fstp st0
      ${Array.from({ length: 16 }, (_, i) => `movdqu xmm${i}, [rdi + ${64 + i * 16}]`).join("\n      ")}
      mov dword [rdi + 16], 0x1f80 | 0x6000
      ldmxcsr [rdi + 16]
      fxsave [rdi + 512]
      fxsave64 [rdi + 1024]
      mov eax, 3
      xor edx, edx
      xsave [rdi + 2048]
      mov dword [rdi + 16], 0x1f80
      ldmxcsr [rdi + 16]
      fninit
      fldz
      pxor xmm3, xmm3
      pcmpeqb xmm15, xmm15
      fxrstor [rdi + 512]
      fstp tword [rdi + 3072]
      fstp tword [rdi + 3088]
      movdqu [rdi + 3104], xmm3
      movdqu [rdi + 3120], xmm15
      stmxcsr [rdi + 3136]
      fninit
      pxor xmm3, xmm3
      mov eax, 3
      xor edx, edx
      xrstor [rdi + 2048]
      fstp tword [rdi + 3152]
      movdqu [rdi + 3168], xmm3
      stmxcsr [rdi + 3184]
      fnstsw ax
      mov [rdi + 3188], ax
      mov dword [rdi + 16], 0x1f80
      ldmxcsr [rdi + 16]`;
    const data = new Uint8Array(4096);
    const dv = new DataView(data.buffer);
    dv.setFloat64(0, -3.25, true);
    dv.setFloat64(8, 1e300, true);
    for (let i = 0; i < 256; i++) data[64 + i] = (i * 37 + 11) & 255;
    const native = runNative(body, data);
    const emu = runEmu(body, data);
    expect(emu.exitCode).toBe(0x55);
    // the legacy region without FOP/FIP/FDP (bytes 6..23: the emulator does not track them)
    // and MXCSR_MASK bits 16..31: AMD hosts set bit 17 (misaligned-SSE mask, MM); tsemu models Intel
    const legacy = (a: Uint8Array, at: number) => [...a.subarray(at, at + 6), ...a.subarray(at + 24, at + 30), ...a.subarray(at + 32, at + 416)];
    expect(legacy(emu.out, 512)).toEqual(legacy(native, 512));
    expect(legacy(emu.out, 1024)).toEqual(legacy(native, 1024));
    expect(legacy(emu.out, 2048)).toEqual(legacy(native, 2048));
    expect([...emu.out.subarray(3072, 3192)]).toEqual([...native.subarray(3072, 3192)]);
  });
});

/** A long-mode test CPU with an IDT whose vectors 0..31 report their number on the exit port. */
function faultCpu(src: string, setup: (t: ReturnType<typeof createTestCpu>) => void) {
  const t = createTestCpu(8 << 20);
  const handlers = Array.from({ length: 32 }, (_, v) => `h${v}: mov al, ${v}\n mov dx, 0xf4\n out dx, al\n hlt`).join("\n");
  const code = nasm(`${src}\n mov al, 0x55\n mov dx, 0xf4\n out dx, al\n hlt\n align 16\n${handlers}`, 64, 0x100000);
  t.load(0x100000, code);
  const dvRam = new DataView(t.ram.buffer, t.ram.byteOffset);
  // handler addresses: find each "mov al, v; mov dx, 0xf4" after the aligned start by scanning
  const starts: number[] = [];
  for (let i = 0; i + 1 < code.length && starts.length < 32; i++) if (code[i] === 0xb0 && code[i + 1] === starts.length && code[i + 2] === 0x66 && code[i + 3] === 0xba) starts.push(0x100000 + i);
  for (let v = 0; v < 32; v++) {
    const off = starts[v]!, e = 0x8000 + v * 16;
    dvRam.setUint16(e, off & 0xffff, true);
    dvRam.setUint16(e + 2, 0x08, true);
    dvRam.setUint16(e + 4, 0x8e00, true);
    dvRam.setUint16(e + 6, off >>> 16, true);
    dvRam.setUint32(e + 8, 0, true);
    dvRam.setUint32(e + 12, 0, true);
  }
  t.enterLongMode();
  const s = t.cpu.state;
  s.setNum(StateOff.IDTR, 0x8000);
  s.set32(StateOff.IDTR + 8, 32 * 16 - 1);
  s.set64(StateOff.CR4, s.cr4 | (1 << 9) | (1 << 10) | (1 << 18), 0);
  s.set64(msrOff(MsrSlot.XCR0), 3, 0);
  s.set32(StateOff.MXCSR, MXCSR_INIT);
  s.set32(FpuOff.FCW, FCW_INIT);
  setup(t);
  t.cpu.modeChanged();
  t.run(100_000);
  return t;
}

const cr0 = (t: ReturnType<typeof createTestCpu>, set: number, clear = 0) => {
  const s = t.cpu.state;
  s.set64(StateOff.CR0, (s.cr0 | set) & ~clear, 0);
};
const cr4 = (t: ReturnType<typeof createTestCpu>, clear: number) => {
  const s = t.cpu.state;
  s.set64(StateOff.CR4, s.cr4 & ~clear, 0);
};

describe("availability faults", () => {
  it("CR0.TS: SSE, MMX and x87 raise #NM", () => {
    for (const insn of ["addps xmm0, xmm1", "paddb mm0, mm1", "fld1", "fxsave [0x200000]"]) expect(faultCpu(insn, (t) => cr0(t, 8)).exitCode, insn).toBe(7);
  });
  it("CR0.EM: SSE and MMX raise #UD, x87 raises #NM", () => {
    expect(faultCpu("addps xmm0, xmm1", (t) => cr0(t, 4)).exitCode).toBe(6);
    expect(faultCpu("paddb mm0, mm1", (t) => cr0(t, 4)).exitCode).toBe(6);
    expect(faultCpu("fld1", (t) => cr0(t, 4)).exitCode).toBe(7);
  });
  it("CR4.OSFXSR = 0: SSE raises #UD, MMX and x87 run", () => {
    expect(faultCpu("addps xmm0, xmm1", (t) => cr4(t, 1 << 9)).exitCode).toBe(6);
    expect(faultCpu("paddb mm0, mm1\n emms\n fld1", (t) => cr4(t, 1 << 9)).exitCode).toBe(0x55);
  });
  it("misaligned 16-byte operands: #GP for aligned forms, fine for MOVUPS/MOVDQU", () => {
    expect(faultCpu("movaps xmm0, [0x200001]", () => {}).exitCode).toBe(13);
    expect(faultCpu("paddb xmm0, [0x200008]", () => {}).exitCode).toBe(13);
    expect(faultCpu("movntdq [0x200004], xmm0", () => {}).exitCode).toBe(13);
    expect(faultCpu("movups xmm0, [0x200001]\n movdqu [0x200ff9], xmm0\n lddqu xmm1, [0x200ff9]", () => {}).exitCode).toBe(0x55);
    expect(faultCpu("fxsave [0x200008]", () => {}).exitCode).toBe(13);
    expect(faultCpu("mov eax, 3\n xor edx, edx\n xsave [0x200010]", () => {}).exitCode).toBe(13);
  });
  it("LDMXCSR with reserved bits raises #GP; STMXCSR reads the reset value", () => {
    expect(faultCpu("mov dword [0x200000], 0x10000\n ldmxcsr [0x200000]", () => {}).exitCode).toBe(13);
    const t = faultCpu("stmxcsr [0x200000]", () => {});
    expect(new DataView(t.ram.buffer, t.ram.byteOffset).getUint32(0x200000, true)).toBe(0x1f80);
  });
  it("XGETBV/XSETBV/XSAVE: XCR0 rules and CR4.OSXSAVE", () => {
    const t = faultCpu("xor ecx, ecx\n xgetbv\n mov [0x200000], eax\n mov eax, 1\n xor edx, edx\n xsetbv\n xgetbv\n mov [0x200004], eax", () => {});
    expect(t.exitCode).toBe(0x55);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset);
    expect([dv.getUint32(0x200000, true), dv.getUint32(0x200004, true)]).toEqual([3, 1]);
    expect(faultCpu("xor ecx, ecx\n mov eax, 2\n xor edx, edx\n xsetbv", () => {}).exitCode).toBe(13); // SSE without x87
    expect(faultCpu("xor ecx, ecx\n mov eax, 7\n xor edx, edx\n xsetbv", () => {}).exitCode).toBe(13); // AVX unsupported
    expect(faultCpu("mov ecx, 1\n xgetbv", () => {}).exitCode).toBe(13);
    expect(faultCpu("xor ecx, ecx\n xgetbv", (t2) => cr4(t2, 1 << 18)).exitCode).toBe(6);
    expect(faultCpu("mov eax, 3\n xor edx, edx\n xsave [0x200000]", (t2) => cr4(t2, 1 << 18)).exitCode).toBe(6);
  });
});
