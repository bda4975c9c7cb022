/**
 * The gdbstub end to end: the CLI (`main`, in process) boots a small multiboot kernel with
 * `-gdb tcp::0 -S` (a free loopback port, printed on stderr), and a client speaks RSP over a
 * TCP socket: breakpoint, continue, T05 at the breakpoint, registers, single-step, memory,
 * kill (the CLI exits 0); a guest exit reported as W. Then the real gdb when it is installed (skipped otherwise),
 * also against a long-mode kernel at 0xffffffff8xxxxxxx. Every wait is bounded; a test that fails still kills the emulator.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/host/node/cli.js";
import { encodePacket } from "../../src/gdb/packet.js";
import { multibootHello } from "../helpers/multiboot-hello.js";
import { HIGH, image as longModeImage, KBASE } from "../helpers/long-mode-kernel.js";
import { nasm } from "../helpers/nasm.js";

const image = nasm(`
  align 4
  mb: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb, 0x100000, 0, 0, start
start:
  mov esp, 0x90000
  mov dword [0x200000], 0x12345678
  xor ecx, ecx
spin:
  inc ecx                      ; 0x41 (32-bit code)
  mov eax, 0xabcdef01
  jmp spin
`, 32, 0x100000);
const SPIN = 0x100000 + image.indexOf(0xb8) - 1; // the inc just before `mov eax, imm32`

const hex64 = (v: number): string => [0, 8, 16, 24, 32, 40, 48, 56].map((s) => (Math.floor(v / 2 ** s) & 0xff).toString(16).padStart(2, "0")).join("");

/** Starts the CLI with the gdbstub on a free port; resolves once it listens. */
async function startEmulator(kernel: string): Promise<{ port: number; done: Promise<number>; err: () => string }> {
  let err = "";
  let found: (port: number) => void = () => {};
  const portP = new Promise<number>((res) => { found = res; });
  const done = main(["-kernel", kernel, "-m", "32", "-serial", "null", "-gdb", "tcp::0", "-S"], {
    stdout: () => {},
    stderr: (t) => {
      err += t;
      const m = /gdbstub listening on tcp:127\.0\.0\.1:(\d+)/.exec(err);
      if (m) found(Number(m[1]));
    },
  });
  const port = await Promise.race([portP, done.then((c) => { throw new Error(`exited ${c}: ${err}`); }), timeout(10_000, "no listening line")]);
  return { port, done, err: () => err };
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms).unref());
}

/** A minimal RSP client: sends packets, acks replies, returns payloads. */
class Client {
  private _buf = "";
  private _waiter: (() => void) | undefined;
  constructor(private readonly _s: Socket) {
    _s.on("data", (d: Buffer) => { this._buf += d.toString("latin1"); this._waiter?.(); });
  }
  static open(port: number): Promise<Client> {
    return new Promise((res, rej) => {
      const s = connect(port, "127.0.0.1", () => res(new Client(s)));
      s.on("error", rej);
    });
  }
  /** The next reply packet (acks skipped). */
  async reply(ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      this._buf = this._buf.replace(/^\++/, "");
      const m = /^\$([^#]*)#[0-9a-f]{2}/.exec(this._buf);
      if (m) {
        this._buf = this._buf.slice(m[0].length);
        this._s.write("+");
        return m[1]!;
      }
      if (Date.now() > deadline) throw new Error(`no reply; buffer ${JSON.stringify(this._buf)}`);
      await Promise.race([new Promise<void>((r) => { this._waiter = r; }), new Promise((r) => setTimeout(r, 100))]);
    }
  }
  send(p: string): void { this._s.write(encodePacket(p), "latin1"); }
  /** Ctrl-C: a bare 0x03 byte. */
  interrupt(): void { this._s.write(Buffer.of(3)); }
  async cmd(p: string): Promise<string> {
    this.send(p);
    return this.reply();
  }
  close(): void { this._s.destroy(); }
}

describe("gdbstub over TCP", () => {
  let dir: string;
  let kernel: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsemu-gdb-"));
    kernel = join(dir, "spin.elf");
    writeFileSync(kernel, image);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("breakpoint, continue, registers, step, memory, Ctrl-C, kill", async () => {
    const emu = await startEmulator(kernel);
    const c = await Client.open(emu.port);
    try {
      expect(await c.cmd("qSupported:xmlRegisters=i386")).toContain("qXfer:features:read+");
      expect(await c.cmd("?")).toBe("T05thread:01;");
      expect(await c.cmd(`Z0,${SPIN.toString(16)},1`)).toBe("OK");
      c.send("c");
      expect(await c.reply()).toBe("T05thread:01;");
      expect(await c.cmd("p10")).toBe(hex64(SPIN)); // rip is register 16
      expect((await c.cmd("g")).slice(32, 48)).toBe(hex64(0)); // rcx: the first time round
      expect(await c.cmd("m200000,4")).toBe("78563412");
      c.send("s");
      expect(await c.reply()).toBe("T05thread:01;");
      expect(await c.cmd("p10")).toBe(hex64(SPIN + 1));
      expect(await c.cmd("p2")).toBe(hex64(1)); // rcx after the inc
      c.send("c");
      expect(await c.reply()).toBe("T05thread:01;"); // around the loop once more
      expect(await c.cmd("p2")).toBe(hex64(1));
      expect(await c.cmd(`z0,${SPIN.toString(16)},1`)).toBe("OK");
      c.send("c");
      await new Promise((r) => setTimeout(r, 100));
      c.interrupt();
      expect(await c.reply()).toBe("T02thread:01;");
      c.send("k");
      expect(await Promise.race([emu.done, timeout(10_000, "exit after k")])).toBe(0);
    } finally {
      c.close();
      await Promise.race([emu.done, new Promise((r) => setTimeout(r, 3000))]);
    }
  });

  it("a guest that exits while gdb waits: W with the exit status, then the CLI ends with it", async () => {
    const hello = join(dir, "hello.elf");
    writeFileSync(hello, multibootHello("bye\n", 21));
    const emu = await startEmulator(hello);
    const c = await Client.open(emu.port);
    try {
      expect(await c.cmd("?")).toBe("T05thread:01;");
      c.send("c");
      expect(await c.reply()).toBe("W2b"); // isa-debug-exit: (21 << 1) | 1
      expect(await Promise.race([emu.done, timeout(10_000, "exit")])).toBe(43);
    } finally {
      c.close();
    }
  });

  const hasGdb = spawnSync("gdb", ["--version"]).status === 0;
  /** Runs `gdb -batch` with these -ex commands against a fresh emulator; its output, after the emulator exited 0. */
  async function withGdb(kernelPath: string, commands: string[]): Promise<string> {
    const emu = await startEmulator(kernelPath);
    const gdb = spawn("gdb", ["-nx", "-batch", "-ex", `target remote 127.0.0.1:${emu.port}`, ...commands.flatMap((c) => ["-ex", c]), "-ex", "kill"],
      { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    gdb.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    gdb.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    const gdbExit = new Promise<number | null>((res) => gdb.on("close", res));
    try {
      await Promise.race([gdbExit, timeout(30_000, "gdb")]);
      expect(await Promise.race([emu.done, timeout(10_000, `exit after kill; gdb said:\n${out}`)])).toBe(0);
      return out;
    } finally {
      gdb.kill();
      if (!(await Promise.race([emu.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))]))) {
        const c = await Client.open(emu.port).catch(() => undefined);
        c?.send("k");
      }
    }
  }

  it.skipIf(!hasGdb)("the real gdb: target remote, break, continue, info registers, stepi, x, monitor, kill", async () => {
    const out = await withGdb(kernel, [
      `break *0x${SPIN.toString(16)}`, "continue", "info registers rip", "stepi", "info registers rip rcx",
      "x/wx 0x200000", "monitor info status",
    ]);
    expect(out).toMatch(new RegExp(`rip\\s+0x${SPIN.toString(16)}\\s`));
    expect(out).toMatch(new RegExp(`rip\\s+0x${(SPIN + 1).toString(16)}\\s`));
    expect(out).toMatch(/rcx\s+0x1\s/);
    expect(out).toMatch(/0x200000:\s+0x12345678/);
    expect(out).toContain("VM status: paused");
    expect(out).not.toMatch(/warning: .*(description|architecture)/i);
  });

  it.skipIf(!hasGdb)("the real gdb in long mode at 0xffffffff8xxxxxxx: break, stepi, registers, x/i, fs_base", async () => {
    const lm = join(dir, "long.elf");
    writeFileSync(lm, longModeImage);
    const high = `0xffffffff8${(HIGH - KBASE).toString(16).padStart(7, "0")}`;
    const out = await withGdb(lm, [
      `break *${high}`, "continue", "info registers rip", "x/i $pc", "stepi", "stepi", "info registers rbx rcx",
      "x/wx 0xffffffff80300000", "p/x $fs_base",
    ]);
    expect(out).toContain(`rip            ${high}`);
    expect(out).toMatch(new RegExp(`=> ${high}:\\s+movabs \\$0x1122334455667788,%rbx`));
    expect(out).toMatch(/rbx\s+0x1122334455667788\s/);
    expect(out).toMatch(/rcx\s+0x89abcdef\s/);
    expect(out).toMatch(/0xffffffff80300000:\s+0x89abcdef/);
    expect(out).toMatch(/\$1 = 0x0/);
  });
});
