/**
 * The gdbstub with a 64-bit guest at kernel-style addresses: a multiboot kernel (nasm) builds
 * 4-level page tables mapping 0xffffffff80000000 -> physical 0 (as Linux maps its text),
 * enters long mode and jumps up there. Breakpoints, rip, memory reads and writes at those
 * addresses (64-bit hex above 2^53 as unsigned text, negative numbers inside), 64-bit
 * registers and fs_base.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../machine/machine.js";
import { createPcMachine } from "../machine/pc.js";
import { HIGH, image, KBASE } from "../../test/helpers/long-mode-kernel.js";
import { hex64, stubHarness } from "../../test/helpers/gdb-stub-harness.js";
import { REGISTERS } from "./registers.js";

const hexAddr = (v: number): string => {
  const hi = Math.floor(v / 2 ** 32);
  return (hi >>> 0).toString(16) + (v - hi * 2 ** 32).toString(16).padStart(8, "0");
};
const reg = (name: string): string => REGISTERS.findIndex((r) => r.name === name).toString(16);

const machines: Machine[] = [];
afterEach(() => { while (machines.length) machines.pop()!.dispose(); });

describe("gdbstub: long mode at 0xffffffff8xxxxxxx", () => {
  it("breaks, steps and reads/writes memory at kernel addresses", () => {
    const m = createPcMachine({ kernel: image, memoryBytes: 64 << 20 });
    machines.push(m);
    const { cmd, drive, sent } = stubHarness(m);
    const highHex = `ffffffff8${(HIGH - KBASE).toString(16).padStart(7, "0")}`;
    expect(hexAddr(HIGH)).toBe(highHex);
    expect(cmd(`Z0,${highHex},1`)).toBe("OK");
    cmd("c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(m.cpu.state.rip).toBe(HIGH);
    expect(cmd(`p${reg("rip")}`)).toBe(hex64(HIGH));
    expect(cmd(`m${highHex},2`)).toBe("48bb");
    cmd("s");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd(`p${reg("rbx")}`)).toBe("8877665544332211");
    expect(cmd("mffffffff80300000,4")).toBe("efcdab89");
    expect(cmd("Mffffffff80300000,4:78563412")).toBe("OK");
    expect(cmd("m300000,4")).toBe("78563412"); // the identity map sees the same page
    cmd("s");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd(`p${reg("rcx")}`)).toBe(hex64(0x12345678));
    cmd("s");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd(`p${reg("rdx")}`)).toBe(hex64(HIGH));
    expect(cmd("m0000800000000000,1")).toBe("E14"); // non-canonical
    expect(cmd(`P${reg("fs_base")}=${hex64(-0x1000)}`)).toBe("OK");
    expect(m.cpu.state.seg(4).base).toBe(-0x1000);
    expect(cmd(`p${reg("fs_base")}`)).toBe("00f0ffffffffffff");
  });
});
