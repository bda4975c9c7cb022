/**
 * Hardware task switching (SDM vol 3 ch. 7) in 32-bit protected mode with paging: JMP to a
 * TSS and JMP back (busy bits, no back link, CR0.TS, saved EIP/registers); CALL through a GDT
 * task gate to a task with its own CR3, LDT and the T bit (#DB with DR6.BT before its first
 * instruction), IRET back along the back link (NT, busy bits, NT cleared in the saved image);
 * #DF through an IDT task gate with the error code on the new task's stack and an IRET that
 * resumes the old task; CALL to a 16-bit TSS (word fields, upper register halves kept) and
 * IRET back; #GP for a busy target and for a gate DPL below the selector's RPL;
 * #TS for a bad data segment in the new task, taken in that task's context. In IA-32e mode
 * JMP/CALL to a TSS or task gate and IRETQ with NT = 1 are #GP.
 */
import { describe, expect, it } from "vitest";
import { SegIndex } from "../../src/cpu/state-layout.js";
import { createTestCpu, TestLayout } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";
import { PM32_ENTRY, PM32_GATES, PM32_INIT_TSS, PM32_TABLES } from "../helpers/pm32-kernel.js";
import { HAS_QEMU_I386, runBareInQemu } from "../helpers/qemu-bare.js";

const TASKS = `
TSS_A equ 0x20000
TSS_B equ 0x20100
TSS_C equ 0x20200
TSS_D equ 0x20300
TSS_E equ 0x20400
TSS_F equ 0x20500                    ; 16-bit
PT0 equ 0x31000
PT_X1 equ 0x32000
PT_X2 equ 0x33000
PD_A equ 0x34000
PD_C equ 0x35000
LDT_C equ 0x36000
resume equ 0x38000
last_err equ 0x38004
db_count equ 0x38008
%ifdef QEMU_TCG                      ; QEMU TCG ignores the TSS T bit
T_BIT equ 0
%else
T_BIT equ 1
%endif

%macro tssdesc 2               ; base, access byte (limit 103)
  dw 103
  dw (%1) & 0xffff
  db ((%1) >> 16) & 0xff
  db %2
  db 0
  db ((%1) >> 24) & 0xff
%endmacro

${PM32_ENTRY}
  ; paging: PD_A and PD_C map 0..4 MiB identically and 0x400000 to 0x50000 / 0x51000
  mov edi, PT0
  mov eax, 3
.fill:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  cmp edi, PT0 + 4096
  jne .fill
  mov dword [PT_X1], 0x50003
  mov dword [PT_X2], 0x51003
  mov dword [PD_A], PT0 + 3
  mov dword [PD_A + 4], PT_X1 + 3
  mov dword [PD_C], PT0 + 3
  mov dword [PD_C + 4], PT_X2 + 3
  mov dword [0x50000], 'AAAA'
  mov dword [0x51000], 'CCCC'
  mov eax, PD_A
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  ; task C's LDT: selector 0x0c = data at 0x3000
  mov dword [LDT_C + 8], 0x3000ffff
  mov dword [LDT_C + 12], 0x00409200
  mov dword [0x3000], 0x600d
  mov dword [TSS_A + 0x1c], PD_A
  mov ax, 0x18
  ltr ax
  mov eax, 13
  mov ebx, gp_handler
  call set_gate
  mov eax, 10
  mov ebx, ts_handler
  call set_gate
  mov eax, 1
  mov ebx, db_handler
  call set_gate
  mov eax, 8
  mov ebx, 0x38
  mov ecx, 0x85
  call set_task_gate
  mov edi, TSS_B
  mov ebx, task_b
  mov ecx, 0x6c000
  call init_tss
  mov edi, TSS_C
  mov ebx, task_c
  mov ecx, 0x68000
  call init_tss
  mov dword [TSS_C + 0x1c], PD_C
  mov word [TSS_C + 0x58], 0x0c      ; FS from the LDT
  mov word [TSS_C + 0x60], 0x48      ; LDT selector
  mov word [TSS_C + 0x64], T_BIT     ; T bit
  mov edi, TSS_D
  mov ebx, task_d
  mov ecx, 0x64000
  call init_tss
  mov edi, TSS_E
  mov ebx, task_e
  mov ecx, 0x60000
  call init_tss
  mov word [TSS_E + 0x54], 0x50      ; DS = execute-only code: #TS(0x50)
  mov word [TSS_F + 0x0e], task_f - 0x100000 ; IP in CS 0x60 (base 0x100000)
  mov word [TSS_F + 0x10], 2         ; FLAGS
  mov word [TSS_F + 0x1a], 0xfff0    ; SP (16-bit SS 0x68)
  mov word [TSS_F + 0x1e], 0x5678    ; SI
  mov word [TSS_F + 0x22], 0x10      ; ES CS SS DS
  mov word [TSS_F + 0x24], 0x60
  mov word [TSS_F + 0x26], 0x68
  mov word [TSS_F + 0x28], 0x10

  ; ---- JMP to TSS B and back
  mov eax, 0x3000                    ; a local execute breakpoint on data: cleared by the switch
  mov dr0, eax
  mov eax, 0x401
  mov dr7, eax
  mov ebp, 0x1234
  jmp 0x20:0
back_from_b:
  cmp ebp, 0x1234
  jne bad
  str ax
  cmp ax, 0x18
  jne bad
  cmp byte [gdt + 0x20 + 5], 0x89    ; B available again (JMP)
  jne bad
  cmp byte [gdt + 0x18 + 5], 0x8b
  jne bad
  cmp dword [TSS_B + 0x20], b_resume ; B's saved EIP: after its JMP
  jne bad
  cmp dword [TSS_B + 0x3c], 0x9999   ; B's saved EBP
  jne bad
  mov al, 'a'
  out 0xe9, al

  ; ---- CALL through task gate 0x30 to task C (CR3, LDT, T bit) and IRET back
  call 0x30:0
  cmp dword [db_count], T_BIT
  jne bad
  mov eax, cr3
  cmp eax, PD_A
  jne bad
  cmp dword [0x400000], 'AAAA'
  jne bad
  cmp byte [gdt + 0x28 + 5], 0x89    ; C available again (IRET)
  jne bad
  cmp byte [gdt + 0x18 + 5], 0x8b
  jne bad
  test dword [TSS_C + 0x24], 0x4000  ; C's saved EFLAGS: NT cleared by the IRET
  jnz bad
  pushfd
  test dword [esp], 0x4000
  jnz bad
  popfd
  sldt ax
  test ax, ax
  jnz bad
  mov al, 'c'
  out 0xe9, al

  ; ---- #GP -> gate not present -> #NP -> #DF through the task gate to task D
  mov byte [idt + 13 * 8 + 5], 0x0e
  mov ax, 0xf8                       ; beyond the GDT limit
df_insn:
  mov ds, ax
  jmp bad
df_resume:
  cmp byte [gdt + 0x38 + 5], 0x89
  jne bad
  mov byte [idt + 13 * 8 + 5], 0x8e
  mov al, 'd'
  out 0xe9, al

  ; ---- #GP: busy target, task gate DPL < RPL
  mov dword [resume], gp1_done
  jmp 0x18:0
  jmp bad
gp1_done:
  cmp dword [last_err], 0x18
  jne bad
  mov dword [resume], gp2_done
  call 0x33:0
  jmp bad
gp2_done:
  cmp dword [last_err], 0x30
  jne bad
  mov al, 'g'
  out 0xe9, al

  ; ---- CALL to a 16-bit TSS and IRET back
  mov esi, 0x11112222
  call 0x58:0
  cmp esi, 0x11112222
  jne bad
  cmp word [TSS_F + 0x0e], f_resume - 0x100000 ; F's saved IP: after its IRET
  jne bad
  cmp word [TSS_F + 0x1e], 0x9abc    ; F's saved SI
  jne bad
  cmp byte [gdt + 0x58 + 5], 0x81    ; available again
  jne bad
  mov al, 'f'
  out 0xe9, al

  ; ---- #TS(0x50) in task E's context; its handler JMPs back to A
  jmp 0x40:0
  cmp dword [last_err], 0x50
  jne bad
  cmp byte [gdt + 0x40 + 5], 0x89
  jne bad
  mov al, 't'
  out 0xe9, al
  mov al, 1
  out 0xf4, al
  hlt

task_b:
  str ax
  cmp ax, 0x20
  jne bad
  pushfd
  test dword [esp], 0x4000           ; JMP does not nest
  jnz bad
  popfd
  cmp word [TSS_B], 0                ; no back link
  jne bad
  cmp byte [gdt + 0x18 + 5], 0x89    ; A available
  jne bad
  cmp byte [gdt + 0x20 + 5], 0x8b
  jne bad
  mov eax, dr7
  test eax, 0x55                     ; L0-L3 cleared
  jnz bad
  smsw ax
  test al, 8                         ; CR0.TS
  jz bad
  clts
  cmp dword [TSS_A + 0x20], back_from_b
  jne bad
  cmp dword [TSS_A + 0x3c], 0x1234   ; A's saved EBP
  jne bad
  mov ebp, 0x9999
  mov al, 'B'
  out 0xe9, al
  jmp 0x18:0
b_resume:
  jmp bad

task_c:
  cmp dword [db_count], T_BIT        ; the T bit's #DB came first
  jne bad
  str ax
  cmp ax, 0x28
  jne bad
  pushfd
  test dword [esp], 0x4000           ; CALL nests: NT = 1
  jz bad
  popfd
  cmp word [TSS_C], 0x18             ; back link
  jne bad
  cmp byte [gdt + 0x18 + 5], 0x8b    ; A stays busy
  jne bad
  mov eax, cr3
  cmp eax, PD_C
  jne bad
  cmp dword [0x400000], 'CCCC'
  jne bad
  sldt ax
  cmp ax, 0x48
  jne bad
  cmp dword [fs:0], 0x600d
  jne bad
  mov al, 'C'
  out 0xe9, al
  iretd
  jmp bad

task_d:
  cmp esp, 0x64000 - 4
  jne bad
  cmp dword [esp], 0                 ; #DF error code on the new task's stack
  jne bad
  str ax
  cmp ax, 0x38
  jne bad
  cmp word [TSS_D], 0x18
  jne bad
  pushfd
  test dword [esp], 0x4000
  jz bad
  popfd
  cmp dword [TSS_A + 0x20], df_insn  ; A's saved EIP: the faulting instruction
  jne bad
  mov dword [TSS_A + 0x20], df_resume
  add esp, 4
  mov al, 'D'
  out 0xe9, al
  iretd
  jmp bad

task_e:
  jmp bad

task_f:                              ; 16-bit TSS, CS 0x60 based at 0x100000
  str ax
  cmp ax, 0x58
  jne bad
  cmp word [TSS_F], 0x18             ; back link
  jne bad
  cmp byte [gdt + 0x58 + 5], 0x83    ; busy 16-bit TSS
  jne bad
  cmp si, 0x5678
  jne bad
  mov ax, ss
  cmp ax, 0x68
  jne bad
  pushfd                             ; (ESP's upper half is not the 16-bit stack's)
  pop eax
  test eax, 0x4000                   ; NT
  jz bad
  mov si, 0x9abc
  mov al, 'F'
  out 0xe9, al
  iretd
f_resume:
  jmp bad

db_handler:
  push eax
  mov eax, dr6
  test eax, 0x8000                   ; DR6.BT
  jz bad
  xor eax, eax
  mov dr6, eax
  cmp dword [esp + 4], task_c
  jne bad
  inc dword [db_count]
  pop eax
  iretd

gp_handler:
  pop dword [last_err]
  push eax
  mov eax, [resume]
  mov [esp + 4], eax
  pop eax
  iretd

ts_handler:
  mov ax, 0x10
  mov ds, ax
  pop dword [last_err]
  str ax
  cmp ax, 0x40
  jne bad
%ifndef QEMU_TCG                     ; QEMU pushes the EIP of the JMP that switched
  cmp dword [esp], task_e            ; taken in the new task's context (SDM: Interrupt 10)
  jne bad
%endif
  mov al, 'T'
  out 0xe9, al
  jmp 0x18:0

bad:
  mov al, 0xbd
  out 0xf4, al
  hlt

${PM32_INIT_TSS}
${PM32_GATES}
align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff              ; 0x08 code
  dq 0x00cf92000000ffff              ; 0x10 data
  tssdesc TSS_A, 0x89                ; 0x18
  tssdesc TSS_B, 0x89                ; 0x20
  tssdesc TSS_C, 0x89                ; 0x28
  dw 0, 0x28, 0x8500, 0              ; 0x30 task gate -> 0x28, DPL 0
  tssdesc TSS_D, 0x89                ; 0x38
  tssdesc TSS_E, 0x89                ; 0x40
  dw 15, LDT_C & 0xffff              ; 0x48 task C's LDT
  db (LDT_C >> 16) & 0xff, 0x82, 0, 0
  dq 0x00cf98000000ffff              ; 0x50 execute-only code
  dw 0x2b, TSS_F & 0xffff            ; 0x58 16-bit TSS
  db (TSS_F >> 16) & 0xff, 0x81, 0, 0
  dq 0x00409a100000ffff              ; 0x60 32-bit code, base 0x100000, limit 0xffff
  dq 0x000092040000ffff              ; 0x68 16-bit data/stack, base 0x40000
gdt_end:
${PM32_TABLES}
`;

describe("task switches (32-bit)", () => {
  it("switches by JMP, CALL through a task gate, IRET, #DF through a task gate; #GP and #TS cases", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(TASKS, 32));
    t.enterProtectedMode();
    t.run(500_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(String.fromCharCode(...t.console)).toBe("BaCcDdgFfTt");
    expect(t.exitCode).toBe(1);
    const s = t.cpu.state;
    expect(s.seg(SegIndex.TR).selector).toBe(0x18);
    expect(s.cr3).toBe(0x34000);
    expect(s.cr0 & 8).toBe(8); // CR0.TS from the last switch
  });
});

const LONG = `
  lgdt [rel gdt_desc]
  lea rax, [rel idt]
  mov [rel idt_desc + 2], rax
  lidt [rel idt_desc]
  lea rax, [rel gp64]                ; vector 13: 64-bit interrupt gate
  mov [rel idt + 13 * 16], ax
  mov word [rel idt + 13 * 16 + 2], 0x08
  mov word [rel idt + 13 * 16 + 4], 0x8e00
  shr rax, 16
  mov [rel idt + 13 * 16 + 6], ax
  shr rax, 16
  mov [rel idt + 13 * 16 + 8], eax
  lea rax, [rel r1]
  mov [rel resume], rax
  jmp far [rel to_tss]               ; TSS descriptor: #GP(0x18)
  jmp bad
r1:
  cmp qword [rel last_err], 0x18
  jne bad
  lea rax, [rel r2]
  mov [rel resume], rax
  call far [rel to_gate]             ; task gate: #GP(0x28)
  jmp bad
r2:
  cmp qword [rel last_err], 0x28
  jne bad
  lea rax, [rel r3]
  mov [rel resume], rax
  mov qword [rel last_err], -1
  pushfq
  or qword [rsp], 0x4000             ; NT = 1
  popfq
  mov rax, rsp
  push 0x10
  push rax
  pushfq
  push 0x08
  lea rax, [rel bad]
  push rax
  iretq                              ; #GP(0), no task return in IA-32e mode
r3:
  cmp qword [rel last_err], 0
  jne bad
  mov al, 1
  out 0xf4, al
  hlt
gp64:
  pop qword [rel last_err]
  mov rax, [rel resume]
  mov [rsp], rax
  and qword [rsp + 16], ~0x4000
  iretq
bad:
  mov al, 0xbd
  out 0xf4, al
  hlt
align 8
resume: dq 0
last_err: dq 0
to_tss: dq 0                         ; m16:64 (nasm emits REX.W)
  dw 0x18
to_gate: dq 0
  dw 0x28
gdt:
  dq 0
  dq 0x00af9a000000ffff              ; 0x08 64-bit code
  dq 0x00cf92000000ffff              ; 0x10 data
  dq 0x0000890000000067, 0           ; 0x18 64-bit TSS (available)
  dq 0x0000850000000000 | (0x18 << 16), 0 ; 0x28 task gate
gdt_end:
gdt_desc:
  dw gdt_end - gdt - 1
  dq gdt
idt_desc:
  dw 256 * 16 - 1
  dq 0
align 16
idt: times 256 * 16 db 0
`;

describe.skipIf(!HAS_QEMU_I386)("task switches against QEMU TCG", () => {
  it("prints the same markers and exits the same way (without the T bit and the #TS EIP check)", () => {
    const program = `%define QEMU_TCG\n${TASKS}`;
    const t = createTestCpu();
    t.load(0x100000, nasm(program, 32));
    t.enterProtectedMode();
    t.run(500_000);
    const q = runBareInQemu(program);
    expect(q).toEqual({ console: "BaCcDdgFfTt", exitCode: 1 });
    expect({ console: String.fromCharCode(...t.console), exitCode: t.exitCode }).toEqual(q);
  });
});

describe("task switches in IA-32e mode", () => {
  it("raises #GP for JMP to a TSS, CALL through a task gate and IRETQ with NT = 1", () => {
    const t = createTestCpu();
    t.load(TestLayout.CODE, nasm(LONG, 64));
    t.enterLongMode();
    t.run(100_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(t.exitCode).toBe(1);
  });
});
