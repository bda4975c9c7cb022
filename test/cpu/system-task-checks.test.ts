/**
 * The checks of a task switch (SDM vol 3 table 7-1, JMP "TASK-STATE-SEGMENT"), one bad
 * field of the new TSS or its descriptor at a time: before the commit point the fault is
 * taken in the old task at the JMP (TSS limit #TS, not present #NP, DPL < RPL #GP); after it,
 * in the new task at its first instruction (LDT, CS, SS, ES/DS/FS selectors: #TS, #NP, #SS
 * with the selector as error code), and with two bad fields the first check in the table's
 * (P6) order wins. Each case records vector, error code, TR and the saved
 * EIP; the markers are compared with QEMU TCG (which saves the JMP's EIP after the commit
 * point too, and raises #NP where the SDM says #SS).
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";
import { PM32_ENTRY, PM32_GATES, PM32_INIT_TSS, PM32_TABLES } from "../helpers/pm32-kernel.js";
import { HAS_QEMU_I386, runBareInQemu } from "../helpers/qemu-bare.js";

const RESULTS = 0x39000;

const CHECKS = `
TSS_A equ 0x20000
TSS_E equ 0x20400
last_vec equ 0x38000
last_err equ 0x38004
last_eip equ 0x38008
last_tr equ 0x3800c
RESULTS equ ${RESULTS}

%macro try 2                         ; corrupt (%1), then JMP to selector %2
  call reset_e
  %1
  jmp %2:0
  call record
%endmacro

%macro try2 3                        ; two corruptions
  call reset_e
  %1
  %2
  jmp %3:0
  call record
%endmacro

${PM32_ENTRY}
  mov dword [TSS_A + 0x1c], 0
  mov ax, 0x18
  ltr ax
  mov eax, 10
  mov ebx, fault10
  call set_gate
  mov eax, 11
  mov ebx, fault11
  call set_gate
  mov eax, 12
  mov ebx, fault12
  call set_gate
  mov eax, 13
  mov ebx, fault13
  call set_gate
  mov dword [RESULTS], task_e
  mov edi, RESULTS + 16
  try {mov word [gdt + 0x40], 0x60}, 0x40          ; TSS limit < 0x67
  try {mov byte [gdt + 0x45], 0x09}, 0x40          ; TSS not present
  try {nop}, 0x43                                  ; RPL 3 > TSS DPL 0
  try {mov word [TSS_E + 0x60], 0x10}, 0x40        ; LDT: a data descriptor
  try {mov word [TSS_E + 0x4c], 0x10}, 0x40        ; CS: data
  try {mov word [TSS_E + 0x4c], 0}, 0x40           ; CS: null
  try {mov word [TSS_E + 0x4c], 0x58}, 0x40        ; CS: not present
  try {mov word [TSS_E + 0x50], 0x08}, 0x40        ; SS: code
  try {mov word [TSS_E + 0x50], 0x13}, 0x40        ; SS: RPL 3 != CPL 0
  try {mov word [TSS_E + 0x50], 0x50}, 0x40        ; SS: not present
  try {mov word [TSS_E + 0x48], 0x13}, 0x40        ; ES: RPL 3 > DPL 0
  try {mov word [TSS_E + 0x54], 0x50}, 0x40        ; DS: not present
  try {mov word [TSS_E + 0x58], 0x18}, 0x40        ; FS: a TSS
  ; two bad fields: the first check in table 7-1's order wins
  try2 {mov word [TSS_E + 0x4c], 0x58}, {mov word [TSS_E + 0x50], 0x50}, 0x40 ; CS, SS not present: #SS
  try2 {mov word [TSS_E + 0x60], 0x60}, {mov word [TSS_E + 0x50], 0x08}, 0x40 ; LDT not present, SS code: SS first
  try2 {mov word [TSS_E + 0x48], 0x50}, {mov word [TSS_E + 0x54], 0x18}, 0x40 ; ES not present, DS a TSS: readable first
  mov al, 1
  out 0xf4, al
  hlt

record:                              ; 4 dwords at edi; vector, error, TR (in the handler) on the console
  mov eax, [last_vec]
  stosd
  mov eax, [last_err]
  stosd
  movzx eax, word [last_tr]
  stosd
  mov eax, [last_eip]
  stosd
  mov al, [last_vec]
  out 0xe9, al
  mov al, [last_err]
  out 0xe9, al
  mov al, [last_tr]
  out 0xe9, al
  ret

reset_e:
  push edi
  mov edi, TSS_E
  mov ebx, task_e
  mov ecx, 0x8000                    ; below 64 KiB: pushes through an unusable SS still land
  call init_tss
  pop edi
  mov word [gdt + 0x40], 103
  mov byte [gdt + 0x45], 0x89
  ret

task_e:
  mov al, 0xbd                       ; every case must fault
  out 0xf4, al
  hlt

%macro fault_entry 1
fault%1:
  mov ax, 0x10
  mov ss, ax
  mov ds, ax
  mov es, ax
  mov dword [last_vec], %1
  jmp fault_common
%endmacro
fault_entry 10
fault_entry 11
fault_entry 12
fault_entry 13
fault_common:
  pop dword [last_err]
  pop dword [last_eip]
  str ax
  mov [last_tr], ax
  cmp ax, 0x18
  je .old_task
  jmp 0x18:0                         ; fault in task E: back to A, after its JMP
.old_task:
  mov eax, [last_eip]                ; fault at A's JMP (7 bytes): skip it
  add eax, 7
  push eax
  iretd
${PM32_INIT_TSS}
${PM32_GATES}
align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff              ; 0x08 code
  dq 0x00cf92000000ffff              ; 0x10 data
  dw 103, TSS_A & 0xffff             ; 0x18 TSS A
  db (TSS_A >> 16) & 0xff, 0x89, 0, 0
  dq 0, 0, 0, 0                      ; 0x20-0x38
  dw 103, TSS_E & 0xffff             ; 0x40 TSS E
  db (TSS_E >> 16) & 0xff, 0x89, 0, 0
  dq 0
  dq 0x00cf12000000ffff              ; 0x50 data, not present
  dq 0x00cf1a000000ffff              ; 0x58 code, not present
  dq 0x0000020000000000              ; 0x60 LDT, not present
gdt_end:
${PM32_TABLES}
`;

/** [vector, error code, TR after the fault, fault in the new task]. */
const EXPECTED: [number, number, number, boolean][] = [
  [10, 0x40, 0x18, false],
  [11, 0x40, 0x18, false],
  [13, 0x40, 0x18, false],
  [10, 0x10, 0x40, true],
  [10, 0x10, 0x40, true],
  [10, 0, 0x40, true],
  [11, 0x58, 0x40, true],
  [10, 0x08, 0x40, true],
  [10, 0x10, 0x40, true],
  [12, 0x50, 0x40, true],
  [10, 0x10, 0x40, true],
  [11, 0x50, 0x40, true],
  [10, 0x18, 0x40, true],
  [12, 0x50, 0x40, true],
  [10, 0x08, 0x40, true],
  [10, 0x18, 0x40, true],
];
/** The cases with one bad field (QEMU checks each register fully in turn, so it differs on the others). */
const SINGLE = 13;

describe("task-switch checks", () => {
  it("raises the table 7-1 exceptions before or after the commit point", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(CHECKS, 32));
    t.enterProtectedMode();
    t.run(500_000);
    expect(t.exitCode).toBe(1);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset + RESULTS);
    const taskE = dv.getUint32(0, true);
    const got = EXPECTED.map((_, i) => {
      const at = 16 + i * 16;
      const eip = dv.getUint32(at + 12, true);
      return [dv.getUint32(at, true), dv.getUint32(at + 4, true), dv.getUint32(at + 8, true), eip === taskE];
    });
    expect(got).toEqual(EXPECTED);
    // A fault before the commit is taken at the JMP (the handler skipped it), in task A.
    for (let i = 0; i < 3; i++) expect(dv.getUint32(16 + i * 16 + 12, true)).not.toBe(taskE);
  });

  // QEMU TCG raises #NP, not #SS, for a not-present SS in the new task (SDM table 7-1 and
  // "Interrupt 12": #SS); it is the one case where the markers differ.
  it.skipIf(!HAS_QEMU_I386)("matches QEMU TCG's vectors, error codes and TR (but QEMU's #NP for a not-present SS)", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(CHECKS, 32));
    t.enterProtectedMode();
    t.run(500_000);
    const q = runBareInQemu(CHECKS);
    expect(q.exitCode).toBe(1);
    const ssCase = 9 * 3;
    expect(t.console[ssCase]).toBe(12);
    const qemu = [...q.console].map((c, i) => (i === ssCase && c.charCodeAt(0) === 11 ? 12 : c.charCodeAt(0)));
    expect(qemu.slice(0, SINGLE * 3)).toEqual(t.console.slice(0, SINGLE * 3));
  });
});
