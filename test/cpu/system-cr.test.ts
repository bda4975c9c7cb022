/**
 * System ISA, control and debug registers (SDM vol 3 2.5, 4.10.4, 17.2): INVLPG and CR3
 * writes flush stale translations, CR0.WP protects read-only pages from supervisor writes,
 * CLTS/LMSW/SMSW, CR8, DR0-DR7 with the DR4/DR5 aliases and CR4.DE, and the #GP rules for
 * clearing CR4.PAE or CR0.PG in 64-bit mode.
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";

const R = 0x5000;
const PROGRAM = `
  lea rax, [rel idt]
  mov [rel idt_desc + 2], rax
  lidt [rel idt_desc]
  mov edi, 6
  lea rsi, [rel ud_handler]
  call set_gate
  mov edi, 13
  lea rsi, [rel gp_handler]
  call set_gate
  mov edi, 14
  lea rsi, [rel pf_handler]
  call set_gate

  ; 4 KiB mapping of 0x40000000 through PDPT[1] -> PD 0x13000 -> PT 0x14000
  mov qword [0x11008], 0x13003
  mov qword [0x13000], 0x14003
  mov dword [0x200000], 0xaaaa
  mov dword [0x201000], 0xbbbb
  mov dword [0x202000], 0xcccc
  mov qword [0x14000], 0x200003
  mov rbx, 0x40000000
  mov eax, [rbx]
  mov [${R}], eax             ; 0xaaaa
  mov qword [0x14000], 0x201003
  mov eax, [rbx]
  mov [${R + 4}], eax         ; still 0xaaaa: the TLB holds the old translation
  invlpg [rbx]
  mov eax, [rbx]
  mov [${R + 8}], eax         ; 0xbbbb
  mov qword [0x14000], 0x202001   ; read-only
  mov rax, cr3
  mov cr3, rax
  mov eax, [rbx]
  mov [${R + 12}], eax        ; 0xcccc
  ; CR0.WP = 1 (set by the test harness): supervisor write to a read-only page faults
  mov r15, 6
  mov dword [rbx], 1          ; c7 03 imm32: 6 bytes -> #PF (error code 3: present, write)
  mov rax, cr0
  and eax, ~0x10000
  mov cr0, rax
  mov dword [rbx], 0x1234     ; WP = 0: allowed
  mov eax, [0x202000]
  mov [${R + 16}], eax        ; 0x1234
  ; CLTS / LMSW / SMSW
  mov rax, cr0
  or eax, 8                   ; TS
  mov cr0, rax
  smsw eax
  mov [${R + 20}], eax
  clts
  smsw eax
  mov [${R + 24}], eax
  mov ax, 0x2                 ; LMSW: MP = 1, PE stays set
  lmsw ax
  mov rax, cr0
  mov [${R + 28}], eax
  ; CR8
  mov eax, 9
  mov cr8, rax
  mov rax, cr8
  mov [${R + 32}], eax
  ; debug registers
  mov rax, 0x123456789
  mov dr0, rax
  mov rbx, dr0
  mov [${R + 36}], rbx
  mov rax, dr4                ; CR4.DE = 0: DR4 is DR6
  mov [${R + 44}], eax
  mov rax, cr4
  or eax, 8
  mov cr4, rax
  mov r15, 3
  mov rax, dr4                ; CR4.DE = 1: #UD
  ; clearing PAE or PG in 64-bit mode: #GP(0)
  mov rax, cr4
  and eax, ~0x20
  mov cr4, rax
  mov rax, cr0
  btr eax, 31
  mov cr0, rax
  mov al, 1
  out 0xf4, al

log:                          ; eax = entry
  push rbx
  mov ebx, [${R + 0x1fc}]
  mov [${R + 0x200} + rbx * 4], eax
  inc dword [${R + 0x1fc}]
  pop rbx
  ret
gp_handler:
  mov eax, [rsp]
  shl eax, 8
  or eax, 13
  call log
  add rsp, 8
  add [rsp], r15
  iretq
pf_handler:
  mov eax, [rsp]
  shl eax, 8
  or eax, 14
  call log
  add rsp, 8
  add [rsp], r15
  iretq
ud_handler:
  mov eax, 6
  call log
  add [rsp], r15
  iretq
set_gate:
  shl rdi, 4
  lea rdi, [rel idt + rdi]
  mov rax, rsi
  mov [rdi], ax
  mov word [rdi + 2], 0x08
  mov word [rdi + 4], 0x8e00
  shr rax, 16
  mov [rdi + 6], ax
  shr rax, 16
  mov [rdi + 8], eax
  mov dword [rdi + 12], 0
  ret
idt_desc:
  dw 256 * 16 - 1
  dq 0
align 16
idt: times 256 * 16 db 0
`;

describe("control and debug registers", () => {
  it("flushes the TLB on INVLPG and CR3 writes, honours CR0.WP, CLTS/LMSW/SMSW, CR8, DRn and the #GP rules", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(PROGRAM));
    t.enterLongMode();
    t.run(300_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(t.exitCode).toBe(1);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset + R);
    const u32 = (o: number) => dv.getUint32(o, true);
    expect([u32(0), u32(4), u32(8), u32(12), u32(16)]).toEqual([0xaaaa, 0xaaaa, 0xbbbb, 0xcccc, 0x1234]);
    expect(u32(20) & 0xf).toBe(0xb); // PE MP (from the harness) and TS
    expect(u32(24) & 8).toBe(0);
    expect(u32(28) & 3).toBe(3);
    expect(u32(32)).toBe(9);
    expect(dv.getUint32(36, true) + dv.getUint32(40, true) * 2 ** 32).toBe(0x123456789);
    expect(u32(44)).toBe(0xffff0ff0);
    const n = u32(0x1fc);
    expect([...Array(n).keys()].map((i) => u32(0x200 + i * 4))).toEqual([(3 << 8) | 14, 6, 13, 13]);
    expect(t.cpu.state.cr4 & 0x20).toBe(0x20);
    expect(t.cpu.state.cr0 >>> 31).toBe(1);
  });
});
