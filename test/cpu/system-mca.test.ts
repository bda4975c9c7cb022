/**
 * Machine-check architecture (SDM vol 3 ch. 16) as Linux's mcheck init uses it: CPUID.1:EDX
 * MCE and MCA, CR4.MCE, IA32_MCG_CAP (10 banks, MCG_CTL_P, MCG_SER_P), MCG_STATUS, MCG_CTL and
 * the MCi_CTL/STATUS/ADDR/MISC banks with their write rules (#GP for non-zero MCi_STATUS,
 * MCG_CTL other than all zeros/ones, MCG_CAP writes, banks past the count).
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";

const R = 0x5000;

const PROGRAM = `
  lea rax, [rel idt]
  mov [rel idt_desc + 2], rax
  lidt [rel idt_desc]
  lea rax, [rel gp_handler]
  mov [rel idt + 13 * 16], ax
  mov word [rel idt + 13 * 16 + 2], 0x08
  mov word [rel idt + 13 * 16 + 4], 0x8e00
  shr rax, 16
  mov [rel idt + 13 * 16 + 6], ax
  shr rax, 16
  mov [rel idt + 13 * 16 + 8], eax

  mov eax, 1
  cpuid
  mov [${R}], edx
  mov rax, cr4
  or eax, 0x40                ; CR4.MCE
  mov cr4, rax
  mov rax, cr4
  mov [${R + 4}], eax
  mov ecx, 0x179              ; MCG_CAP
  rdmsr
  mov [${R + 8}], eax
  mov [${R + 12}], edx
  mov ecx, 0x17b              ; MCG_CTL: all ones at reset, writable with all ones / zeros
  rdmsr
  mov [${R + 16}], eax
  mov eax, -1
  mov edx, -1
  wrmsr
  ; bank 9: CTL = all ones, STATUS = 0, ADDR and MISC read back
  mov ecx, 0x400 + 4 * 9
  wrmsr
  mov ecx, 0x401 + 4 * 9
  xor eax, eax
  xor edx, edx
  wrmsr
  rdmsr
  mov [${R + 20}], eax
  mov ecx, 0x402 + 4 * 9
  mov eax, 0x12345678
  mov edx, 0x9
  wrmsr
  xor eax, eax
  rdmsr
  mov [${R + 24}], eax
  mov [${R + 28}], edx
  mov ecx, 0x400 + 4 * 9
  rdmsr
  mov [${R + 32}], eax
  mov ecx, 0x17a              ; MCG_STATUS = 0
  xor eax, eax
  xor edx, edx
  wrmsr
  ; each of these is #GP(0) (logged by the handler, which skips the 2-byte instruction)
  mov ecx, 0x401              ; MC0_STATUS <- 1
  mov eax, 1
  wrmsr
  mov ecx, 0x17b              ; MCG_CTL <- 5
  mov eax, 5
  wrmsr
  mov ecx, 0x179              ; MCG_CAP is read-only
  wrmsr
  mov ecx, 0x428              ; bank 10 does not exist
  rdmsr
  mov ecx, 0x280              ; MC0_CTL2: no CMCI
  rdmsr
  mov al, 1
  out 0xf4, al

gp_handler:
  inc dword [${R + 0x40}]
  add rsp, 8
  add qword [rsp], 2
  iretq
idt_desc:
  dw 256 * 16 - 1
  dq 0
align 16
idt: times 256 * 16 db 0
`;

describe("machine-check architecture", () => {
  it("advertises MCE/MCA and implements MCG_CAP/STATUS/CTL and the bank MSRs with the SDM write rules", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(PROGRAM));
    t.enterLongMode();
    t.run(100_000);
    expect(t.exitCode).toBe(1);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset + R);
    const u32 = (o: number) => dv.getUint32(o, true);
    expect(u32(0) & ((1 << 7) | (1 << 14))).toBe((1 << 7) | (1 << 14));
    expect(u32(4) & 0x40).toBe(0x40);
    expect([u32(8), u32(12)]).toEqual([10 | (1 << 8) | (1 << 24), 0]);
    expect(u32(16)).toBe(0xffffffff);
    expect(u32(20)).toBe(0);
    expect([u32(24), u32(28)]).toEqual([0x12345678, 9]);
    expect(u32(32)).toBe(0xffffffff);
    expect(u32(0x40)).toBe(5);
  });
});
