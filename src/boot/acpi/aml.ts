/**
 * A tiny AML byte encoder (ACPI spec 6.x, section 20 "ACPI Machine Language Specification"):
 * package lengths, name strings, integers, strings, packages, buffers, Name/Scope/Device, and
 * the resource descriptors (section 6.4) needed for a PCI root bridge _CRS. Each function
 * returns the encoded bytes; callers concatenate.
 */
import { ConfigError } from "../../common/errors.js";

export type Aml = Uint8Array;

const ZERO_OP = 0x00, ONE_OP = 0x01, ONES_OP = 0xff, NAME_OP = 0x08, BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b;
const DWORD_PREFIX = 0x0c, STRING_PREFIX = 0x0d, QWORD_PREFIX = 0x0e, SCOPE_OP = 0x10, BUFFER_OP = 0x11;
const PACKAGE_OP = 0x12, EXT_OP = 0x5b, DEVICE_OP = 0x82, ROOT = 0x5c, DUAL_NAME = 0x2e, MULTI_NAME = 0x2f;
const METHOD_OP = 0x14, OP_REGION_OP = 0x80, FIELD_OP = 0x81, STORE_OP = 0x70, AND_OP = 0x7b, LEQUAL_OP = 0x93;
const IF_OP = 0xa0, NOTIFY_OP = 0x86, LOCAL0_OP = 0x60, NULL_NAME = 0x00;

export function concat(parts: readonly Aml[]): Aml {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const bytes = (...b: number[]): Aml => Uint8Array.from(b);

/** PkgLength (20.2.4): the length of itself plus `contentLen` bytes, in 1..4 bytes. */
export function pkgLength(contentLen: number): Aml {
  if (contentLen + 1 <= 0x3f) return bytes(contentLen + 1);
  for (let n = 2; n <= 4; n++) {
    const total = contentLen + n;
    if (total < 2 ** (4 + 8 * (n - 1))) {
      const out = [((n - 1) << 6) | (total & 0xf)];
      for (let i = 1; i < n; i++) out.push((total >>> (4 + 8 * (i - 1))) & 0xff);
      return Uint8Array.from(out);
    }
  }
  throw new ConfigError(`AML package of ${contentLen} bytes is too long`);
}

function withPkgLength(op: Aml, body: Aml): Aml {
  return concat([op, pkgLength(body.length), body]);
}

/** One NameSeg: 1..4 chars of [A-Z0-9_], the first not a digit, padded with '_'. */
function nameSeg(s: string): Aml {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(s)) throw new ConfigError(`invalid AML name segment "${s}"`);
  const p = s.padEnd(4, "_");
  return bytes(p.charCodeAt(0), p.charCodeAt(1), p.charCodeAt(2), p.charCodeAt(3));
}

/** NameString: "\\_SB.PCI0", "_S5", "PCI0". */
export function nameString(path: string): Aml {
  const root = path.startsWith("\\");
  const segs = (root ? path.slice(1) : path).split(".").filter((x) => x.length > 0);
  const encoded = segs.map(nameSeg);
  const prefix = root ? [ROOT] : [];
  if (segs.length === 0) return bytes(...prefix, ZERO_OP);
  if (segs.length === 1) return concat([bytes(...prefix), encoded[0]!]);
  if (segs.length === 2) return concat([bytes(...prefix, DUAL_NAME), ...encoded]);
  return concat([bytes(...prefix, MULTI_NAME, segs.length), ...encoded]);
}

/** An integer constant in the smallest encoding (v: 0 <= v < 2^53). */
export function int(v: number): Aml {
  if (!Number.isSafeInteger(v) || v < 0) throw new ConfigError(`AML integer ${v} out of range`);
  if (v === 0) return bytes(ZERO_OP);
  if (v === 1) return bytes(ONE_OP);
  if (v <= 0xff) return bytes(BYTE_PREFIX, v);
  if (v <= 0xffff) return bytes(WORD_PREFIX, v & 0xff, v >>> 8);
  if (v <= 0xffffffff) return bytes(DWORD_PREFIX, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const lo = v % 2 ** 32, hi = Math.floor(v / 2 ** 32);
  return bytes(QWORD_PREFIX, lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, hi >>> 24);
}

/** OnesOp: all bits set (used for "any" in some objects). */
export const ones = (): Aml => bytes(ONES_OP);

export function str(s: string): Aml {
  return bytes(STRING_PREFIX, ...Array.from(s, (c) => c.charCodeAt(0) & 0x7f), 0);
}

export function name(n: string, value: Aml): Aml {
  return concat([bytes(NAME_OP), nameString(n), value]);
}

export function pkg(elements: readonly Aml[]): Aml {
  if (elements.length > 255) throw new ConfigError("AML Package with more than 255 elements");
  return withPkgLength(bytes(PACKAGE_OP), concat([bytes(elements.length), ...elements]));
}

export function buffer(data: Aml): Aml {
  return withPkgLength(bytes(BUFFER_OP), concat([int(data.length), data]));
}

export function scope(n: string, body: readonly Aml[]): Aml {
  return withPkgLength(bytes(SCOPE_OP), concat([nameString(n), ...body]));
}

export function device(n: string, body: readonly Aml[]): Aml {
  return withPkgLength(bytes(EXT_OP, DEVICE_OP), concat([nameString(n), ...body]));
}

// ---- Control methods and operation regions (20.2.5) ----

/** Method(name, argCount, Serialized?) { body }. */
export function method(n: string, args: number, serialized: boolean, body: readonly Aml[]): Aml {
  if (!Number.isInteger(args) || args < 0 || args > 7) throw new ConfigError(`AML method with ${args} arguments`);
  return withPkgLength(bytes(METHOD_OP), concat([nameString(n), bytes(args | (serialized ? 8 : 0)), ...body]));
}

/** Region spaces of OperationRegion (Table 19.x): SystemMemory, SystemIO. */
export const enum RegionSpace { SYSTEM_MEMORY = 0, SYSTEM_IO = 1 }

/** OperationRegion(name, space, offset, length). */
export function opRegion(n: string, space: RegionSpace, offset: number, length: number): Aml {
  return concat([bytes(EXT_OP, OP_REGION_OP), nameString(n), bytes(space), int(offset), int(length)]);
}

/** Field(region, DWordAcc, NoLock, WriteAsZeros) { name, bits; ... }. */
export function fieldDwordWriteAsZeros(region: string, fields: readonly [string, number][]): Aml {
  const DWORD_ACC = 3, WRITE_AS_ZEROS = 2 << 5;
  // A NamedField is a NameSeg and its width in bits encoded as a PkgLength value.
  const list = fields.map(([f, bits]) => concat([nameString(f), pkgLengthValue(bits)]));
  return withPkgLength(bytes(EXT_OP, FIELD_OP), concat([nameString(region), bytes(DWORD_ACC | WRITE_AS_ZEROS), ...list]));
}

/** A bare PkgLength-encoded value (field widths): unlike pkgLength(), it does not count itself. */
function pkgLengthValue(v: number): Aml {
  if (v <= 0x3f) return bytes(v);
  if (v < 0x1000) return bytes(0x40 | (v & 0xf), v >>> 4);
  throw new ConfigError(`AML field of ${v} bits is too wide`);
}

/** Local0 (as a Store target or operand). */
export const local0 = (): Aml => bytes(LOCAL0_OP);
/** A reference to a named object by its NameString. */
export const ref = (n: string): Aml => nameString(n);
/** Store(source, target). */
export const store = (source: Aml, target: Aml): Aml => concat([bytes(STORE_OP), source, target]);
/** And(a, b) with no target (a value). */
export const and = (a: Aml, b: Aml): Aml => concat([bytes(AND_OP), a, b, bytes(NULL_NAME)]);
/** LEqual(a, b). */
export const lequal = (a: Aml, b: Aml): Aml => concat([bytes(LEQUAL_OP), a, b]);
/** If(predicate) { body }. */
export const ifThen = (predicate: Aml, body: readonly Aml[]): Aml => withPkgLength(bytes(IF_OP), concat([predicate, ...body]));
/** Notify(object, value). */
export const notify = (object: string, value: number): Aml => concat([bytes(NOTIFY_OP), nameString(object), int(value)]);

/** EISAID("PNP0A03") as its compressed 32-bit integer. */
export function eisaId(id: string): Aml {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new ConfigError(`invalid EISA id "${id}"`);
  const c = (i: number): number => id.charCodeAt(i) - 0x40;
  const vendor = (c(0) << 10) | (c(1) << 5) | c(2);
  const product = parseInt(id.slice(3), 16);
  const b = [vendor >>> 8, vendor & 0xff, product >>> 8, product & 0xff];
  return int((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0);
}

// ---- Resource descriptors (6.4) ----

const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
/** General flags: producer, MinFixed, MaxFixed, positive decode. */
const ADDR_FLAGS = 0x0c;

/** WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, len). */
export function wordBusNumber(min: number, max: number): Aml {
  return bytes(0x88, ...le16(13), 2, ADDR_FLAGS, 0, ...le16(0), ...le16(min), ...le16(max), ...le16(0), ...le16(max - min + 1));
}

/** WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, len). */
export function wordIo(min: number, max: number): Aml {
  return bytes(0x88, ...le16(13), 1, ADDR_FLAGS, 3, ...le16(0), ...le16(min), ...le16(max), ...le16(0), ...le16(max - min + 1));
}

/** IO(Decode16, min, min, 1, len): a fixed I/O port range the bridge itself consumes. */
export function ioPort(min: number, len: number): Aml {
  return bytes(0x47, 1, ...le16(min), ...le16(min), 1, len);
}

/** IRQNoFlags(){irqs}: edge-triggered, active-high ISA IRQs (a 16-bit mask). */
export function irqNoFlags(irqs: readonly number[]): Aml {
  const mask = irqs.reduce((m, i) => m | (1 << i), 0);
  return bytes(0x22, mask & 0xff, mask >>> 8);
}

/** DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, ...). */
export function dwordMemory(min: number, max: number): Aml {
  return bytes(0x87, ...le16(23), 0, ADDR_FLAGS, 1, ...le32(0), ...le32(min), ...le32(max), ...le32(0), ...le32(max - min + 1));
}

/** Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive){gsi}: extended interrupt descriptor, 6.4.3.6. */
export function interruptEdgeHigh(gsi: number): Aml {
  const CONSUMER = 1, EDGE = 2;
  return bytes(0x89, ...le16(6), CONSUMER | EDGE, 1, ...le32(gsi));
}

/** ResourceTemplate(){...}: the descriptors, an end tag, as a Buffer. */
export function resourceTemplate(descriptors: readonly Aml[]): Aml {
  return buffer(concat([...descriptors, bytes(0x79, 0)]));
}
