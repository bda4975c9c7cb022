/**
 * GDB Remote Serial Protocol framing: `$payload#xx` where xx is the modulo-256 sum of the
 * payload bytes in two hex digits; the receiver acknowledges with `+` (or `-` asking for a
 * resend). Inside a payload `}` escapes the next byte (XORed with 0x20); `$`, `#`, `}` and
 * `*` are escaped when sent (`*` would otherwise start a run-length encoding, which this
 * side never sends and gdb never sends to a stub). A lone 0x03 byte outside a packet is an
 * interrupt request (Ctrl-C). Payloads are byte strings: one char per byte (latin1).
 */

export type PacketEvent =
  | { kind: "packet"; payload: string }
  /** Ctrl-C outside a packet. */
  | { kind: "interrupt" }
  /** A packet whose checksum did not match (the reader already answered `-`). */
  | { kind: "bad-checksum" };

const hexDigit = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;

/** Sum of the char codes modulo 256. */
export function checksum(s: string): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + s.charCodeAt(i)) & 0xff;
  return sum;
}

/** `$payload#xx` with the payload escaped (payload chars are bytes, 0..255). */
export function encodePacket(payload: string): string {
  let body = "";
  for (let i = 0; i < payload.length; i++) {
    const ch = payload[i]!;
    body += ch === "$" || ch === "#" || ch === "}" || ch === "*" ? "}" + String.fromCharCode(ch.charCodeAt(0) ^ 0x20) : ch;
  }
  return `$${body}#${checksum(body).toString(16).padStart(2, "0")}`;
}

/**
 * Incremental packet reader: feed it whatever bytes arrived; it returns the complete events
 * and calls `ack` with `+` or `-` for every packet (until no-ack mode, which is not offered).
 */
export class PacketReader {
  private _state: "idle" | "body" | "sum1" | "sum2" = "idle";
  private _raw = "";
  private _sum = 0;

  constructor(private readonly _ack: (reply: "+" | "-") => void) {}

  feed(data: Uint8Array): PacketEvent[] {
    const out: PacketEvent[] = [];
    for (const c of data) {
      switch (this._state) {
        case "idle":
          if (c === 0x24) { this._state = "body"; this._raw = ""; }
          else if (c === 0x03) out.push({ kind: "interrupt" });
          // `+`, `-` and noise between packets are ignored (a `-` would ask for a resend of
          // the last reply; replies are sent whole over a reliable stream, so none is kept).
          break;
        case "body":
          if (c === 0x23) this._state = "sum1";
          else if (c === 0x24) this._raw = ""; // a new start: the partial packet is dropped
          else this._raw += String.fromCharCode(c);
          break;
        case "sum1":
          this._sum = hexDigit(c) < 0 ? -256 : hexDigit(c) << 4;
          this._state = "sum2";
          break;
        case "sum2": {
          this._state = "idle";
          const d = hexDigit(c);
          if (this._sum < 0 || d < 0 || (this._sum | d) !== checksum(this._raw)) {
            this._ack("-");
            out.push({ kind: "bad-checksum" });
          } else {
            this._ack("+");
            out.push({ kind: "packet", payload: unescape(this._raw) });
          }
          break;
        }
      }
    }
    return out;
  }
}

/** Undo `}` escapes (the checksum covers the escaped form). */
function unescape(raw: string): string {
  if (!raw.includes("}")) return raw;
  let s = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "}" && i + 1 < raw.length) s += String.fromCharCode(raw.charCodeAt(++i) ^ 0x20);
    else s += ch;
  }
  return s;
}

/** Bytes as lowercase hex. */
export function toHex(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! & 0xff).toString(16).padStart(2, "0");
  return s;
}

/** Hex text to bytes; undefined when malformed (odd length or a non-hex digit). */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(text.charCodeAt(2 * i)), lo = hexDigit(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}
