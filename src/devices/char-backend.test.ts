import { describe, expect, it } from "vitest";
import { MemoryCharBackend } from "./char-backend.js";

describe("MemoryCharBackend", () => {
  it("decodes long output incrementally as Latin-1 (no call-stack overflow), and clear() starts over", () => {
    const be = new MemoryCharBackend();
    const chunk = Uint8Array.from({ length: 1000 }, (_, i) => 32 + (i % 200));
    const expected: string[] = [];
    for (let i = 0; i < 600; i++) {
      be.write(chunk);
      expected.push(String.fromCharCode(...chunk));
      if (i % 97 === 0) expect(be.text).toBe(expected.join("")); // read between writes
    }
    expect(be.text.length).toBe(600_000);
    expect(be.text).toBe(expected.join(""));
    be.clear();
    expect(be.text).toBe("");
    be.write(Uint8Array.of(0x41, 0xe9));
    expect(be.text).toBe("A\u00e9");
    expect([...be.output]).toEqual([0x41, 0xe9]);
  });
});
