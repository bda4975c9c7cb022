/**
 * System ISA in 32-bit protected mode and real mode (SDM vol 3 ch. 3, 5, 6): segment loads
 * with descriptor checks (#NP, #GP with the selector as error code), a non-zero segment base,
 * LDS, POP Sreg, LAR/LSL/VERR/VERW, SGDT, LLDT/SLDT and an LDT selector, ARPL, far
 * CALL/RETF, a CPL 3 -> 0 call gate with a parameter and RETF 4, INT/IRETD through 32-bit gates,
 * IRETD to CPL 3 and an interrupt back through the 32-bit TSS ESP0/SS0; real-mode INT/IRET.
 */
import { describe, expect, it } from "vitest";
import { SegAttr } from "../../src/cpu/cpu-state.js";
import { SegIndex } from "../../src/cpu/state-layout.js";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";
import { PM32_ENTRY, PM32_GATES, PM32_TABLES } from "../helpers/pm32-kernel.js";

const PM = `${PM32_ENTRY}
  mov eax, 11
  mov ebx, np_handler
  call set_gate
  mov eax, 13
  mov ebx, gp_handler
  call set_gate
  mov eax, 0x30
  mov ebx, int30_handler
  call set_gate
  mov eax, 0x31
  mov ebx, int31_handler
  call set_gate
  or byte [idt + 0x31 * 8 + 5], 0x60   ; DPL 3

  ; LAR / LSL / VERR / VERW
  mov ax, 0x08
  lar ebx, ax
  jnz bad
  cmp ebx, 0x00c09b00         ; accessed: the far jump loaded it
  jne bad
  mov ax, 0x18
  lsl ecx, ax
  jnz bad
  cmp ecx, 0xffff
  jne bad
  mov ax, 0x38
  verr ax
  jnz bad
  verw ax
  jz bad
  mov ax, 0x100              ; beyond the GDT limit
  lar ebx, ax
  jz bad
  mov al, 'a'
  out 0xe9, al

  ; segment with base 0x1000, and LDS
  mov dword [0x1010], 0xcafe
  mov ax, 0x18
  mov es, ax
  cmp dword [es:0x10], 0xcafe
  jne bad
  lds esi, [farptr]
  cmp dword [esi], 0xcafe
  jne bad
  push 0x10
  pop ds
  mov al, 'b'
  out 0xe9, al

  ; #NP(0x30) and #GP(0x38) from segment loads; the handlers print the error code
  mov ax, 0x30
  mov ds, ax                 ; 8e d8: 2 bytes
  mov ax, 0x38
  mov ss, ax                 ; 8e d0
  mov al, 'c'
  out 0xe9, al

  ; far call / retf, INT / IRETD
  mov edx, esp
  call 0x08:farfunc
  cmp esp, edx
  jne bad
  int 0x30
  sgdt [sgdt_buf]
  cmp word [sgdt_buf], gdt_end - gdt - 1
  jne bad
  cmp dword [sgdt_buf + 2], gdt
  jne bad
  mov al, 'e'
  out 0xe9, al

  ; LDT: descriptor 0x40 -> two entries; FS through LDT selector 0x0c (base 0x2000); ARPL
  mov eax, ldt
  mov word [ldt_d], 15
  mov [ldt_d + 2], ax
  shr eax, 16
  mov [ldt_d + 4], al
  mov byte [ldt_d + 5], 0x82
  mov byte [ldt_d + 6], 0
  mov [ldt_d + 7], ah
  mov ax, 0x40
  lldt ax
  sldt bx
  cmp bx, 0x40
  jne bad
  mov dword [0x2008], 0x77
  mov ax, 0x0c
  mov fs, ax
  cmp dword [fs:8], 0x77
  jne bad
  mov ax, 0x10
  mov bx, 0x23
  arpl ax, bx
  jnz bad                    ; RPL raised: ZF = 1
  cmp ax, 0x13
  jne bad
  arpl ax, bx
  jz bad                     ; already equal: ZF = 0
  mov al, 'f'
  out 0xe9, al

  ; 32-bit TSS and a trip to CPL 3
  mov ax, 0x48
  ltr ax
  ; 32-bit call gate 0x50: DPL 3, one parameter, to gate32_target in CS 0x08
  mov eax, gate32_target
  mov [gate_d], ax
  mov word [gate_d + 2], 0x08
  mov byte [gate_d + 4], 1
  mov byte [gate_d + 5], 0xec
  shr eax, 16
  mov [gate_d + 6], ax
  push 0x2b                  ; SS (RPL 3)
  push 0x60000               ; ESP
  push 0x2                   ; EFLAGS
  push 0x23                  ; CS (RPL 3)
  push user
  iretd
user:
  mov ax, cs
  and eax, 3
  cmp eax, 3
  jne bad
  push 0x1234                ; parameter copied to the CPL 0 stack
  call 0x53:0                ; through the gate (offset ignored)
  cmp esp, 0x60000           ; RETF 4 dropped the parameter
  jne bad
  mov ax, cs
  cmp ax, 0x23
  jne bad
  int 0x31

gate32_target:
  cmp esp, 0x70000 - 20      ; EIP CS param ESP SS on the TSS.ESP0 stack
  jne bad
  cmp dword [esp + 4], 0x23
  jne bad
  cmp dword [esp + 8], 0x1234
  jne bad
  cmp dword [esp + 12], 0x60000 - 4
  jne bad
  cmp dword [esp + 16], 0x2b
  jne bad
  mov ax, cs
  cmp ax, 0x08
  jne bad
  mov al, 'C'
  out 0xe9, al
  retf 4

farfunc:
  mov al, 'd'
  out 0xe9, al
  retf

int30_handler:
  pushfd
  test dword [esp], 0x200
  jnz bad
  add esp, 4
  iretd

int31_handler:
  cmp esp, 0x70000 - 20      ; EIP CS EFLAGS ESP SS on the ESP0 stack
  jne bad
  cmp dword [esp + 16], 0x2b
  jne bad
  cmp dword [esp + 12], 0x60000
  jne bad
  mov al, 'U'
  out 0xe9, al
  mov al, 1
  out 0xf4, al

np_handler:
  mov al, 'N'
  jmp seg_fault
gp_handler:
  mov al, 'G'
seg_fault:
  out 0xe9, al
  mov eax, [esp]
  add al, 0x30 - 0x30        ; error codes 0x30 / 0x38 printed as '0' / '8'
  and al, 0x0f
  add al, '0'
  out 0xe9, al
  add esp, 4
  add dword [esp], 2
  iretd

bad:
  mov al, 0xbd
  out 0xf4, al

${PM32_GATES}

farptr: dd 0x10
  dw 0x18
sgdt_buf: times 6 db 0
align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff      ; 0x08 code32
  dq 0x00cf92000000ffff      ; 0x10 data
  dq 0x004092001000ffff      ; 0x18 data, base 0x1000, limit 0xffff
  dq 0x00cffa000000ffff      ; 0x20 user code32
  dq 0x00cff2000000ffff      ; 0x28 user data
  dq 0x00cf12000000ffff      ; 0x30 data, not present
  dq 0x00cf90000000ffff      ; 0x38 read-only data
ldt_d: dq 0                 ; 0x40 LDT (filled at run time)
tss_d:
  dw 103
  dw tss
  db 0x10, 0x89, 0, 0        ; base 23:16 = 0x10 (tss is above 1 MiB), 32-bit TSS available
gate_d: dq 0                 ; 0x50 call gate (filled at run time)
gdt_end:
${PM32_TABLES}
align 8
ldt:
  dq 0
  dq 0x004092002000ffff      ; LDT 0x0c: data, base 0x2000
align 16
tss:
  dd 0
  dd 0x70000                 ; ESP0
  dd 0x10                    ; SS0
  times 102 - 12 db 0
  dw 104
`;

describe("32-bit protected mode", () => {
  it("checks segment loads, probes descriptors, far calls, interrupts and a CPL 3 round trip", () => {
    const t = createTestCpu();
    const code = nasm(PM, 32);
    t.load(0x100000, code);
    t.enterProtectedMode();
    t.run(300_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(String.fromCharCode(...t.console)).toBe("abN0G8cdefCU");
    expect(t.exitCode).toBe(1);
    expect(t.cpu.state.seg(SegIndex.TR).attr & 0xf).toBe(0xb); // busy
  });
});

describe("real mode", () => {
  it("delivers INT through the IVT and returns with IRET; MOV/POP Sreg set base = selector << 4", () => {
    const t = createTestCpu();
    t.load(0x8000, nasm(`
      xor ax, ax
      mov ds, ax
      mov ss, ax
      mov sp, 0x7000
      mov word [0x80 * 4], handler
      mov word [0x80 * 4 + 2], 0
      sti
      int 0x80
      pushf
      pop ax
      test ax, 0x200          ; IF restored by IRET
      jz bad
      mov ax, 0x100
      push ax
      pop es                  ; ES base 0x1000
      mov word [0x1004], 0x55aa
      cmp word [es:4], 0x55aa
      jne bad
      mov al, 1
      out 0xf4, al
    bad:
      mov al, 2
      out 0xf4, al
    handler:
      pushf
      pop bx
      test bx, 0x200          ; IF cleared on delivery
      jnz bad
      mov al, 'i'
      out 0xe9, al
      iret
    `, 16, 0x8000));
    const s = t.cpu.state;
    s.setSeg(SegIndex.CS, { selector: 0, base: 0, limit: 0xffff, attr: SegAttr.P | SegAttr.S | 0xb });
    s.rip = 0x8000;
    t.cpu.modeChanged();
    t.run(100_000);
    expect(String.fromCharCode(...t.console)).toBe("i");
    expect(t.exitCode).toBe(1);
    expect(s.seg(SegIndex.ES).base).toBe(0x1000);
  });
});
