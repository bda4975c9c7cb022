/**
 * Virtual-8086 mode without VME (SDM vol 3 ch. 20): IRETD from CPL 0 into VM86 (segments
 * loaded real-mode style), POPF that cannot change IOPL, I/O through the TSS I/O bitmap
 * whatever the IOPL, INT n at IOPL 3 to a ring-0 handler with the VM86 frame (GS FS DS ES SS
 * ESP EFLAGS CS EIP) and nulled data segments, and IRETD back; #GP(selector) when the gate
 * leads to a ring-3 segment; #TS(SS0) for a bad TSS.SS0, through a #TS task gate that sees
 * the INT instruction as the VM86 task's saved EIP; at IOPL 0, CLI, STI, PUSHF, POPF, IRET and
 * INT n are #GP(0) (a small monitor in the #GP handler skips them) while INT3 is not
 * IOPL-sensitive: it goes through a DPL 3 task gate to a ring-0 task, which sees the VM86
 * state saved in the old TSS and IRETs back into VM86 (a task switch out of and into
 * virtual-8086 mode by the EFLAGS image). The same programs run under QEMU TCG and print the
 * same markers.
 */
import { describe, expect, it } from "vitest";
import { Eflag } from "../../src/cpu/flags.js";
import { SegIndex } from "../../src/cpu/state-layout.js";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";
import { PM32_ENTRY, PM32_GATES, PM32_INIT_TSS, PM32_TABLES } from "../helpers/pm32-kernel.js";
import { HAS_QEMU_I386, runBareInQemu } from "../helpers/qemu-bare.js";

const KERNEL = `
TSS_A equ 0x20000
TSS_K equ 0x20200
TSS_T equ 0x20300
${PM32_ENTRY}
  ; TSS A: ring-0 stack and an I/O bitmap allowing ports 0xe9 and 0xf4 only
  mov dword [TSS_A + 4], 0x70000
  mov dword [TSS_A + 8], 0x10
  mov word [TSS_A + 0x66], 104
  mov edi, TSS_A + 104
  mov ecx, 33
  mov al, 0xff
  rep stosb
  and byte [TSS_A + 104 + (0xe9 >> 3)], ~(1 << (0xe9 & 7))
  and byte [TSS_A + 104 + (0xf4 >> 3)], ~(1 << (0xf4 & 7))
  mov ax, 0x18
  ltr ax
  mov edi, TSS_K                     ; task K (INT3's task gate)
  mov ebx, task_k
  mov ecx, 0x64000
  call init_tss
  mov edi, TSS_T                     ; task T (#TS's task gate)
  mov ebx, task_t
  mov ecx, 0x5c000
  call init_tss
  mov eax, 10
  mov ebx, 0x30
  mov ecx, 0x85
  call set_task_gate
  mov eax, 13
  mov ebx, gp_monitor
  call set_gate
  mov eax, 0x21
  mov ebx, int21
  call set_gate
  or byte [idt + 0x21 * 8 + 5], 0x60
  mov eax, 0x22
  mov ebx, 0
  call set_gate
  mov word [idt + 0x22 * 8 + 2], 0x23  ; a ring-3 code segment: #GP(0x20) from VM86
  or byte [idt + 0x22 * 8 + 5], 0x60
  mov eax, 3
  mov ebx, 0x28
  mov ecx, 0xe5
  call set_task_gate
  ; IRETD into VM86 at 0800:0000, IOPL 3
  push dword 0                       ; GS
  push dword 0                       ; FS
  push dword 0x900                   ; DS
  push dword 0                       ; ES
  push dword 0x700                   ; SS
  push dword 0xff0                   ; ESP
  push dword 0x23002                 ; EFLAGS: VM, IOPL 3
  push dword 0x800                   ; CS
  push dword 0                       ; EIP
  iretd

int21:                               ; ring 0, from VM86
  cmp esp, 0x70000 - 36
  jne kbad
  cmp dword [ss:esp + 4], 0x800      ; CS
  jne kbad
  test dword [ss:esp + 8], 0x20000   ; EFLAGS.VM
  jz kbad
  cmp dword [ss:esp + 12], 0xff0     ; ESP
  jne kbad
  cmp dword [ss:esp + 16], 0x700     ; SS
  jne kbad
  cmp dword [ss:esp + 20], 0         ; ES
  jne kbad
  cmp dword [ss:esp + 24], 0x900     ; DS
  jne kbad
  cmp dword [ss:esp + 28], 0         ; FS
  jne kbad
  cmp dword [ss:esp + 32], 0         ; GS
  jne kbad
  push eax                           ; (AH selects the service)
  mov ax, es                         ; data segments nulled
  test ax, ax
  jnz kbad
  mov ax, fs
  test ax, ax
  jnz kbad
  mov ax, ds
  test ax, ax
  jnz kbad
  mov ax, cs
  cmp ax, 0x08
  jne kbad
  pop eax
  mov cx, 0x10
  mov ds, cx
  cmp ah, 2
  jne .not2
  mov dword [TSS_A + 8], 0x08        ; a code segment as SS0: the next INT is #TS(0x08)
  iretd
.not2:
  cmp ah, 3
  jne .not3
  mov al, 'r'
  out 0xe9, al
  iretd
.not3:
  cmp ah, 1
  jne .first
  and dword [esp + 8], ~0x3000       ; back to VM86 at IOPL 0
  iretd
.first:
  cmp word [0x9000], 0x1234          ; VM86 wrote DS:0 with DS = 0x900
  jne kbad
  mov bx, 0x5a5a
  mov al, 'K'
  out 0xe9, al
  iretd

gp_monitor:                          ; #GP from VM86: skip IN imm8, INT n, CLI, STI, PUSHF, POPF, IRET
  push eax
  push ebx
  mov ax, 0x10
  mov ds, ax
  test dword [esp + 8 + 12], 0x20000
  jz kbad
  movzx ebx, word [esp + 8 + 8]
  shl ebx, 4
  add ebx, [esp + 8 + 4]
  mov al, [ebx]
  mov ah, 2
  mov bl, 'I'
  cmp al, 0xe4
  je .skip
  mov bl, 'N'
  cmp al, 0xcd
  je .skip
  mov ah, 1
  mov bl, 'L'
  cmp al, 0xfa
  je .skip
  mov bl, 'S'
  cmp al, 0xfb
  je .skip
  mov bl, 'P'
  cmp al, 0x9c
  je .skip
  mov bl, 'Q'
  cmp al, 0x9d
  je .skip
  mov bl, 'R'
  cmp al, 0xcf
  jne kbad
.skip:
  movzx eax, ah
  add [esp + 8 + 4], eax
  mov al, bl
  out 0xe9, al
  mov eax, [esp + 8]                 ; a non-zero error code is printed as a byte
  test eax, eax
  jz .done
  out 0xe9, al
.done:
  pop ebx
  pop eax
  add esp, 4
  iretd

task_k:                              ; INT3 from VM86 through the task gate
  str ax
  cmp ax, 0x28
  jne kbad
  cmp word [TSS_K], 0x18
  jne kbad
  test dword [TSS_A + 0x24], 0x20000 ; the VM86 task's saved EFLAGS.VM
  jz kbad
  cmp word [TSS_A + 0x4c], 0x800     ; saved CS and DS selectors
  jne kbad
  cmp word [TSS_A + 0x54], 0x900
  jne kbad
  mov al, 'k'
  out 0xe9, al
  iretd                              ; back into VM86 (NT = 1: task return)

task_t:                              ; #TS while delivering INT 0x21 from VM86
  cmp dword [esp], 0x08              ; the bad SS0 (INT n: EXT clear)
  jne kbad
  mov ebx, [TSS_A + 0x20]            ; the VM86 task's saved EIP is the INT instruction
  movzx eax, word [TSS_A + 0x4c]
  shl eax, 4
  cmp byte [eax + ebx], 0xcd
  jne kbad
  mov dword [TSS_A + 8], 0x10
  add esp, 4
  mov al, 't'
  out 0xe9, al
  iretd                              ; back to VM86, which runs the INT again

kbad:
  mov al, 0xbd
  out 0xf4, al
  hlt
${PM32_INIT_TSS}
${PM32_GATES}
%macro tssdesc 3
  dw %2
  dw (%1) & 0xffff
  db ((%1) >> 16) & 0xff
  db %3
  db 0
  db ((%1) >> 24) & 0xff
%endmacro
align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff              ; 0x08 code
  dq 0x00cf92000000ffff              ; 0x10 data
  tssdesc TSS_A, 104 + 32, 0x89      ; 0x18 TSS with the bitmap for ports 0..0xff
  dq 0x00cffa000000ffff              ; 0x20 ring-3 code
  tssdesc TSS_K, 103, 0x89           ; 0x28
  tssdesc TSS_T, 103, 0x89           ; 0x30
gdt_end:
${PM32_TABLES}
`;

const VM86 = `
  mov word [0], 0x1234               ; DS = 0x900: linear 0x9000
  mov ax, cs
  cmp ax, 0x800
  jne bad
  push word 0
  popf                               ; IOPL stays 3 (CPL 3)
  pushf
  pop ax
  and ax, 0x3000
  cmp ax, 0x3000
  jne bad
  mov al, 'v'
  out 0xe9, al                       ; the bitmap allows it
  mov ah, 0
  int 0x21                           ; IOPL 3: ring-0 handler ('K')
  cmp bx, 0x5a5a
  jne bad
  in al, 0x80                        ; the bitmap denies it: #GP(0) ('I')
  int 0x22                           ; gate to ring 3: #GP(0x20) ('N', ' ')
  mov ah, 2
  int 0x21                           ; the handler corrupts TSS.SS0
  mov ah, 3
  int 0x21                           ; #TS(0x08) through a task gate ('t'), then again ('r')
  mov ah, 1
  int 0x21                           ; the handler returns with IOPL 0
  cli                                ; #GP(0) ('L')
  sti                                ; #GP(0) ('S')
  pushf                              ; #GP(0) ('P')
  popf                               ; #GP(0) ('Q')
  iret                               ; #GP(0) ('R')
  int 0x21                           ; #GP(0) ('N')
  mov al, 'w'
  out 0xe9, al                       ; still allowed: IOPL does not gate I/O in VM86
  int3                               ; task gate to task K ('k') and back
  mov al, 'x'
  out 0xe9, al
  mov al, 1
  out 0xf4, al
  hlt
bad:
  mov al, 0xbe
  out 0xf4, al
  hlt
`;

describe("virtual-8086 mode", () => {
  it("enters by IRETD, takes INT n, #GP and INT3 (task gate) to ring 0 with the VM86 frame, and returns", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(KERNEL, 32));
    t.load(0x8000, nasm(VM86, 16, 0));
    t.enterProtectedMode();
    t.run(200_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(String.fromCharCode(...t.console)).toBe("vKIN trLSPQRNwkx");
    expect(t.exitCode).toBe(1);
    const s = t.cpu.state;
    expect(t.cpu.eflags & (Eflag.VM | Eflag.IOPL)).toBe(Eflag.VM); // IOPL 0
    expect(s.cpl).toBe(3);
    expect(s.seg(SegIndex.CS).base).toBe(0x8000);
    expect(s.seg(SegIndex.SS).base).toBe(0x7000);
    expect(s.seg(SegIndex.TR).selector).toBe(0x18);
  });
});

describe.skipIf(!HAS_QEMU_I386)("virtual-8086 mode against QEMU TCG", () => {
  it("prints the same markers and exits the same way", () => {
    const q = runBareInQemu(KERNEL, [{ addr: 0x8000, bytes: nasm(VM86, 16, 0) }]);
    expect(q).toEqual({ console: "vKIN trLSPQRNwkx", exitCode: 1 });
  });
});
