/**
 * Initramfs builder: parses the description format of Linux's usr/gen_init_cpio and writes
 * a "newc" cpio archive (Documentation/driver-api/early-userspace/buffer-format.rst).
 * Host-neutral: file contents come from an injected `readFile(location)` callback.
 *
 * Description lines (fields separated by whitespace; `#` starts a comment line):
 *   file  <name> <location> <mode> <uid> <gid> [<hard link name> ...]
 *   dir   <name> <mode> <uid> <gid>
 *   nod   <name> <mode> <uid> <gid> <b|c> <major> <minor>
 *   slink <name> <target> <mode> <uid> <gid>
 *   pipe  <name> <mode> <uid> <gid>
 *   sock  <name> <mode> <uid> <gid>
 * <mode> is octal permission bits (at most 07777); the file type comes from the keyword.
 * Names lose their leading slashes, as in gen_init_cpio; "/" alone becomes ".".
 *
 * newc entry: "070701", then 13 fields of 8 upper-case hex digits (ino, mode, uid, gid,
 * nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize incl. NUL,
 * check = 0), the NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes.
 * A symlink's data is its target. Hard links share one inode; the data rides on the last
 * name, the earlier ones have size 0. The archive ends with "TRAILER!!!" and is padded to
 * 512 bytes (the cpio block size).
 */

import { ConfigError } from "../common/errors.js";

/** File type bits of st_mode (POSIX <sys/stat.h>). */
const enum FileType {
  FIFO = 0o010000,
  CHR = 0o020000,
  DIR = 0o040000,
  BLK = 0o060000,
  REG = 0o100000,
  LNK = 0o120000,
  SOCK = 0o140000,
}

interface EntryBase {
  /** Archive path without a leading slash. */
  name: string;
  /** Permission bits (<= 0o7777), without the file type. */
  mode: number;
  uid: number;
  gid: number;
  /** 1-based line of the description this entry came from (0 when built in code). */
  line: number;
}

export type InitramfsEntry =
  | (EntryBase & { kind: "file"; location: string; links: string[] })
  | (EntryBase & { kind: "dir" })
  | (EntryBase & { kind: "nod"; devType: "b" | "c"; major: number; minor: number })
  | (EntryBase & { kind: "slink"; target: string })
  | (EntryBase & { kind: "pipe" })
  | (EntryBase & { kind: "sock" });

export interface InitramfsOptions {
  /** Returns the contents of a `file` line's <location>; may throw (reported with the line). */
  readFile(location: string): Uint8Array;
  /** mtime written for every entry, in seconds since the epoch. Default 0 (reproducible). */
  mtime?: number;
}

const U32_MAX = 0xffff_ffff;

function fail(line: number, message: string): never {
  throw new ConfigError(`initramfs description line ${line}: ${message}`);
}

function parseName(raw: string, line: number): string {
  const name = raw.replace(/^\/+/, "");
  if (name.includes("\0")) fail(line, "name contains a NUL byte");
  return name === "" ? "." : name;
}

function parseMode(raw: string, line: number): number {
  if (!/^[0-7]{1,6}$/.test(raw)) fail(line, `mode '${raw}' is not an octal number`);
  const mode = parseInt(raw, 8);
  if (mode > 0o7777) fail(line, `mode '${raw}' has bits above 07777`);
  return mode;
}

function parseU32(raw: string, what: string, line: number): number {
  if (!/^\d+$/.test(raw)) fail(line, `${what} '${raw}' is not a decimal number`);
  const v = Number(raw);
  if (v > U32_MAX) fail(line, `${what} '${raw}' does not fit in 32 bits`);
  return v;
}

/** Field counts per keyword (the name is field 1); `file` may carry extra hard-link names. */
const FIELD_COUNT: Record<InitramfsEntry["kind"], number> = {
  file: 6, dir: 5, nod: 8, slink: 6, pipe: 5, sock: 5,
};
const USAGE: Record<InitramfsEntry["kind"], string> = {
  file: "file <name> <location> <mode> <uid> <gid> [<hard links>]",
  dir: "dir <name> <mode> <uid> <gid>",
  nod: "nod <name> <mode> <uid> <gid> <dev_type> <maj> <min>",
  slink: "slink <name> <target> <mode> <uid> <gid>",
  pipe: "pipe <name> <mode> <uid> <gid>",
  sock: "sock <name> <mode> <uid> <gid>",
};

function isKind(s: string): s is InitramfsEntry["kind"] {
  return Object.prototype.hasOwnProperty.call(FIELD_COUNT, s);
}

function parseLine(f: string[], line: number): InitramfsEntry {
  const kw = f[0] ?? "";
  if (!isKind(kw)) fail(line, `unknown entry type '${kw}' (expected file, dir, nod, slink, pipe or sock)`);
  const n = FIELD_COUNT[kw];
  if (f.length < n || (kw !== "file" && f.length > n)) {
    fail(line, `'${kw}' takes ${n - 1} fields: ${USAGE[kw]}`);
  }
  const at = (i: number): string => f[i] ?? "";
  const name = parseName(at(1), line);
  switch (kw) {
    case "file":
      return {
        kind: "file", name, location: at(2), mode: parseMode(at(3), line),
        uid: parseU32(at(4), "uid", line), gid: parseU32(at(5), "gid", line), line,
        links: f.slice(6).map((l) => parseName(l, line)),
      };
    case "slink":
      return {
        kind: "slink", name, target: at(2), mode: parseMode(at(3), line),
        uid: parseU32(at(4), "uid", line), gid: parseU32(at(5), "gid", line), line,
      };
    case "nod": {
      const devType = at(5);
      if (devType !== "b" && devType !== "c") fail(line, `device type '${devType}' must be 'b' or 'c'`);
      return {
        kind: "nod", name, mode: parseMode(at(2), line), uid: parseU32(at(3), "uid", line),
        gid: parseU32(at(4), "gid", line), devType, line,
        major: parseU32(at(6), "major", line), minor: parseU32(at(7), "minor", line),
      };
    }
    default:
      return {
        kind: kw, name, mode: parseMode(at(2), line), uid: parseU32(at(3), "uid", line),
        gid: parseU32(at(4), "gid", line), line,
      };
  }
}

/** Parses a gen_init_cpio description; throws ConfigError naming the line on any mistake. */
export function parseInitramfsDescription(text: string): InitramfsEntry[] {
  const entries: InitramfsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? "").trim();
    if (raw === "" || raw.startsWith("#")) continue;
    entries.push(parseLine(raw.split(/[ \t]+/), i + 1));
  }
  return entries;
}

/** Accumulates newc records into growing chunks. */
class NewcWriter {
  private readonly _chunks: Uint8Array[] = [];
  private _size = 0;
  private _ino = 1;
  private readonly _enc = new TextEncoder();

  constructor(private readonly _mtime: number) {}

  nextIno(): number { return this._ino++; }

  record(fields: {
    ino: number; mode: number; uid: number; gid: number; nlink: number;
    rdevMajor?: number; rdevMinor?: number; name: string; data?: Uint8Array;
  }): void {
    const name = this._enc.encode(fields.name);
    const data = fields.data ?? new Uint8Array(0);
    const hex = [
      fields.ino, fields.mode, fields.uid, fields.gid, fields.nlink, this._mtime, data.length,
      0, 0, fields.rdevMajor ?? 0, fields.rdevMinor ?? 0, name.length + 1, 0,
    ].map((v) => (v >>> 0).toString(16).toUpperCase().padStart(8, "0")).join("");
    this._push(this._enc.encode(`070701${hex}`));
    this._push(name);
    this._push(new Uint8Array(1));
    this._pad(4);
    this._push(data);
    this._pad(4);
  }

  finish(): Uint8Array {
    this.record({ ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, name: "TRAILER!!!" });
    this._pad(512);
    const out = new Uint8Array(this._size);
    let off = 0;
    for (const c of this._chunks) { out.set(c, off); off += c.length; }
    return out;
  }

  private _push(b: Uint8Array): void {
    if (b.length === 0) return;
    this._chunks.push(b);
    this._size += b.length;
  }

  private _pad(align: number): void {
    const rem = this._size % align;
    if (rem !== 0) this._push(new Uint8Array(align - rem));
  }
}

function readContents(e: InitramfsEntry & { kind: "file" }, opts: InitramfsOptions): Uint8Array {
  let data: Uint8Array;
  try {
    data = opts.readFile(e.location);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    fail(e.line, `cannot read '${e.location}': ${why}`);
  }
  if (data.length > U32_MAX) fail(e.line, `'${e.location}' is larger than 4 GiB`);
  return data;
}

function writeEntry(w: NewcWriter, e: InitramfsEntry, opts: InitramfsOptions): void {
  const common = { mode: e.mode, uid: e.uid, gid: e.gid, name: e.name };
  switch (e.kind) {
    case "file": {
      const data = readContents(e, opts);
      const ino = w.nextIno();
      const names = [e.name, ...e.links];
      const nlink = names.length;
      names.forEach((name, i) => {
        const last = i === nlink - 1;
        w.record({ ...common, ino, nlink, name, mode: FileType.REG | e.mode, data: last ? data : undefined });
      });
      return;
    }
    case "dir":
      w.record({ ...common, ino: w.nextIno(), nlink: 2, mode: FileType.DIR | e.mode });
      return;
    case "nod":
      w.record({
        ...common, ino: w.nextIno(), nlink: 1, rdevMajor: e.major, rdevMinor: e.minor,
        mode: (e.devType === "b" ? FileType.BLK : FileType.CHR) | e.mode,
      });
      return;
    case "slink":
      w.record({
        ...common, ino: w.nextIno(), nlink: 1, mode: FileType.LNK | e.mode,
        data: new TextEncoder().encode(e.target),
      });
      return;
    case "pipe":
      w.record({ ...common, ino: w.nextIno(), nlink: 1, mode: FileType.FIFO | e.mode });
      return;
    case "sock":
      w.record({ ...common, ino: w.nextIno(), nlink: 1, mode: FileType.SOCK | e.mode });
      return;
  }
}

/** Writes parsed entries as an uncompressed newc cpio archive. */
export function writeNewcArchive(entries: readonly InitramfsEntry[], opts: InitramfsOptions): Uint8Array {
  const mtime = opts.mtime ?? 0;
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > U32_MAX) {
    throw new ConfigError(`initramfs mtime ${mtime} is not a 32-bit unsigned integer`);
  }
  const w = new NewcWriter(mtime);
  for (const e of entries) writeEntry(w, e, opts);
  return w.finish();
}

/** Description text in, uncompressed newc cpio archive out (gen_init_cpio's job). */
export function buildInitramfs(description: string, opts: InitramfsOptions): Uint8Array {
  return writeNewcArchive(parseInitramfsDescription(description), opts);
}
