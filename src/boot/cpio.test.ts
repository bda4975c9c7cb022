/**
 * Unit tests of the initramfs builder: description parsing, error line numbers, and the
 * exact newc bytes (decoded here by an independent minimal reader).
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { buildInitramfs, parseInitramfsDescription } from "./cpio.js";

interface NewcRecord {
  ino: number; mode: number; uid: number; gid: number; nlink: number; mtime: number;
  rdevMajor: number; rdevMinor: number; name: string; data: Uint8Array;
}

/** Independent newc reader for the tests (stops at TRAILER!!!). */
function readNewc(buf: Uint8Array): NewcRecord[] {
  const dec = new TextDecoder();
  const out: NewcRecord[] = [];
  let off = 0;
  const align = (n: number): number => (n + 3) & ~3;
  for (;;) {
    expect(dec.decode(buf.subarray(off, off + 6))).toBe("070701");
    const f = (i: number): number => parseInt(dec.decode(buf.subarray(off + 6 + i * 8, off + 14 + i * 8)), 16);
    const namesize = f(11);
    const filesize = f(6);
    const name = dec.decode(buf.subarray(off + 110, off + 110 + namesize - 1));
    expect(buf[off + 110 + namesize - 1]).toBe(0);
    const dataOff = align(off + 110 + namesize);
    if (name === "TRAILER!!!") break;
    out.push({
      ino: f(0), mode: f(1), uid: f(2), gid: f(3), nlink: f(4), mtime: f(5),
      rdevMajor: f(9), rdevMinor: f(10), name, data: buf.slice(dataOff, dataOff + filesize),
    });
    off = align(dataOff + filesize);
  }
  return out;
}

const enc = new TextEncoder();
const files: Record<string, Uint8Array> = { "host/init": enc.encode("#!/bin/sh\necho hi\n"), "host/empty": new Uint8Array(0) };
const readFile = (loc: string): Uint8Array => {
  const d = files[loc];
  if (!d) throw new Error("ENOENT");
  return d;
};

const DESC = `# a comment
dir /dev 0755 0 0

nod /dev/console 0600 0 0 c 5 1
nod /dev/vda 0660 0 6 b 254 0
file /init host/init 0755 0 0
file /bin/sh host/init 4755 1000 100 /bin/ash /sbin/sh
slink /bin/ls busybox 0777 0 0
pipe /run/fifo 0644 0 0
sock /run/sock 0600 2 3
dir / 0700 0 0
file /empty host/empty 0644 0 0
`;

describe("parseInitramfsDescription", () => {
  it("parses every entry type, strips leading slashes, skips comments and blanks", () => {
    const e = parseInitramfsDescription(DESC);
    expect(e.map((x) => [x.kind, x.name, x.line])).toEqual([
      ["dir", "dev", 2], ["nod", "dev/console", 4], ["nod", "dev/vda", 5], ["file", "init", 6],
      ["file", "bin/sh", 7], ["slink", "bin/ls", 8], ["pipe", "run/fifo", 9], ["sock", "run/sock", 10],
      ["dir", ".", 11], ["file", "empty", 12],
    ]);
    expect(e[4]).toMatchObject({ kind: "file", mode: 0o4755, uid: 1000, gid: 100, links: ["bin/ash", "sbin/sh"] });
    expect(e[2]).toMatchObject({ kind: "nod", devType: "b", major: 254, minor: 0, gid: 6 });
  });

  const bad: [string, number, RegExp][] = [
    ["dir /a 0755 0 0\nfrob /x 0 0 0\n", 2, /unknown entry type 'frob'/],
    ["\n\ndir /a 0755 0\n", 3, /'dir' takes 4 fields/],
    ["dir /a 0755 0 0 extra\n", 1, /'dir' takes 4 fields/],
    ["# c\nfile /a b 0999 0 0\n", 2, /mode '0999' is not an octal/],
    ["dir /a 17777 0 0\n", 1, /above 07777/],
    ["dir /a 0755 -1 0\n", 1, /uid '-1'/],
    ["dir /a 0755 0 99999999999\n", 1, /gid '99999999999' does not fit/],
    ["nod /dev/x 0600 0 0 x 1 2\n", 1, /device type 'x'/],
    ["nod /dev/x 0600 0 0 c 1\n", 1, /'nod' takes 7 fields/],
    ["slink /a\n", 1, /'slink' takes 5 fields/],
    ["pipe /p 0644 0 zero\n", 1, /gid 'zero'/],
  ];
  it.each(bad)("rejects %j at line %d", (text, line, why) => {
    let err: unknown;
    try { parseInitramfsDescription(text); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`line ${line}:`));
    expect((err as Error).message).toMatch(why);
  });
});

describe("buildInitramfs", () => {
  it("writes newc records with the described types, modes, owners, devices and data", () => {
    const buf = buildInitramfs(DESC, { readFile, mtime: 1234 });
    expect(buf.length % 512).toBe(0);
    const r = readNewc(buf);
    const by = (n: string): NewcRecord => r.find((x) => x.name === n)!;
    expect(r.map((x) => x.name)).toEqual([
      "dev", "dev/console", "dev/vda", "init", "bin/sh", "bin/ash", "sbin/sh", "bin/ls",
      "run/fifo", "run/sock", ".", "empty",
    ]);
    expect(by("dev")).toMatchObject({ mode: 0o40755, nlink: 2, mtime: 1234 });
    expect(by("dev/console")).toMatchObject({ mode: 0o20600, rdevMajor: 5, rdevMinor: 1 });
    expect(by("dev/vda")).toMatchObject({ mode: 0o60660, gid: 6, rdevMajor: 254, rdevMinor: 0 });
    expect(new TextDecoder().decode(by("init").data)).toBe("#!/bin/sh\necho hi\n");
    expect(by("init")).toMatchObject({ mode: 0o100755, nlink: 1 });
    expect(by("bin/ls")).toMatchObject({ mode: 0o120777 });
    expect(new TextDecoder().decode(by("bin/ls").data)).toBe("busybox");
    expect(by("run/fifo").mode).toBe(0o10644);
    expect(by("run/sock")).toMatchObject({ mode: 0o140600, uid: 2, gid: 3 });
    expect(by(".").mode).toBe(0o40700);
    expect(by("empty").data.length).toBe(0);
  });

  it("stores hard links as one inode with the data on the last name", () => {
    const r = readNewc(buildInitramfs(DESC, { readFile }));
    const links = r.filter((x) => ["bin/sh", "bin/ash", "sbin/sh"].includes(x.name));
    expect(new Set(links.map((x) => x.ino)).size).toBe(1);
    expect(links.map((x) => x.nlink)).toEqual([3, 3, 3]);
    expect(links.map((x) => x.data.length)).toEqual([0, 0, files["host/init"]!.length]);
    expect(links.every((x) => x.mode === 0o104755 && x.uid === 1000 && x.gid === 100)).toBe(true);
    const inos = r.filter((x) => !links.includes(x)).map((x) => x.ino);
    expect(new Set(inos).size).toBe(inos.length);
    expect(inos).not.toContain(links[0]!.ino);
  });

  it("is reproducible: mtime defaults to 0", () => {
    const a = buildInitramfs(DESC, { readFile });
    expect(a).toEqual(buildInitramfs(DESC, { readFile }));
    expect(readNewc(a).every((x) => x.mtime === 0)).toBe(true);
  });

  it("reports an unreadable file with its line number", () => {
    expect(() => buildInitramfs("dir /a 0755 0 0\nfile /x missing 0644 0 0\n", { readFile }))
      .toThrow(/line 2: cannot read 'missing': ENOENT/);
  });

  it("writes only a trailer for an empty description", () => {
    const buf = buildInitramfs("# nothing\n", { readFile });
    expect(buf.length).toBe(512);
    expect(readNewc(buf)).toEqual([]);
  });
});
