/**
 * The gdbstub's commands against a real pc machine running a small multiboot kernel (nasm):
 * 32-bit paging with virtual 0x400000 -> physical 0x300000 (PTE accessed bit clear, the next
 * page not present), known registers, a loop that runs one instruction twice (to see a
 * memory write invalidate translated code), and an exit through isa-debug-exit with a value
 * read from virtual memory. A fake run control stands for the host; `drive` is the host's
 * run loop in miniature (stop on "debug", tell the stub).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../machine/machine.js";
import { createPcMachine } from "../machine/pc.js";
import { nasm } from "../../test/helpers/nasm.js";
import { PTE0, pagingKernelStart } from "../../test/helpers/paging-kernel.js";
import { hex32, hex64, stubHarness, type StubHarness } from "../../test/helpers/gdb-stub-harness.js";
import { REGISTERS, TARGET_XML } from "./registers.js";
import { parseAddress } from "./stub.js";

const kernelImage = nasm(`${pagingKernelStart("  mov dword [0x300010], 0x10         ; the exit value")}
  mov edx, 0x11111111                ; bp1
  inc edx
  mov edi, 2
again:
  mov ebp, 0x33333333                ; patched by the test between the two iterations
  dec edi
  jnz again
  mov esi, 0x55555555                ; after the loop
  mov eax, [0x400010]
  out 0xf4, eax
hang:
  hlt
  jmp hang
`, 32, 0x100000);
/** Linear address of the first occurrence of `pattern` (the image loads at 0x100000). */
const addrOf = (...pattern: number[]): number => {
  for (let i = 0; i + pattern.length <= kernelImage.length; i++)
    if (pattern.every((b, j) => kernelImage[i + j] === b)) return 0x100000 + i;
  throw new Error("pattern not in the kernel");
};
const BP1 = addrOf(0xba, 0x11, 0x11, 0x11, 0x11);
const PATCH = addrOf(0xbd, 0x33, 0x33, 0x33, 0x33);
const AFTER = addrOf(0xbe, 0x55, 0x55, 0x55, 0x55);

const machines: Machine[] = [];
afterEach(() => { while (machines.length) machines.pop()!.dispose(); });
const setup = (): StubHarness => {
  const h = stubHarness(createPcMachine({ kernel: kernelImage, memoryBytes: 64 << 20 }));
  machines.push(h.m);
  return h;
};

const regIndex = (name: string): string => REGISTERS.findIndex((r) => r.name === name).toString(16);

describe("gdbstub: queries", () => {
  it("qSupported, target.xml in chunks, ?, threads, H/T, unknown packets", () => {
    const { cmd, ctl } = setup();
    expect(ctl.calls).toEqual(["stop"]); // attaching stops the guest
    expect(cmd("qSupported:multiprocess+;swbreak+;xmlRegisters=i386")).toBe("PacketSize=4000;qXfer:features:read+");
    let xml = "";
    for (let off = 0, more = true; more; off += 0x100) {
      const r = cmd(`qXfer:features:read:target.xml:${off.toString(16)},100`)!;
      expect(r[0]).toMatch(/[ml]/);
      xml += r.slice(1);
      more = r[0] === "m";
    }
    expect(xml).toBe(TARGET_XML);
    expect(xml).toContain("<architecture>i386:x86-64</architecture>");
    for (const n of ["rax", "r15", "rip", "eflags", "gs", "st7", "fop", "xmm15", "mxcsr", "fs_base", "gs_base"]) expect(xml).toContain(`name="${n}"`);
    expect(cmd("qXfer:features:read:other.xml:0,100")).toBe("E00");
    expect(cmd("?")).toBe("T05thread:01;");
    expect(cmd("qAttached")).toBe("1");
    expect(cmd("qC")).toBe("QC01");
    expect(cmd("qfThreadInfo")).toBe("m01");
    expect(cmd("qsThreadInfo")).toBe("l");
    expect(cmd("Hg0")).toBe("OK");
    expect(cmd("Hc-1")).toBe("OK");
    expect(cmd("T01")).toBe("OK");
    expect(cmd("T02")).toBe("E00");
    expect(cmd("vCont?")).toBe("vCont;c;C;s;S");
    expect(cmd("vMustReplyEmpty")).toBe("");
    expect(cmd("qTStatus")).toBe("");
    expect(cmd("Z2,1000,4")).toBe(""); // watchpoints: not offered
    expect(cmd("qRcmd,696e666f")).toBe(""); // no monitor given
  });

  it("qRcmd runs a monitor command (hex in, hex out; OK for no output)", () => {
    const m = createPcMachine({ kernel: kernelImage, memoryBytes: 64 << 20 });
    machines.push(m);
    const lines: string[] = [];
    const { cmd } = stubHarness(m, (line) => { lines.push(line); return line === "quiet" ? "" : "out\n"; });
    expect(cmd("qRcmd,696e666f20737461747573")).toBe("6f75740a");
    expect(cmd("qRcmd,7175696574")).toBe("OK");
    expect(cmd("qRcmd,zz")).toBe("E00");
    expect(lines).toEqual(["info status", "quiet"]);
  });

  it("parses 64-bit addresses as the CPU's signed linear addresses", () => {
    expect(parseAddress("ffffffff81000000")).toBe(-0x7f000000);
    expect(parseAddress("100000")).toBe(0x100000);
    expect(parseAddress("7fffffffffff")).toBe(2 ** 47 - 1);
    expect(parseAddress("xyz")).toBeUndefined();
    expect(parseAddress("11112222333344445")).toBeUndefined();
  });
});

describe("gdbstub: run control, registers, memory", () => {
  it("Z0 + c stops with T05 at the breakpoint; g/p show the registers with the lazy flags", () => {
    const { m, cmd, drive, sent, ctl } = setup();
    expect(cmd(`Z0,${BP1.toString(16)},1`)).toBe("OK");
    expect(cmd("c")).toBeUndefined();
    expect(ctl.running).toBe(true);
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(ctl.running).toBe(false);
    expect(m.cpu.state.rip).toBe(BP1);
    expect(cmd(`p${regIndex("rip")}`)).toBe(hex64(BP1));
    const g = cmd("g")!;
    expect(g.length).toBe(REGISTERS.reduce((n, r) => n + r.bytes * 2, 0));
    expect(g.slice(0, 16)).toBe(hex64(0x12345678)); // rax
    expect(g.slice(16, 32)).toBe(hex64(0xcafe)); // rbx
    expect(g.slice(32, 48)).toBe(hex64(0)); // rcx
    const eflags = parseInt(cmd(`p${regIndex("eflags")}`)!.match(/../g)!.reverse().join(""), 16);
    expect(eflags & 0x244).toBe(0x44); // ZF, PF set (lazily), IF clear
    expect(cmd(`p${regIndex("cs")}`)).toBe(hex32(m.cpu.state.seg(1).selector));
    expect(cmd("p999")).toBe("E00");
  });

  it("s steps one instruction (T05); vCont;s and vCont;c work the same way", () => {
    const { m, cmd, drive, sent } = setup();
    cmd(`Z1,${BP1.toString(16)},1`);
    cmd("c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    cmd("s");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(m.cpu.state.rip).toBe(BP1 + 5);
    expect(cmd("p3")).toBe(hex64(0x11111111)); // rdx (gdb order: rax rbx rcx rdx)
    cmd("vCont;s:1");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd("p3")).toBe(hex64(0x11111112));
    expect(cmd(`z1,${BP1.toString(16)},1`)).toBe("OK");
    expect(cmd(`Z0,${AFTER.toString(16)},1`)).toBe("OK");
    cmd("vCont;c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(m.cpu.state.rip).toBe(AFTER);
    expect(m.cpu.debug.hostStep).toBe(false);
  });

  it("m reads virtual memory through the page tables without setting accessed bits; unmapped is E14", () => {
    const { m, cmd, drive, sent } = setup();
    cmd(`Z0,${BP1.toString(16)},1`);
    cmd("c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd("m400000,4")).toBe("61626364");
    expect(cmd("m400ffe,4")).toBe("0000"); // stops at the unmapped page
    expect(cmd("m401000,4")).toBe("E14");
    expect(cmd("m400000,0")).toBe("");
    expect(cmd("mzz,4")).toBe("E00");
    expect(new DataView(m.ram.buffer, m.ram.byteOffset).getUint32(PTE0, true) & 0x20).toBe(0);
    expect(cmd(`m${BP1.toString(16)},5`)).toBe("ba11111111");
  });

  it("P/G write registers; selectors are read-only; M writes virtual memory the guest then reads", () => {
    const { m, cmd, drive, sent } = setup();
    cmd(`Z0,${BP1.toString(16)},1`);
    cmd("c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd(`P0=${hex64(0x1_2345_6789)}`)).toBe("OK");
    expect(m.cpu.state.reg(0)).toBe(0x1_2345_6789);
    expect(cmd(`P${regIndex("cs")}=${hex32(0x1234)}`)).toBe("E01");
    expect(cmd("P0=12")).toBe("E00");
    const g = cmd("g")!;
    expect(cmd(`G${g}`)).toBe("OK");
    expect(cmd("g")).toBe(g);
    expect(cmd(`G${hex64(7)}`)).toBe("OK"); // a short G writes a prefix
    expect(m.cpu.state.reg(0)).toBe(7);
    expect(cmd(`P${regIndex("eflags")}=${hex32(0x2 | 0x1)}`)).toBe("OK");
    expect(m.cpu.eflags & 0xff).toBe(0x3);
    expect(cmd("M401000,1:00")).toBe("E14");
    expect(cmd("M400010,4:21000000")).toBe("OK");
    expect(m.ram[0x300010]).toBe(0x21);
    cmd("c");
    drive();
    expect(sent.shift()).toBe("W43"); // isa-debug-exit: (0x21 << 1) | 1
  });

  it("M on code that already ran invalidates its translation", () => {
    const { m, cmd, drive, sent } = setup();
    const dec = PATCH + 5;
    cmd(`Z0,${dec.toString(16)},1`);
    cmd("c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(m.cpu.state.reg(5)).toBe(0x33333333);
    expect(cmd(`M${(PATCH + 1).toString(16)},4:44444444`)).toBe("OK");
    cmd("c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(m.cpu.state.rip).toBe(dec);
    expect(m.cpu.state.reg(5)).toBe(0x44444444);
  });

  it("Ctrl-C while running stops with T02 (then ? says so); ignored while stopped", () => {
    const { m, cmd, raw, ctl } = setup();
    expect(raw(Uint8Array.of(3))).toEqual([]); // stopped: nothing to interrupt
    cmd("c");
    expect(ctl.running).toBe(true);
    m.runSlice(1000);
    expect(raw(Uint8Array.of(3))).toEqual(["T02thread:01;"]);
    expect(ctl.running).toBe(false);
    expect(cmd("?")).toBe("T02thread:01;");
  });

  it("D removes the breakpoints and resumes; k quits", () => {
    const { m, cmd, ctl, drive } = setup();
    cmd(`Z0,${AFTER.toString(16)},1`);
    expect(cmd("D")).toBe("OK");
    expect(ctl.running).toBe(true);
    expect(m.cpu.debug.isBreakpoint(AFTER)).toBe(false);
    drive();
    expect(m.cpu.state.rip).not.toBe(AFTER);
    const b = setup();
    expect(b.cmd("k")).toBeUndefined();
    expect(b.ctl.calls).toEqual(["stop", "quit 0"]);
  });
});
