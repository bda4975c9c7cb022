/**
 * Tests of the CLI entry `main`: exit codes and the exact one-line messages for user
 * mistakes, file checks on -kernel/-initrd, a file that is not a kernel, and a real boot of a
 * bare multiboot kernel whose isa-debug-exit status becomes the process exit code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";
import { multibootHello } from "../../../test/helpers/multiboot-hello.js";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

describe("tsemu main", () => {
  let dir: string;
  let kernel: string;
  let initrd: string;
  let empty: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsemu-cli-"));
    kernel = join(dir, "bzImage");
    initrd = join(dir, "rd.cpio.gz");
    empty = join(dir, "empty");
    writeFileSync(kernel, "MZ not really a kernel");
    writeFileSync(initrd, "x");
    writeFileSync(empty, "");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints usage and version", async () => {
    const h = await cli("--help");
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: tsemu \[options\]/);
    expect(h.out).toContain("-kernel FILE");
    expect(h.out).toContain("tsemu mkinitramfs DESC -o OUT.cpio[.gz]");
    expect(await cli("--version")).toEqual({ code: 0, out: "tsemu dev\n", err: "" });
  });

  const oneLine: [string[], string][] = [
    [["-bogus"], "tsemu: unknown option '-bogus' (see --help)\n"],
    [["-kernel"], "tsemu: option '-kernel' needs a value\n"],
    [["-nographic"], "tsemu: no kernel given (use -kernel bzImage; see --help)\n"],
    [["-kernel", "/nonexistent/bzImage"], "tsemu: kernel '/nonexistent/bzImage' does not exist\n"],
    [["-kernel", "/"], "tsemu: kernel '/' is not a regular file\n"],
  ];
  it.each(oneLine)("%j fails with exit 1 and one line", async (argv, msg) => {
    expect(await cli(...argv)).toEqual({ code: 1, out: "", err: msg });
  });

  it("checks the initrd and rejects empty files", async () => {
    expect(await cli("-kernel", kernel, "-initrd", join(dir, "nope"))).toEqual({
      code: 1, out: "", err: `tsemu: initrd '${join(dir, "nope")}' does not exist\n`,
    });
    expect((await cli("-kernel", empty)).err).toBe(`tsemu: kernel '${empty}' is empty\n`);
  });

  it("extract-vmlinux refuses a file that is not a bzImage in one line", async () => {
    expect(await cli("extract-vmlinux", kernel, "-o", join(dir, "vmlinux"))).toEqual({
      code: 1, out: "", err: "tsemu: not a bzImage: 22 bytes is too short for a setup header\n",
    });
    expect((await cli("extract-vmlinux", kernel)).err).toBe("tsemu: extract-vmlinux: no output given (use -o VMLINUX)\n");
  });

  it("a file that is not a kernel is one line and exit 1", async () => {
    const r = await cli("-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0", "-nographic");
    expect(r).toEqual({ code: 1, out: "", err: "tsemu: kernel is not a bzImage, a PVH vmlinux or a multiboot image\n" });
  });

  it("boots a multiboot kernel: serial to a file, isa-debug-exit status as the exit code", async () => {
    const mb = join(dir, "hello.elf");
    const out = join(dir, "serial.txt");
    writeFileSync(mb, multibootHello("hello from tsemu\n", 21));
    const r = await cli("-kernel", mb, "-m", "64", "-serial", `file:${out}`, "-display", "none");
    expect(r).toEqual({ code: 43, out: "", err: "" });
    expect(readFileSync(out, "utf8")).toBe("hello from tsemu\n");
  });

  it("-M microvm / -machine microvm boot on the microvm board; an unknown machine is one line", async () => {
    const mb = join(dir, "hello-microvm.elf");
    const out = join(dir, "serial-microvm.txt");
    writeFileSync(mb, multibootHello("hello from microvm\n", 5));
    for (const flag of ["-M", "-machine"]) {
      writeFileSync(out, "");
      expect(await cli("-kernel", mb, flag, "microvm", "-m", "64", "-serial", `file:${out}`, "-display", "none")).toEqual({ code: 11, out: "", err: "" });
      expect(readFileSync(out, "utf8")).toBe("hello from microvm\n");
    }
    expect(await cli("-kernel", mb, "-M", "q35")).toEqual({ code: 1, out: "", err: "tsemu: unsupported -machine 'q35' (supported: pc, microvm)\n" });
  });
});
