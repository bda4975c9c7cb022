/**
 * Global pages (SDM vol 3 4.10.2.4, 4.10.4.1): with CR4.PGE, TLB entries of pages whose PTE has
 * G set survive CR3 writes; INVLPG, CR4.PGE toggles and other full flushes drop them. The guest
 * maps one virtual page differently in two address spaces, so a read shows which entry it got.
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { StateOff } from "../../src/cpu/state-layout.js";
import { nasm } from "../helpers/nasm.js";

/** Exit code: the five reads of VA 0x40000000 (0x1 = space A's byte, 0x2 = B's), one per nibble. */
function run(pge: boolean): number {
  const t = createTestCpu(8 << 20);
  const dv = new DataView(t.ram.buffer, t.ram.byteOffset, t.ram.byteLength);
  const map = (pml4: number, pdpt: number, pd: number, pa: number) => {
    dv.setUint32(pml4, pdpt | 3, true);
    dv.setUint32(pdpt, 0x12000 | 3, true);
    dv.setUint32(pdpt + 8, pd | 3, true);
    dv.setUint32(pd, pa | 0x183, true); // 2 MiB, global
  };
  t.ram[0x400000] = 1;
  t.ram[0x600000] = 2;
  t.load(0x100000, nasm(`
    mov rsi, 0x40000000
    mov r8, 0x10000               ; space A
    mov r9, 0x14000               ; space B
    xor ebx, ebx
    %macro probe 0
      shl ebx, 4
      movzx eax, byte [rsi]
      or ebx, eax
    %endmacro
    probe                         ; A
    mov cr3, r9
    probe                         ; B's CR3: a global entry still gives A's byte
    invlpg [rsi]
    probe                         ; B
    mov cr3, r8
    probe                         ; A's CR3: B's global entry survives
    mov rax, cr4
    btr rax, 7
    mov cr4, rax                  ; PGE off and on again: everything is flushed
    bts rax, 7
    mov cr4, rax
    probe                         ; A
    mov eax, ebx
    mov dx, 0xf4
    out dx, eax
    hlt`));
  t.enterLongMode();
  map(0x10000, 0x11000, 0x13000, 0x400000);
  map(0x14000, 0x15000, 0x16000, 0x600000);
  if (pge) {
    t.cpu.state.set64(StateOff.CR4, (t.cpu.state.cr4 | 0x80) | 0, 0);
    t.cpu.flushTlb();
  }
  t.run();
  expect(t.cpu.softmmu.tlb.stats.nonGlobalFlushes).toBe(2);
  return t.exitCode ?? -1;
}

describe("global pages", () => {
  it("with CR4.PGE, global entries survive CR3 writes until INVLPG or a CR4.PGE toggle", () => {
    // A; B's CR3 still A (global); INVLPG: B; A's CR3 still B; PGE toggled: A
    expect(run(true).toString(16)).toBe("11221");
  });

  it("without CR4.PGE, a CR3 write flushes every entry", () => {
    // A; B; B; A; A (setting PGE at the end flushes too)
    expect(run(false).toString(16)).toBe("12211");
  });
});
