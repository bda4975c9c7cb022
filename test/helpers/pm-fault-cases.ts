/**
 * A 32-bit protected-mode harness for fault tests: the guest runs a list of cases at CPL 3
 * (IOPL 3), each one a snippet whose faulting instruction carries the local label `.at`. Every
 * exception (vectors 0-14) goes through a 32-bit interrupt gate to CPL 0 on the TSS stack, where
 * the handler records vector, error code and faulting EIP and resumes the next case at CPL 3
 * with a fresh flat stack. After each case the data segments are reloaded with the flat user
 * selector, so cases may load anything into DS/ES/FS/GS/SS.
 *
 * GDT: 0x08 kernel code, 0x10 kernel data, 0x18 TSS, 0x23 user code32, 0x2b user data (flat),
 * 0x33 user code16 (base 0, limit 0xFFFF), then the test's own descriptors (DPL as given; the
 * selector of descriptor i is 0x38 + 8i with RPL 3, named SEL_<name> in the source).
 * The program sits at ORG = 0x1000 so 16-bit code can address it; `ABS(label)` is a label as a
 * scalar for descriptor fields.
 */
import { createTestCpu, type TestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "./nasm.js";

export const ORG = 0x1000;
const LAST_VEC = 0x70000, LAST_ERR = 0x70004, LAST_EIP = 0x70008, RESUME = 0x7000c, RESULTS = 0x70100;
export const USER_STACK = 0x6f000;

/** A segment descriptor: base and limit (the 20-bit field) as numbers or nasm expressions. */
export interface Descriptor {
  name: string;
  base: number | string;
  limit: number | string;
  /** Type nibble (e.g. 2 RW data, 0 RO data, 6 RW expand-down, 0xA readable code, 8 execute-only). */
  type: number;
  dpl?: number;
  /** D/B bit (default set). */
  db?: boolean;
  /** G bit (default clear: byte-granular limit). */
  g?: boolean;
}

export interface FaultCase {
  name: string;
  /** Snippet run at CPL 3 in 32-bit code; label the instruction expected to fault `.at:`. */
  code: string;
  /** Where the fault is expected when not at `.at` (a global label). */
  at?: string;
}

export interface FaultResult {
  name: string;
  /** Vector raised, or -1 for none. */
  vector: number;
  /** The pushed EIP was the expected instruction (always true when nothing faulted). */
  atFault: boolean;
  error: number;
}

const hex = (v: number | string): string => (typeof v === "number" ? `0x${v.toString(16)}` : `(${v})`);

function descriptor(d: Descriptor): string {
  const access = 0x80 | ((d.dpl ?? 3) << 5) | 0x10 | d.type;
  const flags = (d.db ?? true ? 0x40 : 0) | (d.g ? 0x80 : 0);
  return `  DESC ${hex(d.base)}, ${hex(d.limit)}, 0x${access.toString(16)}, 0x${flags.toString(16)} ; ${d.name}`;
}

/** Assemble and run the cases; `extra` is more 32-bit code (targets of far jumps...). */
export function runFaultCases(descs: Descriptor[], cases: FaultCase[], extra = ""): { t: TestCpu; results: FaultResult[] } {
  const defs = descs.map((d, i) => `%define SEL_${d.name} 0x${(0x38 + 8 * i + 3).toString(16)}`).join("\n");
  const body = cases.map((c, n) => {
    const at = c.at ?? (c.code.includes(".at:") ? `case_${n}.at` : "0xffffffff");
    return `
case_${n}:
  mov dword [${RESUME}], case_${n}.done
${c.code}
.done:
  mov ax, 0x2b
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, ${USER_STACK}
  mov eax, [${LAST_VEC}]
  mov [${RESULTS + n * 12}], eax
  mov eax, [${LAST_ERR}]
  mov [${RESULTS + n * 12 + 8}], eax
  xor eax, eax
  cmp dword [${LAST_EIP}], ${at}
  sete al
  mov [${RESULTS + n * 12 + 4}], eax
  mov dword [${LAST_VEC}], -1
  mov dword [${LAST_ERR}], 0
  mov dword [${LAST_EIP}], -1`;
  }).join("\n");
  const vectors = Array.from({ length: 15 }, (_, v) => v);
  const withError = new Set([8, 10, 11, 12, 13, 14]);
  const src = `
%define ABS(x) ((x) - $$ + ${ORG})
%macro DESC 4
  dw (%2) & 0xffff
  dw (%1) & 0xffff
  db ((%1) >> 16) & 0xff
  db %3
  db (((%2) >> 16) & 0x0f) | (%4)
  db ((%1) >> 24) & 0xff
%endmacro
${defs}
  lgdt [gdtr]
  jmp 0x08:kernel
kernel:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, 0x7f000
  lidt [idtr]
  mov ax, 0x18
  ltr ax
  mov dword [${LAST_VEC}], -1
  mov dword [${LAST_EIP}], -1
  mov ax, 0x2b               ; DPL 0 data selectors would be nulled by the IRET to CPL 3
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  push 0x2b
  push ${USER_STACK}
  push 0x3002                ; IOPL 3: the user code may write the exit port
  push 0x23
  push cases
  iretd

${vectors.map((v) => `h${v}:\n${withError.has(v) ? "" : "  push 0\n"}  push ${v}\n  jmp fault_common`).join("\n")}
fault_common:                ; [esp] vector, error, EIP, CS, EFLAGS, ESP, SS (from CPL 3)
  mov ax, 0x10
  mov ds, ax
  mov eax, [esp]
  mov [${LAST_VEC}], eax
  mov eax, [esp + 4]
  mov [${LAST_ERR}], eax
  mov eax, [esp + 8]
  mov [${LAST_EIP}], eax
  mov eax, [${RESUME}]
  mov [esp + 8], eax
  mov dword [esp + 12], 0x23
  mov dword [esp + 20], ${USER_STACK}
  mov dword [esp + 24], 0x2b
  add esp, 8
  iretd

cases:
${body}
  mov al, 1
  out 0xf4, al
  hlt

${extra}

align 8
gdt:
  dq 0
  DESC 0, 0xfffff, 0x9a, 0xc0            ; 0x08 kernel code
  DESC 0, 0xfffff, 0x92, 0xc0            ; 0x10 kernel data
  DESC ABS(tss), 103, 0x89, 0            ; 0x18 TSS
  DESC 0, 0xfffff, 0xfa, 0xc0            ; 0x20 user code32
  DESC 0, 0xfffff, 0xf2, 0xc0            ; 0x28 user data
  DESC 0, 0xffff, 0xfa, 0                ; 0x30 user code16
${descs.map(descriptor).join("\n")}
gdt_end:
gdtr:
  dw gdt_end - gdt - 1
  dd gdt
idtr:
  dw 15 * 8 - 1
  dd idt
align 8
idt:
${vectors.map((v) => `  dw ABS(h${v}) & 0xffff, 0x08, 0x8e00, ABS(h${v}) >> 16`).join("\n")}
align 16
tss:
  dd 0, 0x7f000, 0x10
  times 102 - 12 db 0
  dw 104
`;
  const t = createTestCpu();
  t.enterProtectedMode(ORG);
  t.load(ORG, nasm(src, 32, ORG));
  t.run(1_000_000);
  const dv = new DataView(t.ram.buffer, t.ram.byteOffset);
  const results = cases.map((c, n) => ({
    name: c.name,
    vector: dv.getInt32(RESULTS + n * 12, true),
    atFault: dv.getInt32(RESULTS + n * 12 + 4, true) === 1 || dv.getInt32(RESULTS + n * 12, true) === -1,
    error: dv.getInt32(RESULTS + n * 12 + 8, true),
  }));
  return { t, results };
}
