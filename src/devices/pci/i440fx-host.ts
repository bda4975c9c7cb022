/**
 * The i440FX host bridge as PCI function 00:00.0 (vendor 8086, device 1237, class 0600),
 * only as far as guests need to enumerate it cleanly: the PAM (0x59-0x5F) and SMRAM (0x72)
 * registers are writable bytes with no memory-remapping effect yet (logged once as unimp).
 */

import { nullLogger, type Logger } from "../../common/log.js";
import { PciDevice } from "./pci-device.js";

const PAM0 = 0x59;
const SMRAM = 0x72;

export interface I440fxHostOptions {
  id?: string;
  logger?: Logger;
}

export class I440fxHost extends PciDevice {
  readonly typeName = "i440FX";
  private readonly _log: Logger;

  constructor(opts: I440fxHostOptions = {}) {
    super({ vendorId: 0x8086, deviceId: 0x1237, classCode: 0x060000, revision: 0x02, id: opts.id ?? "i440fx" });
    this._log = opts.logger ?? nullLogger();
    this.config.setWmask(PAM0, 7, 0xffffffffffff);
    this.config.setWmask(PAM0 + 6, 1, 0xff);
    this.config.setWmask(SMRAM, 1, 0x78);
    this.onConfigWrite((off, len) => {
      if (off < PAM0 + 7 && off + len > PAM0) this._log.unimp("i440FX: PAM shadow-RAM control has no effect", "i440fx-pam");
    });
  }

  protected override onReset(): void {
    super.onReset();
    for (let i = 0; i < 7; i++) this.config.set8(PAM0 + i, 0);
    this.config.set8(SMRAM, 0x02);
  }
}
