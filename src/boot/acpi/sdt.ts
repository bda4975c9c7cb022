/**
 * ACPI System Description Table plumbing (ACPI spec 6.x, 5.2.6 "System Description Table
 * Header" and 5.2.5 RSDP): the common 36-byte header, checksums, and the OEM identity tsemu
 * writes into every table.
 */
import { ByteWriter } from "../bytes.js";

export const SDT_HEADER_SIZE = 36;
export const OEM_ID = "TSEMU ";
export const OEM_TABLE_ID = "TSEMUPC ";
export const CREATOR_ID = "TSEM";

/** The byte that makes `b[start, end)` sum to 0 mod 256. */
export function checksum(b: Uint8Array, start = 0, end = b.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + b[i]!) & 0xff;
  return (0x100 - s) & 0xff;
}

/** A table of `length` bytes with its header filled; call finish() after writing the body. */
export function sdt(signature: string, length: number, revision: number): ByteWriter {
  return new ByteWriter(length)
    .ascii(0, signature).u32(4, length).u8(8, revision)
    .ascii(10, OEM_ID).ascii(16, OEM_TABLE_ID).u32(24, 1)
    .ascii(28, CREATOR_ID).u32(32, 1);
}

/** Fill the checksum byte (offset 9). */
export function finish(w: ByteWriter): Uint8Array {
  w.u8(9, 0);
  w.u8(9, checksum(w.bytes));
  return w.bytes;
}

/** Generic Address Structure (5.2.3.2), 12 bytes: space 0 = memory, 1 = system I/O. */
export function gas(w: ByteWriter, off: number, space: number, bitWidth: number, accessSize: number, address: number): void {
  w.u8(off, space).u8(off + 1, bitWidth).u8(off + 2, 0).u8(off + 3, accessSize).u64(off + 4, address);
}
