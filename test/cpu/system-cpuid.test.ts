/**
 * System ISA, the CPU model: CPUID leaves (SDM vol 2 CPUID) built from the one feature table,
 * RDMSR/WRMSR rules (#GP on unknown MSRs, reserved bits, non-canonical addresses), the TSC
 * offset written through IA32_TSC, CR4 reserved bits, FSGSBASE under CR4.FSGSBASE, RDRAND.
 */
import { describe, expect, it } from "vitest";
import { CpuModel, FEATURES, hasFeature } from "../../src/cpu/cpuid.js";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

const R = 0x5000; // results area (identity-mapped RAM)

const PROGRAM = `
  call load_idt
  mov edi, 6
  lea rsi, [rel ud_handler]
  call set_gate
  mov edi, 13
  lea rsi, [rel gp_handler]
  call set_gate

  xor eax, eax
  cpuid
  mov [${R}], eax
  mov [${R + 4}], ebx
  mov [${R + 8}], edx
  mov [${R + 12}], ecx
  mov eax, 1
  cpuid
  mov [${R + 16}], eax
  mov [${R + 20}], ecx
  mov [${R + 24}], edx
  mov eax, 0x80000001
  cpuid
  mov [${R + 28}], edx
  mov eax, 0x40000000
  cpuid
  mov [${R + 32}], ebx
  mov [${R + 36}], ecx
  mov [${R + 40}], edx
  mov eax, 0x40000010
  cpuid
  mov [${R + 44}], eax
  mov ecx, 0x277            ; PAT power-on value
  rdmsr
  mov [${R + 48}], eax
  mov [${R + 52}], edx
  mov ecx, 0x10a            ; IA32_ARCH_CAPABILITIES
  rdmsr
  mov [${R + 84}], eax
  mov [${R + 88}], edx
  mov ecx, 0x48             ; IA32_SPEC_CTRL.IBRS = 1, read back
  mov eax, 1
  xor edx, edx
  wrmsr
  xor eax, eax
  rdmsr
  mov [${R + 92}], eax

  mov r15, 2
  mov ecx, 0x12345          ; no such MSR: #GP(0)
  rdmsr
  mov ecx, 0xc0000082       ; LSTAR, non-canonical: #GP(0)
  xor eax, eax
  mov edx, 0x00008000
  wrmsr
  mov ecx, 0x10             ; IA32_TSC = 1000 (the test bus TSC is 0)
  mov eax, 1000
  xor edx, edx
  wrmsr
  rdtsc
  mov [${R + 56}], eax
  mov [${R + 60}], edx
  mov r15, 5
  wrfsbase rax              ; CR4.FSGSBASE = 0: #UD (f3 48 0f ae d0)
  mov r15, 3
  mov rax, cr4
  or eax, 0x2000            ; VMXE: not advertised, #GP(0)
  mov cr4, rax              ; 0f 22 e0
  mov rax, cr4
  or eax, 0x10000           ; FSGSBASE
  mov cr4, rax
  mov rax, 0x00007fff12345678
  wrfsbase rax
  mov ecx, 0xc0000100
  rdmsr
  mov [${R + 64}], eax
  mov [${R + 68}], edx
  mov r15, 5
  mov rax, 0x0000800000000000
  wrfsbase rax              ; non-canonical: #GP(0)
  rdfsbase rbx
  mov [${R + 72}], rbx
  rdrand eax
  setc byte [${R + 80}]
  mov al, 1
  out 0xf4, al

gp_handler:
  push rbx
  mov ebx, [${R + 0x1fc}]
  mov rax, [rsp + 8]
  shl eax, 8
  or eax, 13
  mov [${R + 0x200} + rbx * 4], eax
  inc dword [${R + 0x1fc}]
  pop rbx
  add rsp, 8
  add [rsp], r15
  iretq
ud_handler:
  push rbx
  mov ebx, [${R + 0x1fc}]
  mov dword [${R + 0x200} + rbx * 4], 6
  inc dword [${R + 0x1fc}]
  pop rbx
  add [rsp], r15
  iretq
` + IDT64;

describe("CPUID model", () => {
  it("builds leaf bits from the feature table", () => {
    const m = new CpuModel({ physBits: 39, tscKhz: 2_400_000, busKhz: 1_000_000 });
    const l1 = [...m.query(1, 0)];
    for (const [name, f] of Object.entries(FEATURES)) {
      const [leaf, reg, bit, on] = f;
      const r = [...m.query(leaf, f[4] ?? 0)];
      expect(((r[reg]! >>> bit) & 1) === 1, name).toBe(on);
    }
    expect(l1[0]).toBe(0x506e3);
    expect(m.query(0x80000008, 0)[0]).toBe(39 | (48 << 8));
    // Leaf 0x15: TSC = crystal * EBX / EAX, crystal = bus clock.
    const [den, num, crystalHz] = [...m.query(0x15, 0)];
    expect((crystalHz! / 1000) * num! / den!).toBe(2_400_000);
    expect(hasFeature("lm")).toBe(true);
    if (hasFeature("xsave")) {
      expect([...m.query(0xd, 0)]).toEqual([3, 576, 576, 0]); // x87 + SSE
      expect((m.query(1, 0, true)[2]! >>> 27) & 1).toBe(1); // OSXSAVE mirrors CR4
      expect((m.query(1, 0, false)[2]! >>> 27) & 1).toBe(0);
    }
    expect(() => new CpuModel({ physBits: 60 })).toThrow(/physBits/);
  });

  it("answers CPUID, RDMSR/WRMSR, TSC, CR4 and FSGSBASE rules in the guest", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(PROGRAM));
    t.enterLongMode();
    t.run(300_000);
    expect(t.exitCode).toBe(1);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset + R);
    const u32 = (o: number) => dv.getUint32(o, true);
    const str = (...o: number[]) => o.map((x) => String.fromCharCode(...new Uint8Array(t.ram.buffer, t.ram.byteOffset + R + x, 4))).join("");
    expect(u32(0)).toBeGreaterThanOrEqual(0x15);
    expect(str(4, 8, 12)).toBe("GenuineIntel");
    expect(u32(16)).toBe(0x506e3);
    expect((u32(24) >>> 25) & 3).toBe(3); // SSE, SSE2
    expect((u32(24) >>> 9) & 1).toBe(1); // APIC
    expect((u32(28) >>> 29) & 1).toBe(1); // LM
    expect((u32(28) >>> 20) & 1).toBe(1); // NX
    expect(str(32, 36, 40)).toBe("TSemuTSemuTS");
    expect(u32(44)).toBe(1_000_000); // default: the TSC counts nanoseconds
    expect([u32(48), u32(52)]).toEqual([0x00070406, 0x00070406]);
    expect([u32(56), u32(60)]).toEqual([1000, 0]);
    expect([u32(64), u32(68)]).toEqual([0x12345678, 0x7fff]);
    expect(u32(72)).toBe(0x12345678);
    expect(dv.getUint8(80)).toBe(1);
    expect(u32(84) & 0x33).toBe(0x33); // RDCL_NO, IBRS_ALL, SSB_NO, MDS_NO: no PTI, retpolines, VERW clearing
    expect(u32(92)).toBe(1);
    expect(u32(88) >>> 30).toBe(1); // ITS_NO
    // Faults in order: rdmsr #GP(0), wrmsr #GP(0), wrfsbase #UD, mov cr4 #GP(0), wrfsbase #GP(0)
    const n = u32(0x1fc);
    expect([...Array(n).keys()].map((i) => u32(0x200 + i * 4))).toEqual([13, 13, 6, 13, 13]);
  });
});
