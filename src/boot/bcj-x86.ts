/**
 * The x86 BCJ filter decoder (.xz filter ID 0x04): the encoder turned the rel32 operands of
 * CALL (E8) and JMP (E9) into absolute addresses to help LZMA; decoding subtracts the position
 * again. Only operands whose top byte is 0x00 or 0xFF were converted, and a small history mask
 * of recent E8/E9 bytes decides which candidates the encoder skipped (the "prev mask" rule of
 * the public x86 BCJ algorithm, as specified by its reference behaviour in the .xz format).
 * Runs once over a whole block's output, in place.
 */

/** For a history mask (bits = E8/E9 bytes seen in the last 3 positions): may we convert? */
const MASK_ALLOWED = [true, true, true, false, true, false, false, false];
/** For a history mask: which operand byte (from the top) the mask refers to. */
const MASK_BYTE = [0, 1, 2, 2, 3, 3, 3, 3];

const isTopByte = (b: number): boolean => b === 0 || b === 0xff;

/** Undo the x86 BCJ filter on `buf` (positions start at `startOffset`, the filter's property). */
export function bcjX86Decode(buf: Uint8Array, startOffset = 0): void {
  const n = buf.length;
  if (n < 5) return;
  let mask = 0;
  let prevPos = -1000;
  let i = 0;
  const end = n - 4;
  while (i < end) {
    const op = buf[i]!;
    if ((op & 0xfe) !== 0xe8) { i++; continue; }
    const dist = i - prevPos;
    if (dist > 3) {
      mask = 0;
    } else {
      mask = (mask << (dist - 1)) & 7;
      if (mask !== 0 && (!MASK_ALLOWED[mask] || isTopByte(buf[i + 4 - MASK_BYTE[mask]!]!))) {
        prevPos = i;
        mask = ((mask << 1) & 7) | 1;
        i++;
        continue;
      }
    }
    prevPos = i;
    if (!isTopByte(buf[i + 4]!)) {
      mask = ((mask << 1) & 7) | 1;
      i++;
      continue;
    }
    let src = (buf[i + 1]! | (buf[i + 2]! << 8) | (buf[i + 3]! << 16) | (buf[i + 4]! << 24)) >>> 0;
    const pc = (startOffset + i + 5) >>> 0;
    let dest: number;
    for (;;) {
      dest = (src - pc) >>> 0;
      if (mask === 0) break;
      const shift = 24 - MASK_BYTE[mask]! * 8;
      if (!isTopByte((dest >>> shift) & 0xff)) break;
      src = (dest ^ (2 ** (shift + 8) - 1)) >>> 0;
    }
    buf[i + 4] = dest & 0x1000000 ? 0xff : 0;
    buf[i + 3] = (dest >>> 16) & 0xff;
    buf[i + 2] = (dest >>> 8) & 0xff;
    buf[i + 1] = dest & 0xff;
    i += 5;
  }
}
