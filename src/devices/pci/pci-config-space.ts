/**
 * A device's configuration space: the bytes, a write mask (bits the guest may change) and a
 * write-1-to-clear mask (status error bits), as QEMU keeps config/wmask/w1cmask. Guest writes
 * go through `guestWrite`; the device model itself uses the set* helpers, which ignore masks.
 * Little-endian, any alignment within the space; accesses past the end read all-ones.
 */

export class PciConfigSpace {
  readonly bytes: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
    this.wmask = new Uint8Array(size);
    this.w1cmask = new Uint8Array(size);
  }

  get8(o: number): number { return this.bytes[o] ?? 0xff; }
  get16(o: number): number { return this.get8(o) | (this.get8(o + 1) << 8); }
  get32(o: number): number { return (this.get16(o) | (this.get16(o + 2) << 16)) >>> 0; }

  set8(o: number, v: number): void { this.bytes[o] = v & 0xff; }
  set16(o: number, v: number): void { this.set8(o, v); this.set8(o + 1, v >>> 8); }
  set32(o: number, v: number): void { this.set16(o, v); this.set16(o + 2, v >>> 16); }

  /** Set the guest-writable bits of `len` bytes at `o` (value little-endian). */
  setWmask(o: number, len: number, mask: number): void {
    for (let i = 0; i < len; i++) this.wmask[o + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  setW1cMask(o: number, len: number, mask: number): void {
    for (let i = 0; i < len; i++) this.w1cmask[o + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  /** Read `size` bytes at `o` as the guest sees them. */
  read(o: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v += this.get8(o + i) * 2 ** (8 * i);
    return v >>> 0;
  }

  /** Apply a guest write: writable bits take the new value, W1C bits written 1 clear. */
  guestWrite(o: number, value: number, size: number): void {
    for (let i = 0; i < size; i++) {
      const a = o + i;
      if (a >= this.size) return;
      const b = Math.floor(value / 2 ** (8 * i)) & 0xff;
      const wm = this.wmask[a]!;
      const w1c = this.w1cmask[a]!;
      let cur = this.bytes[a]!;
      cur = (cur & ~wm) | (b & wm);
      cur &= ~(b & w1c);
      this.bytes[a] = cur & 0xff;
    }
  }
}
