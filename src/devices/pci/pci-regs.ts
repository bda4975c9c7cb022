/**
 * PCI configuration-space register offsets and bits (PCI Local Bus Specification 3.0,
 * chapter 6; Linux include/uapi/linux/pci_regs.h uses the same names).
 */

export const enum PciReg {
  VENDOR_ID = 0x00,
  DEVICE_ID = 0x02,
  COMMAND = 0x04,
  STATUS = 0x06,
  REVISION = 0x08,
  CLASS_PROG = 0x09,
  CLASS_DEVICE = 0x0a,
  CACHE_LINE_SIZE = 0x0c,
  LATENCY_TIMER = 0x0d,
  HEADER_TYPE = 0x0e,
  BIST = 0x0f,
  BAR0 = 0x10,
  /** One past the last type-0 BAR (BAR5 at 0x24). */
  BAR_END = 0x28,
  SUBSYSTEM_VENDOR_ID = 0x2c,
  SUBSYSTEM_ID = 0x2e,
  ROM_ADDRESS = 0x30,
  CAPABILITY_LIST = 0x34,
  INTERRUPT_LINE = 0x3c,
  INTERRUPT_PIN = 0x3d,
  /** First byte available to capabilities. */
  CAP_START = 0x40,
}

export const enum PciCommand {
  IO = 0x001,
  MEMORY = 0x002,
  MASTER = 0x004,
  PARITY = 0x040,
  SERR = 0x100,
  INTX_DISABLE = 0x400,
}

export const enum PciStatus {
  INTERRUPT = 0x0008,
  CAP_LIST = 0x0010,
  /** Error bits a write of 1 clears (parity, SERR, aborts). */
  W1C_MASK = 0xf900,
}

export const enum PciBarFlag {
  IO = 0x01,
  MEM_TYPE_64 = 0x04,
  PREFETCH = 0x08,
}

export const enum PciCapId {
  PM = 0x01,
  MSI = 0x05,
  VENDOR = 0x09,
  EXP = 0x10,
  MSIX = 0x11,
}

export const enum PciHeader {
  TYPE_NORMAL = 0x00,
  MULTI_FUNCTION = 0x80,
}

/** Bytes of a conventional (256) and a PCI Express (4096) configuration space. */
export const PCI_CONFIG_SIZE = 256;
export const PCIE_CONFIG_SIZE = 4096;
