/**
 * PIIX3 PCI-to-ISA bridge stub as function 00:01.0 (vendor 8086, device 7000, class 0601,
 * multi-function), enough for enumeration and for the guest to program PIRQ routing:
 * registers 0x60-0x63 (PIRQA-D route control: bit 7 = disabled, bits 3:0 = ISA IRQ) are
 * writable; the board may read them through `pirqRoute()` when it routes INTx.
 */

import { PciDevice } from "./pci-device.js";

const PIRQC = 0x60;

export interface Piix3IsaOptions {
  id?: string;
}

export class Piix3Isa extends PciDevice {
  readonly typeName = "PIIX3";

  constructor(opts: Piix3IsaOptions = {}) {
    super({ vendorId: 0x8086, deviceId: 0x7000, classCode: 0x060100, multiFunction: true, id: opts.id ?? "piix3" });
    this.config.setWmask(PIRQC, 4, 0x8f8f8f8f);
  }

  /** ISA IRQ that PIRQ `n` (0 = A .. 3 = D) is routed to, or -1 when disabled. */
  pirqRoute(n: 0 | 1 | 2 | 3): number {
    const v = this.config.get8(PIRQC + n);
    return v & 0x80 ? -1 : v & 0x0f;
  }

  protected override onReset(): void {
    super.onReset();
    this.config.set32(PIRQC, 0x80808080);
  }
}
