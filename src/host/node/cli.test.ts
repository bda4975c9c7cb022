/**
 * Tests of the CLI entry `main`: exit codes and the exact one-line messages for user
 * mistakes, file checks on -kernel/-initrd, a file that is not a kernel, a real boot of a
 * bare multiboot kernel whose isa-debug-exit status becomes the process exit code, and the
 * monitor on stdio driven by scripted input (alone, multiplexed with C-a c, and -S).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";
import { multibootEcho, multibootHello } from "../../../test/helpers/multiboot-hello.js";

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

/** A CLI run with scripted stdin: `main` in-process with PassThrough streams as the terminal. */
function interactive(argv: string[]) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => { out += d.toString("latin1"); });
  const done = main(argv, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, stdio: { stdin, stdout } });
  /** Resolves once the output (from `from` on) matches. */
  const until = async (re: RegExp, from = 0): Promise<number> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const m = re.exec(out.slice(from));
      if (m) return from + m.index + m[0].length;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { type: (s: string) => stdin.write(Buffer.from(s, "latin1")), until, out: () => out, err: () => err, done };
}

describe("the monitor on stdio", () => {
  let dir: string;
  let echoKernel: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsemu-mon-"));
    echoKernel = join(dir, "echo.elf");
    writeFileSync(echoKernel, multibootEcho("ready\n"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("-monitor stdio: commands after the prompt, info registers of the running guest, quit exits 0", async () => {
    const serialOut = join(dir, "serial.txt");
    const t = interactive(["-kernel", echoKernel, "-m", "64", "-serial", `file:${serialOut}`, "-monitor", "stdio"]);
    await t.until(/\(qemu\) $/);
    t.type("stop\r\ninfo status\r\n");
    await t.until(/VM status: paused\r\n\(qemu\) $/);
    t.type("info registers\r");
    await t.until(/EFL=[0-9a-f]{8} \[[-DOSZAPC]{7}\] CPL=0[^\n]*\r\n(.*\r\n)*\(qemu\) $/);
    t.type("bogus\rcont\rinfo status\rquit\r");
    expect(await t.done).toBe(0);
    const out = t.out();
    expect(out).toMatch(/^tsemu dev monitor - type 'help' for more information\r\n\(qemu\) /);
    expect(out).toMatch(/\r\nEIP=001000[0-9a-f]{2} EFL=/);
    expect(out).toContain("\r\nCS =0010 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]\r\n");
    expect(out).toContain("unknown command: 'bogus'\r\n(qemu) ");
    expect(out).toContain("VM status: running\r\n(qemu) ");
    expect(out.endsWith("(qemu) ")).toBe(true); // the prompt before quit, none after
    expect(readFileSync(serialOut, "utf8")).toBe("ready\n");
    expect(t.err()).toBe("");
  });

  it("-nographic: console and monitor share stdio, C-a c switches, C-a x exits", async () => {
    const t = interactive(["-kernel", echoKernel, "-m", "64", "-nographic"]);
    let at = await t.until(/ready\n/);
    t.type("ab");
    at = await t.until(/^ab/, at); // the guest echoes console input
    t.type("\x01c");
    at = await t.until(/^\r\ntsemu dev monitor - type 'help' for more information\r\n\(qemu\) $/, at);
    t.type("info status\rstop\r");
    at = await t.until(/^VM status: running\r\n\(qemu\) \(qemu\) $/, at); // typed text went to the monitor, not the guest
    t.type("cont\r\x01c");
    at = await t.until(/^\(qemu\) \r\n$/, at);
    t.type("cd");
    at = await t.until(/^cd$/, at); // back on the console: the guest gets the bytes again
    t.type("\x01cinfo status\r");
    await t.until(/^\r\n\(qemu\) VM status: running\r\n\(qemu\) $/, at);
    t.type("\x01x");
    expect(await t.done).toBe(0);
    expect(t.err()).toBe("");
  });

  it("-S starts stopped: nothing runs before cont; -S without a monitor is a one-line error", async () => {
    const t = interactive(["-kernel", echoKernel, "-m", "64", "-serial", "stdio", "-monitor", "stdio", "-S"]);
    await t.until(/\(qemu\) $/);
    t.type("info status\rp $eax\r");
    await t.until(/VM status: paused\r\n\(qemu\) 0x2badb002\r\n\(qemu\) $/);
    expect(t.out()).not.toContain("ready");
    t.type("c\r\x01c");
    await t.until(/ready\n/);
    t.type("\x01cq\r");
    expect(await t.done).toBe(0);
    expect(await cli("-kernel", echoKernel, "-S", "-serial", "null")).toEqual({
      code: 1, out: "", err: "tsemu: -S needs a monitor or gdb to continue (use -monitor stdio, or -s / -gdb tcp::PORT)\n",
    });
  });

  it("stdio can back only one serial port", async () => {
    expect(await cli("-kernel", echoKernel, "-serial", "stdio", "-serial", "stdio")).toEqual({
      code: 1, out: "", err: "tsemu: stdio can serve only one -serial port\n",
    });
  });

  it("-gdb on an address that cannot be used is a one-line error", async () => {
    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, "127.0.0.1", res));
    const port = (blocker.address() as AddressInfo).port;
    try {
      expect(await cli("-kernel", echoKernel, "-serial", "null", "-gdb", `tcp::${port}`)).toEqual({
        code: 1, out: "", err: `tsemu: -gdb tcp::${port}: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`,
      });
    } finally {
      blocker.close();
    }
  });
});
