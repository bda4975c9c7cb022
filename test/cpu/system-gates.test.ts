/**
 * System ISA, the remaining long-mode privilege paths (SDM vol 3 5.8.3.1, 5.8.7, 5.8.8,
 * 6.14.3): IRETQ to a CPL 3 compatibility-mode segment, INT from compatibility mode into a
 * 64-bit gate, SYSRET to 32-bit code, SYSENTER from compatibility mode, SYSEXIT to 64-bit
 * code, a far CALL through a 64-bit call gate to CPL 0 (stack from TSS.RSP0, SS:RSP CS:RIP
 * pushed as quadwords) and the far RETQ back to the outer level.
 */
import { describe, expect, it } from "vitest";
import { createTestCpu, TestLayout } from "../../src/cpu/testing/test-cpu.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

const PROGRAM = `
  lgdt [rel gdt_desc]
  lea rax, [rel .cs]
  push 0x08
  push rax
  o64 retf
.cs:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  call load_idt
  mov edi, 0x80
  lea rsi, [rel compat_int]
  call set_gate3
  mov edi, 0x81
  lea rsi, [rel final_int]
  call set_gate3
  ; TSS at 0x38
  lea rax, [rel tss]
  mov word [rel tss_d], 103
  mov [rel tss_d + 2], ax
  shr rax, 16
  mov [rel tss_d + 4], al
  mov byte [rel tss_d + 5], 0x89
  mov [rel tss_d + 7], ah
  shr rax, 16
  mov [rel tss_d + 8], eax
  mov ax, 0x38
  ltr ax
  ; 64-bit call gate at 0x48, DPL 3, to gate_target in CS 0x08
  lea rax, [rel gate_target]
  mov [rel gate_d], ax
  mov word [rel gate_d + 2], 0x08
  mov word [rel gate_d + 4], 0xec00
  shr rax, 16
  mov [rel gate_d + 6], ax
  shr rax, 16
  mov [rel gate_d + 8], eax
  ; STAR, SYSENTER MSRs, EFER.SCE
  mov ecx, 0xc0000081
  xor eax, eax
  mov edx, 0x00180008
  wrmsr
  mov ecx, 0x174
  mov eax, 0x08
  xor edx, edx
  wrmsr
  mov ecx, 0x175
  mov eax, 0x70000
  wrmsr
  mov ecx, 0x176
  lea rax, [rel sysenter_entry]
  mov rdx, rax
  shr rdx, 32
  wrmsr
  mov ecx, 0xc0000080
  rdmsr
  or eax, 1
  wrmsr
  ; IRETQ to CPL 3 compatibility mode
  push 0x23
  push 0x60000
  push 0x2
  push 0x1b
  push compat1
  iretq

compat_int:                 ; INT 0x80 from compatibility mode
  cmp qword [rsp + 8], 0x1b
  jne kbad
  cmp rsp, 0x70000 - 40
  jne kbad
  mov al, 'K'
  out 0xe9, al
  mov ecx, compat2
  mov r11d, 0x2
  sysret                    ; 32-bit SYSRET: CS = 0x1b, SS = 0x23
sysenter_entry:
  mov ax, cs
  cmp ax, 0x08
  jne kbad
  mov ax, ss
  cmp ax, 0x10
  jne kbad
  cmp rsp, 0x70000
  jne kbad
  mov al, 'E'
  out 0xe9, al
  lea rdx, [rel user64]
  mov rcx, 0x60000
  o64 sysexit               ; CS = 0x08 + 32 | 3, SS = 0x08 + 40 | 3
gate_target:
  mov ax, cs
  cmp ax, 0x08
  jne kbad
  cmp rsp, 0x70000 - 32
  jne kbad
  cmp qword [rsp + 8], 0x2b
  jne kbad
  cmp qword [rsp + 16], 0x60000
  jne kbad
  cmp qword [rsp + 24], 0x33
  jne kbad
  mov al, 'C'
  out 0xe9, al
  o64 retf                  ; back to CPL 3: pops RIP, CS, RSP, SS
final_int:
  mov al, 'F'
  out 0xe9, al
  mov al, 1
  out 0xf4, al
kbad:
  mov al, 0xbd
  out 0xf4, al

user64:
  mov ax, cs
  cmp ax, 0x2b
  jne ubad
  mov ax, ss
  cmp ax, 0x33
  jne ubad
  call far dword [rel gateptr]
  mov ax, cs
  cmp ax, 0x2b
  jne ubad
  cmp rsp, 0x60000
  jne ubad
  int 0x81
ubad:
  ud2

bits 32
compat1:
  mov eax, cs
  cmp eax, 0x1b
  jne cbad
  int 0x80
compat2:
  mov eax, cs
  cmp eax, 0x1b
  jne cbad
  sysenter
cbad:
  ud2
bits 64

set_gate3:                  ; a DPL 3 interrupt gate
  push rdx
  mov edx, 0xee00
  call set_gate_attr
  pop rdx
  ret

gateptr: dd 0
  dw 0x4b
align 8
gdt:
  dq 0
  dq 0x00af9a000000ffff     ; 0x08 kernel code 64
  dq 0x00cf92000000ffff     ; 0x10 kernel data
  dq 0x00cffa000000ffff     ; 0x18 user code 32
  dq 0x00cff2000000ffff     ; 0x20 user data
  dq 0x00affa000000ffff     ; 0x28 user code 64
  dq 0x00cff2000000ffff     ; 0x30 user data (SYSEXIT64 SS)
tss_d: dq 0, 0              ; 0x38
gate_d: dq 0, 0             ; 0x48
gdt_end:
gdt_desc:
  dw gdt_end - gdt - 1
  dq gdt
align 16
tss:
  dd 0
  dq 0x70000
  times 102 - 12 db 0
  dw 104
` + IDT64;

describe("long-mode gates and fast system calls", () => {
  it("IRETQ to compatibility mode, INT, SYSRET32, SYSENTER, SYSEXIT64, call gate and far RETQ", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(PROGRAM));
    t.enterLongMode();
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset);
    for (const a of [TestLayout.PML4, TestLayout.PDPT]) dv.setUint32(a, dv.getUint32(a, true) | 4, true);
    for (let i = 0; i < 512; i++) dv.setUint32(TestLayout.PD + i * 8, dv.getUint32(TestLayout.PD + i * 8, true) | 4, true);
    const stop = t.run(500_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(String.fromCharCode(...t.console)).toBe("KECF");
    expect(stop).toBe("stopped");
    expect(t.exitCode).toBe(1);
  });
});
