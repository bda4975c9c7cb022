/**
 * System test of `tsemu mkinitramfs` against the host's GNU cpio and gzip: `cpio -itv`
 * must list exactly the described entries, modes, owners, device numbers and link targets;
 * extracted hard links must share an inode; malformed descriptions fail with a line number.
 */
import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipStored } from "../../src/boot/gzip.js";
import { main } from "../../src/host/node/cli.js";

interface Listed { mode: string; nlink: number; uid: string; gid: string; dev?: string; size?: number; name: string; target?: string }

/** Parses `cpio -itv --numeric-uid-gid` lines, e.g. "crw-------   1 0  0  5,   1 Jan  1  1970 dev/console". */
function parseListing(text: string): Listed[] {
  const re = /^(\S{10})\s+(\d+)\s+(\S+)\s+(\S+)\s+(?:(\d+),\s*(\d+)|(\d+))\s+\w{3}\s+\d+\s+(?:\d{4}|\d\d:\d\d)\s+(.*)$/;
  return text.trim().split("\n").map((line) => {
    const m = re.exec(line);
    if (!m) throw new Error(`unparsed cpio line: ${line}`);
    const [name, target] = m[8]!.split(" -> ");
    return {
      mode: m[1]!, nlink: Number(m[2]), uid: m[3]!, gid: m[4]!, name: name!,
      ...(m[5] !== undefined ? { dev: `${m[5]},${m[6]}` } : { size: Number(m[7]) }),
      ...(target !== undefined ? { target } : {}),
    };
  });
}

const cpioList = (archive: Uint8Array): Listed[] =>
  parseListing(execFileSync("cpio", ["-itv", "--numeric-uid-gid", "--quiet"], { input: archive, encoding: "utf8" }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

const DESC = `# every entry type of gen_init_cpio
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/vda 0660 0 6 b 254 3
dir /bin 0755 0 0
dir /sbin 0700 0 0
file /bin/sh data/hello.txt 4755 1000 100 /bin/ash /sbin/sh
file /init data/init.sh 0755 0 0
slink /bin/ls /bin/busybox 0777 0 0
dir /run 1777 0 0
pipe /run/fifo 0644 0 0
sock /run/sock 0600 2 3
`;

const EXPECTED: Listed[] = [
  { mode: "drwxr-xr-x", nlink: 2, uid: "0", gid: "0", size: 0, name: "dev" },
  { mode: "crw-------", nlink: 1, uid: "0", gid: "0", dev: "5,1", name: "dev/console" },
  { mode: "brw-rw----", nlink: 1, uid: "0", gid: "6", dev: "254,3", name: "dev/vda" },
  { mode: "drwxr-xr-x", nlink: 2, uid: "0", gid: "0", size: 0, name: "bin" },
  { mode: "drwx------", nlink: 2, uid: "0", gid: "0", size: 0, name: "sbin" },
  { mode: "-rwsr-xr-x", nlink: 3, uid: "1000", gid: "100", size: 0, name: "bin/sh" },
  { mode: "-rwsr-xr-x", nlink: 3, uid: "1000", gid: "100", size: 0, name: "bin/ash" },
  { mode: "-rwsr-xr-x", nlink: 3, uid: "1000", gid: "100", size: 12, name: "sbin/sh" },
  { mode: "-rwxr-xr-x", nlink: 1, uid: "0", gid: "0", size: 20, name: "init" },
  { mode: "lrwxrwxrwx", nlink: 1, uid: "0", gid: "0", size: 12, name: "bin/ls", target: "/bin/busybox" },
  { mode: "drwxrwxrwt", nlink: 2, uid: "0", gid: "0", size: 0, name: "run" },
  { mode: "prw-r--r--", nlink: 1, uid: "0", gid: "0", size: 0, name: "run/fifo" },
  { mode: "srw-------", nlink: 1, uid: "2", gid: "3", size: 0, name: "run/sock" },
];

describe("tsemu mkinitramfs with GNU cpio", () => {
  let dir: string;
  const cwd = process.cwd();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsemu-mkinitramfs-"));
    execSync("mkdir -p data", { cwd: dir });
    writeFileSync(join(dir, "data/hello.txt"), "hello world\n");
    writeFileSync(join(dir, "data/init.sh"), "#!/bin/sh\necho init\n");
    writeFileSync(join(dir, "desc.txt"), DESC);
    process.chdir(dir); // locations are relative to the current directory, as in gen_init_cpio
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a newc archive that cpio -itv lists exactly as described", async () => {
    expect(await cli("mkinitramfs", "desc.txt", "-o", "out.cpio")).toEqual({ code: 0, out: "", err: "" });
    expect(cpioList(readFileSync("out.cpio"))).toEqual(EXPECTED);
  });

  it("extracts with cpio: contents, hard links sharing one inode, symlink target", async () => {
    await cli("mkinitramfs", "desc.txt", "-o", "out.cpio");
    execSync("mkdir -p x && cd x && cpio -id --quiet 'bin/*' 'sbin/*' init < ../out.cpio");
    const ino = ["x/bin/sh", "x/bin/ash", "x/sbin/sh"].map((p) => statSync(p).ino);
    expect(new Set(ino).size).toBe(1);
    expect(statSync("x/bin/sh").nlink).toBe(3);
    expect(readFileSync("x/bin/ash", "utf8")).toBe("hello world\n");
    expect(readFileSync("x/init", "utf8")).toBe("#!/bin/sh\necho init\n");
    expect(statSync("x/init").mode & 0o7777).toBe(0o755);
    expect(readlinkSync("x/bin/ls")).toBe("/bin/busybox");
  });

  it("gzips when the output ends in .gz: node:zlib and gzip -d both read it", async () => {
    await cli("mkinitramfs", "desc.txt", "-o", "out.cpio");
    expect((await cli("mkinitramfs", "desc.txt", "-o", "out.cpio.gz")).code).toBe(0);
    const gz = readFileSync("out.cpio.gz");
    expect(gz.length).toBeLessThan(readFileSync("out.cpio").length);
    expect(Buffer.compare(gunzipSync(gz), readFileSync("out.cpio"))).toBe(0);
    expect(Buffer.compare(execSync("gzip -dc out.cpio.gz"), readFileSync("out.cpio"))).toBe(0);
  });

  it("the host-neutral stored-block gzip is readable by gzip -d | cpio -itv", async () => {
    await cli("mkinitramfs", "desc.txt", "-o", "out.cpio");
    const plain = gunzipSync(gzipStored(readFileSync("out.cpio")));
    const viaGzip = execFileSync("gzip", ["-dc"], { input: gzipStored(readFileSync("out.cpio")) });
    expect(Buffer.compare(plain, viaGzip)).toBe(0);
    expect(cpioList(viaGzip)).toEqual(EXPECTED);
  });

  it("applies -t MTIME to every entry", async () => {
    await cli("mkinitramfs", "desc.txt", "-o", "t.cpio", "-t", "1700000000");
    const listing = execFileSync("cpio", ["-itv", "--quiet"], { input: readFileSync("t.cpio"), encoding: "utf8" });
    expect(listing.trim().split("\n").every((l) => / Nov 1[45]\s+2023 /.test(l))).toBe(true);
  });

  it("reports a malformed description in one line naming the line number", async () => {
    writeFileSync("bad.txt", "dir /a 0755 0 0\n\n# comment\nnod /dev/x 0600 0 0 q 1 2\n");
    const r = await cli("mkinitramfs", "bad.txt", "-o", "bad.cpio");
    expect(r.code).toBe(1);
    expect(r.err).toBe("tsemu: initramfs description line 4: device type 'q' must be 'b' or 'c'\n");
  });

  it("reports a missing location and a missing description", async () => {
    writeFileSync("missing.txt", "file /x data/nope 0644 0 0\n");
    const r = await cli("mkinitramfs", "missing.txt", "-o", "m.cpio");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tsemu: initramfs description line 1: cannot read 'data\/nope': ENOENT[^\n]*\n$/);
    expect(await cli("mkinitramfs", "nope.txt", "-o", "m.cpio")).toEqual({ code: 1, out: "", err: "tsemu: description 'nope.txt' does not exist\n" });
  });
});
