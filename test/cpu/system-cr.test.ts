/**
 * System ISA, control and debug registers (SDM vol 3 2.5, 4.10.4, 17.2): INVLPG and CR3
 * writes flush stale translations, CR0.WP protects read-only pages from supervisor writes,
 * CLTS/LMSW/SMSW, CR8, DR0-DR7 with the DR4/DR5 aliases and CR4.DE, and the #GP rules for
 * clearing CR4.PAE or CR0.PG in 64-bit mode; PCIDs (CR4.PCIDE, the CR3 no-flush bit, INVPCID).
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

const R = 0x5000;
/** IDT with #UD/#GP/#PF handlers that log and skip r15 bytes; 0x40000000 mapped by PT 0x14000. */
const PRELUDE = `
  call load_idt
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
`;

const HANDLERS = `
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
` + IDT64;

const PROGRAM = PRELUDE + `
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
` + HANDLERS;


const PCID_PROGRAM = PRELUDE + `
  mov r15, 3
  mov rax, cr3
  mov r12, rax
  or rax, 0x20                ; an ignored CR3 bit while PCIDE = 0, but bits 11:0 are then non-zero
  mov cr3, rax
  mov rax, cr4
  bts eax, 17
  mov cr4, rax                ; #GP(0): CR4.PCIDE needs PCID 0 in CR3
  mov cr3, r12
  mov rax, cr4                ; (the handler used eax)
  bts eax, 17
  mov cr4, rax                ; allowed now
  mov rax, cr4
  mov [${R}], eax
  mov rbx, 0x40000000
  mov eax, [rbx]              ; 0xaaaa, now in the TLB
  mov [${R + 4}], eax
  mov qword [0x14000], 0x201003
  mov rax, r12
  or rax, 7
  bts rax, 63                 ; PCID 7, keep its translations (it has none)
  mov cr3, rax
  mov rax, cr3
  mov [${R + 8}], rax         ; bit 63 is not stored
  mov eax, [rbx]              ; 0xbbbb: PCID 7 never cached the old one
  mov [${R + 16}], eax
  mov qword [0x14000], 0x202003
  lea rsi, [rel desc]
  xor eax, eax
  invpcid rax, [rsi]          ; type 0: PCID 7, address 0x40000000
  mov eax, [rbx]              ; 0xcccc
  mov [${R + 20}], eax
  mov qword [0x14000], 0x200003
  mov eax, 3
  invpcid rax, [rsi]          ; type 3: all contexts, global pages kept
  mov eax, [rbx]              ; 0xaaaa
  mov [${R + 24}], eax
  mov r15, 6                  ; nasm encodes INVPCID rax with REX.W: 66 48 0f 38 82 06
  mov eax, 4
  invpcid rax, [rsi]          ; #GP(0): type 4
  mov qword [rsi], 0x1007
  mov eax, 1
  invpcid rax, [rsi]          ; #GP(0): descriptor bits 63:12 reserved
  mov qword [rsi], 7
  mov rdx, 0x0000800000000000
  mov [rsi + 8], rdx
  xor eax, eax
  invpcid rax, [rsi]          ; #GP(0): type 0 with a non-canonical address
  mov eax, 2
  invpcid rax, [rsi]          ; type 2 ignores the address
  mov al, 1
  out 0xf4, al
align 8
desc: dq 7, 0x40000000
` + HANDLERS;

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

  it("PCIDs: CR4.PCIDE needs PCID 0, CR3 keeps the PCID and drops bit 63, INVPCID types 0-3 and its #GP rules", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(PCID_PROGRAM));
    t.enterLongMode();
    t.run(300_000);
    expect(t.logs.filter((l) => l.startsWith("unimp") || l.includes("#UD"))).toEqual([]);
    expect(t.exitCode).toBe(1);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset + R);
    const u32 = (o: number) => dv.getUint32(o, true);
    expect(u32(0) & (1 << 17)).toBe(1 << 17);
    expect([u32(4), u32(16), u32(20), u32(24)]).toEqual([0xaaaa, 0xbbbb, 0xcccc, 0xaaaa]);
    expect([u32(8), u32(12)]).toEqual([0x10007, 0]); // the harness's PML4 at 0x10000, PCID 7
    const n = u32(0x1fc);
    expect([...Array(n).keys()].map((i) => u32(0x200 + i * 4))).toEqual([13, 13, 13, 13]); // PCIDE with PCID != 0, INVPCID type 4, reserved bits, non-canonical
  });
});
