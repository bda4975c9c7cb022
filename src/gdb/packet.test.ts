/** RSP framing: checksums, escaping on send, the incremental reader (acks, chunks, Ctrl-C, escapes), hex. */
import { describe, expect, it } from "vitest";
import { checksum, encodePacket, fromHex, PacketReader, toHex } from "./packet.js";

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("RSP packets", () => {
  it("checksum is the byte sum modulo 256, two lowercase hex digits", () => {
    expect(checksum("OK")).toBe(0x9a);
    expect(encodePacket("OK")).toBe("$OK#9a");
    expect(encodePacket("")).toBe("$#00");
    expect(encodePacket("\xff\xff")).toBe("$\xff\xff#fe");
  });

  it("escapes $ # } * as } and the byte XOR 0x20; the checksum covers the escaped form", () => {
    const p = encodePacket("a$b#c}d*e");
    expect(p).toBe(`$a}\x04b}\x03c}]d}\x0ae#${checksum("a}\x04b}\x03c}]d}\x0ae").toString(16).padStart(2, "0")}`);
    const acks: string[] = [];
    expect(new PacketReader((a) => acks.push(a)).feed(bytes(p))).toEqual([{ kind: "packet", payload: "a$b#c}d*e" }]);
    expect(acks).toEqual(["+"]);
  });

  it("reads packets split over chunks, several per chunk, with noise and acks between them", () => {
    const acks: string[] = [];
    const r = new PacketReader((a) => acks.push(a));
    expect(r.feed(bytes("+$qSupp"))).toEqual([]);
    expect(r.feed(bytes("orted#37+$g#6"))).toEqual([{ kind: "packet", payload: "qSupported" }]);
    expect(r.feed(bytes("7$?#3f"))).toEqual([{ kind: "packet", payload: "g" }, { kind: "packet", payload: "?" }]);
    expect(acks).toEqual(["+", "+", "+"]);
  });

  it("answers - to a bad checksum and drops the packet; uppercase checksum digits are fine", () => {
    const acks: string[] = [];
    const r = new PacketReader((a) => acks.push(a));
    expect(r.feed(bytes("$g#00$g#zz$OK#9A"))).toEqual([{ kind: "bad-checksum" }, { kind: "bad-checksum" }, { kind: "packet", payload: "OK" }]);
    expect(acks).toEqual(["-", "-", "+"]);
  });

  it("a 0x03 between packets is an interrupt; inside a packet it is data", () => {
    const r = new PacketReader(() => {});
    expect(r.feed(Uint8Array.of(3))).toEqual([{ kind: "interrupt" }]);
    expect(r.feed(bytes(`$a\x03#${checksum("a\x03").toString(16)}`))).toEqual([{ kind: "packet", payload: "a\x03" }]);
  });

  it("hex both ways; malformed hex is undefined", () => {
    expect(toHex([0, 0x7f, 0xff])).toBe("007fff");
    expect(fromHex("007FfF")).toEqual(Uint8Array.of(0, 0x7f, 0xff));
    expect(fromHex("abc")).toBeUndefined();
    expect(fromHex("zz")).toBeUndefined();
  });
});
