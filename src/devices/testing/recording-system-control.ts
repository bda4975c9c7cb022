/**
 * A SystemControl for tests: records every reset and power-off request instead of acting.
 */

import type { ShutdownCause, SystemControl } from "../system-control.js";

export class RecordingSystemControl implements SystemControl {
  readonly requests: ShutdownCause[] = [];

  requestReset(reason: string): void {
    this.requests.push({ kind: "reset", reason });
  }

  requestPowerOff(reason: string, exitCode = 0): void {
    this.requests.push({ kind: "poweroff", reason, exitCode });
  }

  get last(): ShutdownCause | undefined { return this.requests[this.requests.length - 1]; }
}
