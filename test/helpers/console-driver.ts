/**
 * Drive a booted machine through its serial console, for the boot tests: run until a text
 * appears, type a shell command and collect its output up to the next prompt. Yields to the
 * event loop now and then so vitest's worker stays responsive.
 */
import type { MemoryCharBackend } from "../../src/devices/char-backend.js";
import type { Machine } from "../../src/machine/machine.js";

export const SHELL_PROMPT = "tsemu:/# ";

export class ConsoleDriver {
  /** The machine's exit status once it has powered off (or reset with -no-reboot). */
  exitCode: number | undefined;

  constructor(private readonly _m: Machine, readonly serial: MemoryCharBackend) {}

  /** Run until `text` appears in the console output after `from`; returns the output since `from`. */
  async runUntil(text: string, from: number, maxInsns = 8e9): Promise<string> {
    const m = this._m, serial = this.serial;
    let ran = 0;
    for (let slices = 0; ran < maxInsns && slices < 400_000; slices++) {
      const out = serial.text.slice(from);
      if (out.includes(text)) return out;
      if (slices % 50 === 0) await new Promise((res) => setImmediate(res));
      const before = m.cpu.stats.insnsRetired;
      const r = m.runSlice(2_000_000);
      ran += m.cpu.stats.insnsRetired - before + 1;
      if (r.kind === "exit") { this.exitCode = r.exitCode; return serial.text.slice(from); }
    }
    throw new Error(`"${text}" did not appear; console ends with: ${serial.text.slice(-400)}`);
  }

  /**
   * Run from power-on to the first shell prompt; prints the guest instructions and wall time
   * it took (the figures the boot tests report) and returns the console output.
   */
  async bootToPrompt(label: string): Promise<string> {
    const t0 = performance.now();
    const out = await this.runUntil(SHELL_PROMPT, 0);
    console.log(`${label}: prompt after ${(this._m.cpu.stats.insnsRetired / 1e9).toFixed(2)}e9 guest instructions, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return out;
  }

  /** Type a command line and return its output (up to the next prompt). */
  async sh(cmd: string): Promise<string> {
    const from = this.serial.text.length;
    this.serial.receive(new TextEncoder().encode(cmd + "\n"));
    const out = await this.runUntil(SHELL_PROMPT, from + cmd.length);
    return out.slice(0, out.lastIndexOf(SHELL_PROMPT)).replace(/\r/g, "");
  }

  /** Type `poweroff -f` and run until the machine exits; returns the exit status. */
  async powerOff(): Promise<number | undefined> {
    this.serial.receive(new TextEncoder().encode("poweroff -f\n"));
    await this.runUntil("this text never appears", this.serial.text.length);
    return this.exitCode;
  }
}
