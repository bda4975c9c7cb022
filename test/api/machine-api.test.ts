/**
 * The public library API (src/index.ts) against bare multiboot kernels: run to exit, run until
 * output, type into an echoing guest, limits as "timeout" results, disposal, several machines
 * at once, and option validation as one-line ConfigErrors.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, createMachine, parseMemory, type Machine } from "../../src/index.js";
import { multibootEcho, multibootHello } from "../helpers/multiboot-hello.js";
import { nasm } from "../helpers/nasm.js";

const hello = multibootHello("one two three\n", 0x21);
const echo = multibootEcho("ready\n");
const small = { memory: "64M" } as const;

/** Writes "c1" to COM1, then "c2" to COM2, then exits through isa-debug-exit with 3. */
const twoPorts = nasm(`
  align 4
  mb_header: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb_header, 0x100000, 0, 0, start
  start:
    mov dx, 0x3f8
    mov al, 'c'
    out dx, al
    mov al, '1'
    out dx, al
    mov dx, 0x2f8
    mov al, 'c'
    out dx, al
    mov al, '2'
    out dx, al
    mov dx, 0xf4
    mov eax, 3
    out dx, eax
    hlt
`, 32, 0x100000);

/** Runs `body` with a fresh machine and disposes it afterwards (even on failure). */
async function withMachine<T>(m: Machine, body: (m: Machine) => Promise<T>): Promise<T> {
  try {
    return await body(m);
  } finally {
    m.dispose();
  }
}

describe("library API", () => {
  it("runs a guest to its isa-debug-exit status and captures COM1 through onData and text", async () => {
    await withMachine(createMachine({ kernel: hello, ...small }), async (m) => {
      const chunks: number[] = [];
      const sub = m.serial(0).onData((b) => chunks.push(...b));
      expect(m.exitCode).toBeUndefined();
      const r = await m.run();
      expect(r).toEqual({ kind: "exit", exitCode: (0x21 << 1) | 1, reason: expect.stringMatching(/./) });
      expect(m.exitCode).toBe(0x43);
      expect(m.serial(0).text).toBe("one two three\n");
      expect(new TextDecoder().decode(Uint8Array.from(chunks))).toBe("one two three\n");
      expect(m.serial(0).bytes).toEqual(new TextEncoder().encode("one two three\n"));
      sub.dispose();
      expect(m.stats.instructions).toBeGreaterThan(14 * 4);
      expect(m.stats.jitStats().blocksTranslated).toBeGreaterThan(0);
      // An exited machine stays exited.
      expect(await m.run()).toEqual(r);
    });
  });

  it("run({ until }) stops at the text (string or RegExp), matching from the end of the previous match", async () => {
    await withMachine(createMachine({ kernel: hello, ...small }), async (m) => {
      expect(await m.run({ until: "two" })).toEqual({ kind: "match", match: "two", output: "one two" });
      expect(await m.run({ until: /t(h)re+/ })).toEqual({ kind: "match", match: "three", output: " three" });
      // "one" is behind the cursor: the guest exits instead.
      expect(await m.run({ until: "one" })).toMatchObject({ kind: "exit", exitCode: 0x43 });
    });
  });

  it("types into an echoing guest with serial(0).write and waitFor", async () => {
    await withMachine(createMachine({ kernel: echo, ...small }), async (m) => {
      expect(await m.waitFor("ready\n")).toBe("ready\n");
      m.serial(0).write("ping");
      expect(await m.waitFor("ping")).toBe("ping");
      m.serial(0).write(new Uint8Array([0x68, 0xc3, 0xa9])); // "hé" in UTF-8
      expect(await m.waitFor(/h./)).toBe("hé");
      expect(m.serial(0).text).toBe("ready\npinghé");
      expect(m.exitCode).toBeUndefined();
    });
  });

  it("limits resolve as timeout results: maxInstructions, an aborted signal, a signal that fires while running", async () => {
    await withMachine(createMachine({ kernel: echo, ...small }), async (m) => {
      const before = m.stats.instructions;
      expect(await m.run({ until: "never", maxInstructions: 3_000_000 })).toEqual({ kind: "timeout", by: "instructions" });
      const ran = m.stats.instructions - before;
      expect(ran).toBeGreaterThanOrEqual(3_000_000);
      expect(ran).toBeLessThan(3_100_000);
      const c = new AbortController();
      c.abort();
      expect(await m.run({ signal: c.signal })).toEqual({ kind: "timeout", by: "signal" });
      expect(await m.run({ until: "never", signal: AbortSignal.timeout(30) })).toEqual({ kind: "timeout", by: "signal" });
      await expect(m.waitFor("never", { maxInstructions: 1000 })).rejects.toThrow(/waitFor\(never\): timed out \(maxInstructions\); COM1 ends with: "ready\\n"/);
    });
  });

  it("run({ until, port }) watches another serial port, with its own cursor", async () => {
    await withMachine(createMachine({ kernel: twoPorts, ...small, serialPorts: 2 }), async (m) => {
      expect(await m.run({ until: "c", port: 1 })).toEqual({ kind: "match", match: "c", output: "c" });
      expect(m.serial(0).text).toBe("c1");
      expect(await m.waitFor(/\d/, { port: 1 })).toBe("2");
      expect(await m.waitFor("c1")).toBe("c1");
      await expect(m.waitFor("x", { port: 1 })).rejects.toThrow('waitFor(x): the guest exited (status 7: isa-debug-exit); COM2 ends with: "c2"');
      await expect(m.run({ port: 2 })).rejects.toThrow(ConfigError);
    });
  });

  it("is deterministic by default: the same guest exits after the same instruction count", async () => {
    const counts: number[] = [];
    for (let i = 0; i < 2; i++) {
      await withMachine(createMachine({ kernel: hello, ...small }), async (m) => {
        await m.run();
        counts.push(m.stats.instructions);
      });
    }
    expect(counts[0]).toBe(counts[1]);
  });

  it("runs in real time with an injected host clock", async () => {
    await withMachine(createMachine({ kernel: echo, ...small, clock: "realtime", now: () => performance.now() }), async (m) => {
      await m.waitFor("ready");
      m.serial(0).write("rt");
      expect(await m.waitFor("rt")).toBe("\nrt");
      const t = m.stats.virtualTimeNs;
      expect(t).toBeGreaterThan(0);
      // Virtual time runs only inside run().
      await new Promise((res) => setTimeout(res, 30));
      expect(m.stats.virtualTimeNs).toBe(t);
    });
  });

  it("runs two machines side by side, each with its own serial ports", async () => {
    const a = createMachine({ kernel: echo, ...small, serialPorts: 2 });
    const b = createMachine({ kernel: hello, ...small, board: "microvm" });
    try {
      const [ra, rb] = await Promise.all([a.run({ until: "ready" }), b.run()]);
      expect(ra).toMatchObject({ kind: "match", output: "ready" });
      expect(rb).toMatchObject({ kind: "exit", exitCode: 0x43 });
      expect(a.serial(1).text).toBe("");
      expect(b.serial(0).text).toBe("one two three\n");
      expect(b.board).toBe("microvm");
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("dispose is idempotent; a disposed machine refuses to run; disposing mid-run rejects that run", async () => {
    const m = createMachine({ kernel: echo, ...small });
    const running = m.run();
    await expect(m.run()).rejects.toThrow("already running");
    setTimeout(() => m.dispose(), 20);
    await expect(running).rejects.toThrow("disposed while running");
    m.dispose();
    expect(m.isDisposed).toBe(true);
    await expect(m.run()).rejects.toThrow("disposed");
  });

  it("rethrows an exception of an onData listener from run()", async () => {
    await withMachine(createMachine({ kernel: hello, ...small }), async (m) => {
      m.serial(0).onData(() => { throw new Error("listener broke"); });
      await expect(m.run()).rejects.toThrow("listener broke");
    });
  });

  it("invalid options are one-line ConfigErrors", () => {
    const bad: [unknown, RegExp][] = [
      [{ kernel: "vmlinux" }, /^kernel: must be a Uint8Array/],
      [{ kernel: hello, memory: "lots" }, /^memory: invalid size 'lots'/],
      [{ kernel: hello, memory: 1000 }, /^memory: 1000 is not a multiple of 4 KiB/],
      [{ kernel: hello, memory: "8G" }, /out of range/],
      [{ kernel: hello, board: "q35" }, /^board: unknown board 'q35' \(supported: pc, microvm\)/],
      [{ kernel: hello, clock: "realtime" }, /^clock: "realtime" needs the host clock as option now/],
      [{ kernel: hello, serialPorts: 5 }, /^serialPorts: must be 1\.\.4/],
      [{ kernel: hello, cmdline: "x" }, /^createMachine: unknown option 'cmdline'/],
      [{ kernel: new Uint8Array(64) }, /./],
    ];
    for (const [opts, msg] of bad) {
      let err: unknown;
      try {
        createMachine(opts as Parameters<typeof createMachine>[0]).dispose();
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toContain("\n");
    }
    const m = createMachine({ kernel: hello, ...small });
    expect(() => m.serial(1)).toThrow(/^serial\(1\): the machine has serial ports 0\.\.0$/);
    m.dispose();
    expect(parseMemory("512M")).toBe(512 * 2 ** 20);
    expect(parseMemory("2G")).toBe(2 ** 31);
    expect(parseMemory("128")).toBe(128 * 2 ** 20);
    expect(parseMemory("256MiB")).toBe(256 * 2 ** 20);
    expect(parseMemory("1gb")).toBe(2 ** 30);
    expect(() => parseMemory("512i")).toThrow(ConfigError);
    expect(parseMemory(65536 * 1024)).toBe(64 * 2 ** 20);
  });
});
