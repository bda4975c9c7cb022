/**
 * End-to-end: small 64-bit programs assembled with nasm run through decoder -> semantics ->
 * IR -> Wasm, and report through the test CPU's console and exit ports.
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";

function run64(src: string, budget = 1_000_000) {
  const t = createTestCpu();
  t.load(0x100000, nasm(src));
  t.enterLongMode();
  const stop = t.run(budget);
  return { t, stop, out: String.fromCharCode(...t.console) };
}

const exitWith = (reg = "al") => `mov dx, 0xf4\n out dx, ${reg}\n hlt`;

describe("64-bit execution", () => {
  it("prints a string through port 0xE9 and exits with a code", () => {
    const { t, out, stop } = run64(`
      lea rsi, [rel msg]
      mov dx, 0xe9
    next:
      mov al, [rsi]
      test al, al
      jz done
      out dx, al
      inc rsi
      jmp next
    done:
      mov al, 42
      ${exitWith()}
    msg: db "hello, tsemu", 0`);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(out).toBe("hello, tsemu");
    expect(t.exitCode).toBe(42);
    expect(stop).toBe("stopped");
  });

  it("computes a loop sum with 64-bit arithmetic, calls and the stack", () => {
    const { t } = run64(`
      xor eax, eax
      mov rcx, 100000
    l:
      add rax, rcx
      dec rcx
      jnz l
      ; rax = 5000050000 (> 2^32)
      mov rbx, 5000050000
      cmp rax, rbx
      jne bad
      call f
      cmp rax, 7
      jne bad
      mov al, 1
      ${exitWith()}
    bad:
      mov al, 2
      ${exitWith()}
    f:
      push rbp
      mov rbp, rsp
      mov rax, 7
      pop rbp
      ret`);
    expect(t.exitCode).toBe(1);
    expect(t.cpu.stats.insnsRetired).toBeGreaterThan(300000);
  });

  it("follows signed and unsigned conditions after CMP", () => {
    // r8 collects one bit per condition check that behaved as expected
    const { t } = run64(`
      xor r8d, r8d
      mov eax, -1
      cmp eax, 1
      jl .a          ; signed: -1 < 1
      jmp .x
    .a: or r8d, 1
      cmp eax, 1
      ja .b          ; unsigned: 0xffffffff > 1
      jmp .x
    .b: or r8d, 2
      mov ax, 0x8000
      cmp ax, 1
      jo .c          ; 0x8000 - 1 overflows 16-bit signed
      jmp .x
    .c: or r8d, 4
      mov bl, 0x80
      test bl, bl
      js .d
      jmp .x
    .d: or r8d, 8
    .x:
      mov eax, r8d
      ${exitWith()}`);
    expect(t.exitCode).toBe(15);
  });

  it("multiplies and divides, including 128-bit forms", () => {
    const { t } = run64(`
      mov rax, 0x123456789
      mov rbx, 0x987654321
      mul rbx            ; rdx:rax = product
      mov rcx, 0x987654321
      div rcx            ; back to 0x123456789, remainder 0
      mov r9, 0x123456789
      cmp rax, r9
      jne bad
      test rdx, rdx
      jne bad
      mov rax, -100
      cqo
      mov rcx, 7
      idiv rcx           ; -14 rem -2
      cmp rax, -14
      jne bad
      cmp rdx, -2
      jne bad
      mov eax, 0x10000
      imul eax, eax, 0x10000   ; overflows 32 bits: OF=CF=1
      jno bad
      mov al, 1
      ${exitWith()}
    bad:
      mov al, 2
      ${exitWith()}`);
    expect(t.exitCode).toBe(1);
  });

  it("raises #DE in the guest for a division by zero (no IDT: triple fault, no host crash)", () => {
    const { t, stop } = run64(`
      xor ecx, ecx
      mov eax, 1
      div ecx
      mov al, 1
      ${exitWith()}`);
    expect(t.exitCode).toBeUndefined();
    expect(stop).toBe("reset");
  });
});
