/**
 * System ISA, privilege changes in long mode (SDM vol 3 5.8.8, 6.14, 7.7): the kernel loads
 * its own GDT and a 64-bit TSS (LTR marks it busy), drops to CPL 3 with IRETQ, and the user
 * program comes back through SYSCALL/SYSRETQ, through #GP(0) from OUT at IOPL 0 and from
 * RDTSC with CR4.TSD (handled on the TSS.RSP0 stack and returned from with IRETQ to CPL 3),
 * and through INT 0x80 on a DPL 3 gate, whose frame must show the user SS:RSP and CS. A SYSRETQ
 * that loads TF from R11 traps (#DB) right after it, at the user instruction (SDM SYSRET;
 * Linux avoids SYSRET with TF for this reason).
 */
import { describe, expect, it } from "vitest";
import { createTestCpu, TestLayout } from "../../src/cpu/testing/test-cpu.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

const KERNEL = `
  lgdt [rel gdt_desc]
  lea rax, [rel .cs_reloaded]
  push 0x08
  push rax
  o64 retf
.cs_reloaded:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  ; IDT
  call load_idt
  mov edi, 13
  lea rsi, [rel gp_handler]
  mov edx, 0x8e00
  call set_gate_attr
  mov edi, 1
  lea rsi, [rel db_handler]
  mov edx, 0x8e00
  call set_gate_attr
  mov edi, 0x80
  lea rsi, [rel int80_handler]
  mov edx, 0xee00                ; DPL 3 interrupt gate
  call set_gate_attr
  ; 64-bit TSS descriptor at 0x30
  lea rax, [rel tss]
  mov word [rel tss_desc], 103
  mov [rel tss_desc + 2], ax
  shr rax, 16
  mov [rel tss_desc + 4], al
  mov byte [rel tss_desc + 5], 0x89
  mov byte [rel tss_desc + 6], 0
  mov [rel tss_desc + 7], ah
  shr rax, 16
  mov [rel tss_desc + 8], eax
  mov ax, 0x30
  ltr ax
  cmp byte [rel tss_desc + 5], 0x8b   ; busy bit set by LTR
  jne kbad
  str ax
  cmp ax, 0x30
  jne kbad
  ; SYSCALL: STAR (user base 0x18, kernel 0x08), LSTAR, SFMASK = IF, EFER.SCE
  mov ecx, 0xc0000081
  xor eax, eax
  mov edx, 0x00180008
  wrmsr
  mov ecx, 0xc0000082
  lea rax, [rel syscall_entry]
  mov rdx, rax
  shr rdx, 32
  wrmsr
  mov ecx, 0xc0000084
  mov eax, 0x200
  xor edx, edx
  wrmsr
  mov ecx, 0xc0000080
  rdmsr
  or eax, 1
  wrmsr
  mov rax, cr4
  or eax, 4                 ; CR4.TSD: RDTSC is privileged
  mov cr4, rax
  ; drop to CPL 3
  push 0x23
  push 0x60000
  push 0x202
  push 0x2b
  lea rax, [rel user]
  push rax
  iretq

user:
  mov ax, cs
  cmp ax, 0x2b
  jne ubad
  mov ax, ss
  cmp ax, 0x23
  jne ubad
  mov edi, 'u'
  mov eax, 1
  syscall
  cmp eax, 42
  jne ubad
  cmp rsp, 0x60000          ; SYSCALL/SYSRET leave RSP alone
  jne ubad
  out 0xe9, al              ; #GP(0) at CPL 3; the handler skips these 2 bytes
  rdtsc                     ; #GP(0) with CR4.TSD at CPL 3 (2 bytes)
  mov edi, 'v'
  mov eax, 1
  syscall
  mov edi, 'w'              ; the entry returns with TF set in R11
  mov eax, 1
  syscall
w_back:                     ; #DB here, before this instruction runs
  cmp eax, 42
  jne ubad
  int 0x80
ubad:
  mov edi, '!'
  mov eax, 1
  syscall
  hlt                       ; #GP at CPL 3 -> 'g' and on

syscall_entry:
  mov ax, cs
  cmp ax, 0x08
  jne kbad
  mov ax, ss
  cmp ax, 0x10
  jne kbad
  test r11d, 0x200          ; R11 = user RFLAGS (IF = 1)
  jz kbad
  pushfq
  pop rax
  test eax, 0x200           ; SFMASK cleared IF
  jnz kbad
  mov eax, edi
  out 0xe9, al
  cmp edi, 'w'
  jne .ret
  or r11, 0x100             ; TF
.ret:
  mov eax, 42
  o64 sysret

db_handler:                 ; single-step after SYSRET: at w_back, from CPL 3, DR6.BS
  push rax
  lea rax, [rel w_back]
  cmp [rsp + 8], rax
  jne kbad
  cmp qword [rsp + 16], 0x2b
  jne kbad
  mov rax, dr6
  test eax, 0x4000
  jz kbad
  mov al, 'D'
  out 0xe9, al
  pop rax
  and qword [rsp + 16], ~0x100
  iretq

gp_handler:
  cmp rsp, 0x70000 - 48     ; error code + 5 qwords on the RSP0 stack
  jne kbad
  cmp qword [rsp], 0
  jne kbad
  cmp qword [rsp + 16], 0x2b
  jne kbad
  mov al, 'g'
  out 0xe9, al
  add qword [rsp + 8], 2
  add rsp, 8
  iretq

int80_handler:
  cmp rsp, 0x70000 - 40
  jne kbad
  cmp qword [rsp + 8], 0x2b
  jne kbad
  cmp qword [rsp + 24], 0x60000
  jne kbad
  cmp qword [rsp + 32], 0x23
  jne kbad
  mov ax, cs
  cmp ax, 0x08
  jne kbad
  mov al, 'T'
  out 0xe9, al
  mov al, 1
  out 0xf4, al
kbad:
  mov al, 0xbd
  out 0xf4, al


align 8
gdt:
  dq 0
  dq 0x00af9a000000ffff     ; 0x08 kernel code 64
  dq 0x00cf92000000ffff     ; 0x10 kernel data
  dq 0x00cffa000000ffff     ; 0x18 user code 32
  dq 0x00cff2000000ffff     ; 0x20 user data
  dq 0x00affa000000ffff     ; 0x28 user code 64
tss_desc:
  dq 0, 0                   ; 0x30 TSS (16 bytes)
gdt_end:
gdt_desc:
  dw gdt_end - gdt - 1
  dq gdt
align 16
tss:
  dd 0
  dq 0x70000                ; RSP0
  times 102 - 12 db 0
  dw 104                    ; I/O map base beyond the limit: no bitmap
` + IDT64;

describe("CPL 3 and back", () => {
  it("IRETQ to CPL 3, SYSCALL/SYSRETQ, #GP from user OUT, INT 0x80 with the TSS.RSP0 stack switch", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(KERNEL));
    t.enterLongMode();
    // Make the identity map user-accessible (U/S in every level).
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset);
    for (const a of [TestLayout.PML4, TestLayout.PDPT]) dv.setUint32(a, dv.getUint32(a, true) | 4, true);
    for (let i = 0; i < 512; i++) dv.setUint32(TestLayout.PD + i * 8, dv.getUint32(TestLayout.PD + i * 8, true) | 4, true);
    t.run(500_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(String.fromCharCode(...t.console)).toBe("uggvwDT");
    expect(t.exitCode).toBe(1);
    expect(t.cpu.state.cpl).toBe(0);
  });
});
