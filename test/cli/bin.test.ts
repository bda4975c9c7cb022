/**
 * System test of the installed command: builds the bundles (scripts/build.mjs), then runs
 * `node bin/tsemu.js` as a user would and checks exit codes and that errors are one line
 * with no stack trace.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../fixtures/paths.js";
import { multibootEcho } from "../helpers/multiboot-hello.js";

const bin = join(REPO_ROOT, "bin/tsemu.js");
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: REPO_ROOT });

describe("bin/tsemu.js", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, "scripts/build.mjs")], { cwd: REPO_ROOT });
  });

  it("prints the package version", () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const r = run("--version");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`tsemu ${version}\n`);
  });

  it("reports an unknown flag in one line with exit code 1", () => {
    const r = run("-kernel", "package.json", "-fly");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("tsemu: unknown option '-fly' (see --help)\n");
  });

  it("reports a missing kernel file in one line with exit code 1", () => {
    const r = run("-kernel", "no/such/bzImage", "-nographic");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("tsemu: kernel 'no/such/bzImage' does not exist\n");
  });

  it("boot path: a file that is not a kernel is one line, exit code 1, no stack trace", () => {
    const r = run("-kernel", "package.json", "-append", "console=ttyS0", "-nographic");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^tsemu: kernel [^\n]*\n$/);
  });

  it("mkinitramfs reads the description from standard input with DESC -", () => {
    const out = join(mkdtempSync(join(tmpdir(), "tsemu-bin-")), "stdin.cpio");
    const r = spawnSync(process.execPath, [bin, "mkinitramfs", "-", "-o", out], {
      input: "dir /etc 0755 0 0\nslink /etc/mtab /proc/mounts 0777 0 0\n",
    });
    expect(r.status).toBe(0);
    const listing = execFileSync("cpio", ["-it", "--quiet"], { input: readFileSync(out), encoding: "utf8" });
    expect(listing).toBe("etc\netc/mtab\n");
  });

  it("-monitor stdio reads commands from a pipe: info registers, then quit exits 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsemu-bin-"));
    const kernel = join(dir, "echo.elf");
    writeFileSync(kernel, multibootEcho("ready\n"));
    const r = spawnSync(process.execPath, [bin, "-kernel", kernel, "-m", "64", "-serial", "null", "-monitor", "stdio"], {
      input: "info registers\nx /2i $pc\nquit\n", encoding: "utf8", cwd: REPO_ROOT, timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tsemu \d+\.\d+\.\d+\S* monitor - type 'help' for more information\r\n\(qemu\) EAX=/);
    expect(r.stdout).toMatch(/\r\nEIP=001000[0-9a-f]{2} EFL=[0-9a-f]{8} \[[-DOSZAPC]{7}\] CPL=0 II=[01] A20=1 SMM=0 HLT=0\r\n/);
    expect(r.stdout).toMatch(/\(qemu\) 0x00000000001000[0-9a-f]{2}: {2}\w+/);
    expect(r.stdout.endsWith("(qemu) ")).toBe(true);
  });

  it("the browser bundle loads and exports the version", async () => {
    const mod = (await import(join(REPO_ROOT, "dist/browser.js"))) as { VERSION: string };
    expect(mod.VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
