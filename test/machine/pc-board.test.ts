/**
 * The PC board end to end with a bare multiboot kernel (nasm): the loader picks the format,
 * the CPU starts in flat 32-bit protected mode with EAX = multiboot magic, the kernel prints
 * on COM1 (polling LSR) and powers off through isa-debug-exit; the machine reports the exit
 * status (value << 1) | 1. Also: a garbled kernel is a one-line ConfigError.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/common/errors.js";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createPcMachine } from "../../src/machine/pc.js";
import { multibootHello } from "../helpers/multiboot-hello.js";

const kernel = () => multibootHello("multiboot ok\n", 21);

describe("pc board", () => {
  it("boots a multiboot kernel that prints on COM1 and exits through isa-debug-exit", () => {
    const serial = new MemoryCharBackend();
    const m = createPcMachine({ kernel: kernel(), serial, memoryBytes: 64 << 20 });
    expect(m.kernelFormat).toBe("multiboot");
    let r = m.runSlice();
    for (let i = 0; i < 100 && r.kind === "running"; i++) r = m.runSlice();
    expect(r).toEqual({ kind: "exit", exitCode: 43, reason: "isa-debug-exit" });
    expect(serial.text).toBe("multiboot ok\n");
    m.dispose();
  });

  it("rejects a kernel that is not a kernel with a one-line ConfigError", () => {
    const garbage = new Uint8Array(4096).fill(0x90);
    expect(() => createPcMachine({ kernel: garbage, memoryBytes: 64 << 20 })).toThrow(ConfigError);
    expect(() => createPcMachine({ kernel: garbage, memoryBytes: 64 << 20 })).toThrow(/not a bzImage, a PVH vmlinux or a multiboot image/);
  });
});
