/**
 * Block linking (issue #4): the same programs run with linking on (with and without the
 * statistics counters) and off, and must leave the CPU state and RAM identical bit for bit.
 * The programs cover loops, calls, returns, indirect jumps, self-modifying code (a loop that
 * rewrites itself), a page fault in the middle of a block, and a CR3 switch followed by a
 * direct jump on the same page (the link must not bypass the new address space).
 */
import { describe, expect, it } from "vitest";
import { createTestCpu, type TestCpu } from "../../src/cpu/testing/test-cpu.js";
import type { WasmBackendOptions } from "../../src/jit/wasm/backend.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

const exitAl = "mov dx, 0xf4\n out dx, al\n hlt";

const PATHS: { name: string; jit: WasmBackendOptions }[] = [
  { name: "linked", jit: { link: true } },
  { name: "linked+stats", jit: { link: true, stats: true } },
  { name: "unlinked", jit: { link: false } },
];

/** Run `setup` + the program on every path; returns the runs after checking they agree. */
function runEveryPath(setup: (t: TestCpu) => void, ramBytes = 4 << 20): TestCpu[] {
  const runs = PATHS.map(({ jit }) => {
    const t = createTestCpu(ramBytes, undefined, jit);
    setup(t);
    t.run(5_000_000);
    return t;
  });
  const [ref, ...others] = runs;
  others.forEach((t, i) => {
    const name = PATHS[i + 1]!.name;
    expect(t.exitCode, name).toBe(ref!.exitCode);
    expect(t.cpu.stats.insnsRetired, name).toBe(ref!.cpu.stats.insnsRetired);
    expect(Array.from(t.cpu.state.i32), `${name}: CPU state`).toEqual(Array.from(ref!.cpu.state.i32));
    expect(Buffer.compare(t.ram, ref!.ram), `${name}: RAM`).toBe(0);
  });
  expect(runs[0]!.cpu.backend.stats.linkedExits).toBeGreaterThan(0);
  return runs;
}

describe("linked and unlinked execution agree", () => {
  it("loops, calls, returns and a jump table over memory", () => {
    const code = nasm(`
      ; insertion sort of 64 pseudo-random dwords, then a checksum through a jump table
      lea rdi, [rel data]
      mov eax, 12345
      xor ecx, ecx
    fill:
      imul eax, eax, 1103515245
      add eax, 12345
      mov [rdi + rcx * 4], eax
      inc ecx
      cmp ecx, 64
      jb fill
      mov ecx, 1
    outer:
      mov edx, [rdi + rcx * 4]
      mov esi, ecx
    inner:
      test esi, esi
      jz place
      mov r8d, [rdi + rsi * 4 - 4]
      cmp r8d, edx
      jbe place
      mov [rdi + rsi * 4], r8d
      dec esi
      jmp inner
    place:
      mov [rdi + rsi * 4], edx
      inc ecx
      cmp ecx, 64
      jb outer
      xor ebx, ebx
      xor ecx, ecx
    sum:
      mov eax, [rdi + rcx * 4]
      call mix
      inc ecx
      cmp ecx, 64
      jb sum
      mov eax, ebx
      ${exitAl}
    mix:
      mov r9d, eax
      and r9d, 3
      lea r10, [rel table]
      jmp [r10 + r9 * 8]
    t0: add ebx, eax
      ret
    t1: xor ebx, eax
      ret
    t2: rol ebx, 5
      ret
    t3: sub ebx, eax
      ret
      align 8
    table: dq t0, t1, t2, t3
    data: times 64 dd 0`);
    const runs = runEveryPath((t) => { t.load(0x100000, code); t.enterLongMode(); });
    expect(runs[0]!.exitCode).toBeDefined();
    expect(runs[1]!.cpu.jitStats().chainedJumps).toBeGreaterThan(100);
  });

  it("a loop that rewrites its own instruction each iteration", () => {
    const code = nasm(`
      xor ebx, ebx
      mov ecx, 20
    again:
    patch:
      mov eax, 1               ; the immediate becomes the previous ECX
      add ebx, eax
      mov byte [rel patch + 1], cl
      dec ecx
      jnz again
      mov eax, ebx             ; 1 + 20 + 19 + ... + 2 = 210
      ${exitAl}`);
    const runs = runEveryPath((t) => { t.load(0x100000, code); t.enterLongMode(); });
    expect(runs[0]!.exitCode).toBe(210);
    expect(runs[0]!.cpu.tbs.stats.invalidated).toBeGreaterThanOrEqual(19);
  });

  it("a page fault in the middle of a linked loop", () => {
    const code = nasm(`
      call load_idt
      mov edi, 14
      lea rsi, [rel handler]
      call set_gate
      mov rsi, 0x3ffff000     ; walks up into unmapped memory at 1 GiB after 64 iterations
      xor ebx, ebx
    walk:
      add ebx, [rsi]
      add rsi, 64
      inc r8
      jmp walk
    handler:
      pop r12                 ; error code
      pop r13                 ; RIP of the faulting load
      lea r14, [rel walk]
      mov eax, r8d
      cmp r13, r14
      je .ok
      mov eax, 0xee
    .ok:
      ${exitAl}
${IDT64}`);
    const runs = runEveryPath((t) => { t.load(0x100000, code); t.enterLongMode(); });
    expect(runs[0]!.exitCode).toBe(64);
  });

  it("a CR3 switch before a direct jump on the same page runs the new address space's code", () => {
    // VA 0x40000000 maps to 0x400000 in space A and 0x600000 in space B; both hold the same
    // code up to `cont`, which differs: A exits with 1, B with 2. The block that writes CR3
    // ends with a constant successor on its own page: a link that skipped the new CR3 would
    // exit with 1.
    const prog = (value: number) => nasm(`
      mov cr3, rbx
      jmp cont
      times 32 nop
    cont:
      mov al, ${value}
      ${exitAl}`, 64, 0x40000000);
    const runs = runEveryPath((t) => {
      const dv = new DataView(t.ram.buffer, t.ram.byteOffset, t.ram.byteLength);
      const map = (pml4: number, pdpt: number, pd: number, pa: number) => {
        dv.setUint32(pml4, pdpt | 3, true);
        dv.setUint32(pdpt, 0x12000 | 3, true);
        dv.setUint32(pdpt + 8, pd | 3, true);
        dv.setUint32(pd, pa | 0x83, true);
      };
      t.load(0x400000, prog(1));
      t.load(0x600000, prog(2));
      t.enterLongMode(0x40000000);
      map(0x10000, 0x11000, 0x13000, 0x400000);
      map(0x14000, 0x15000, 0x16000, 0x600000);
      t.cpu.state.setReg(3, 0x14000);
    }, 8 << 20);
    expect(runs[0]!.exitCode).toBe(2);
  });
});
