/**
 * Tests of the Node serial backends: Ctrl-A escape filtering, stdio input/output and raw
 * mode, file output, and the -serial factory.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { NullCharBackend } from "../../devices/char-backend.js";
import { createCharBackend, EscapeFilter, FileCharBackend, StdioCharBackend, type InputStream } from "./char-backends.js";

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("EscapeFilter", () => {
  it("passes plain bytes and extracts C-a commands, also across chunks", () => {
    const f = new EscapeFilter();
    expect(f.feed(bytes("ls\r\x03"))).toEqual({ data: bytes("ls\r\x03"), commands: [] });
    expect(f.feed(bytes("a\x01"))).toEqual({ data: bytes("a"), commands: [] });
    expect(f.feed(bytes("xb"))).toEqual({ data: bytes("b"), commands: ["exit"] });
    expect(f.feed(bytes("\x01h\x01\x01\x01B\x01zq"))).toEqual({ data: bytes("\x01q"), commands: ["help", "break"] });
  });

  it("split keeps data and commands in typed order (C-a c is the monitor key)", () => {
    const f = new EscapeFilter();
    expect(f.split(bytes("ab\x01cinfo\r\x01Cxy\x01"))).toEqual([bytes("ab"), "monitor", bytes("info\r"), "monitor", bytes("xy")]);
    expect(f.split(bytes("x"))).toEqual(["exit"]);
  });
});

describe("StdioCharBackend", () => {
  function setup(tty: boolean) {
    const stdin = new PassThrough() as PassThrough & InputStream;
    const modes: boolean[] = [];
    if (tty) {
      stdin.isTTY = true;
      stdin.setRawMode = (m: boolean) => { modes.push(m); return stdin; };
    }
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (d: Buffer) => { out += d.toString("latin1"); });
    const be = new StdioCharBackend(stdin, stdout);
    return { stdin, be, modes, out: () => out };
  }

  it("forwards input to the guest, guest output to stdout, and C-a x as an exit request", async () => {
    const { stdin, be, out } = setup(false);
    const got: number[] = [];
    let exits = 0;
    be.onInput((d) => got.push(...d));
    be.onExitRequest(() => { exits++; });
    be.write(bytes("login: "));
    stdin.write(Buffer.from("root\r\x01h\x01x"));
    await new Promise((r) => setImmediate(r));
    expect(String.fromCharCode(...got)).toBe("root\r");
    expect(exits).toBe(1);
    expect(out()).toContain("login: ");
    expect(out()).toContain("C-a x    exit emulator");
    be.dispose();
  });

  it("hands typed bytes to inputTarget while one is set, and reports C-a c", async () => {
    const { stdin, be } = setup(false);
    const guest: string[] = [];
    const monitor: string[] = [];
    let keys = 0;
    be.onInput((d) => guest.push(String.fromCharCode(...d)));
    be.onMonitorKey(() => {
      keys++;
      be.inputTarget = be.inputTarget ? undefined : (d) => monitor.push(String.fromCharCode(...d));
    });
    stdin.write(Buffer.from("ls\x01cinfo\r\x01cpwd"));
    await new Promise((r) => setImmediate(r));
    expect({ guest, monitor, keys }).toEqual({ guest: ["ls", "pwd"], monitor: ["info\r"], keys: 2 });
    be.dispose();
  });

  it("puts a TTY in raw mode and restores it on dispose", () => {
    const { be, modes } = setup(true);
    expect(modes).toEqual([true]);
    be.dispose();
    expect(modes).toEqual([true, false]);
  });
});

describe("FileCharBackend and createCharBackend", () => {
  it("writes guest output to the file and rejects an unopenable path", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsemu-serial-"));
    try {
      const be = createCharBackend({ kind: "file", path: join(dir, "ttyS0.log") }, { stdin: new PassThrough(), stdout: new PassThrough() });
      expect(be).toBeInstanceOf(FileCharBackend);
      be.write(bytes("Linux version 6.1\n"));
      be.write(bytes("TSEMU-BOOT-OK\n"));
      be.dispose();
      expect(readFileSync(join(dir, "ttyS0.log"), "utf8")).toBe("Linux version 6.1\nTSEMU-BOOT-OK\n");
      expect(() => new FileCharBackend(join(dir, "no/such/dir/x.log"))).toThrow(/^-serial file:.*cannot open/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("null discards", () => {
    expect(createCharBackend({ kind: "null" }, { stdin: new PassThrough(), stdout: new PassThrough() })).toBeInstanceOf(NullCharBackend);
  });
});
