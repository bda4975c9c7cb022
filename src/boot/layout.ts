/**
 * Every guest-physical address the boot loaders use, and the default platform addresses,
 * ports and IRQs the table builders take as parameters (the board passes its own; these are
 * the PC defaults, matching QEMU's pc/q35 machines where a guest could care).
 *
 * Low memory map written by the loaders (all below the 640 KiB conventional-memory limit,
 * above the real-mode IVT/BDA at 0..0x4ff):
 *   0x0500  GDT            0x6000  PVH start info    0x7000  zero page (boot_params)
 *   0x9000  PML4 + PDPT + 4 PDs (identity map of 4 GiB with 2 MiB pages) .. 0xefff
 *   0x20000 kernel command line (up to 64 KiB)      0x30000 multiboot info area (64 KiB)
 *   0x9fc00 EBDA (reserved in e820)  0xe0000 ACPI tables  0xf0000 MP table (BIOS area, reserved)
 */

/** Boot GDT: null, null, __BOOT_CS (0x10), __BOOT_DS (0x18), a TSS descriptor (0x20). */
export const BOOT_GDT_GPA = 0x500;
/** Selector of the flat code segment (Linux boot protocol's __BOOT_CS). */
export const BOOT_CS_SELECTOR = 0x10;
/** Selector of the flat data segment (Linux boot protocol's __BOOT_DS). */
export const BOOT_DS_SELECTOR = 0x18;
/** Selector of the 32-bit TSS descriptor PVH requires TR to hold. */
export const BOOT_TSS_SELECTOR = 0x20;
/** Where the dummy 0x68-byte TSS lives (PVH: "TR must be a 32-bit TSS, base 0, limit 0x67"). */
export const BOOT_TSS_GPA = 0;

/** PVH hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h). */
export const PVH_START_INFO_GPA = 0x6000;
/** PVH hvm_modlist_entry array (one entry per module: the initrd). */
export const PVH_MODLIST_GPA = 0x6040;
/** PVH hvm_memmap_table_entry array (24 bytes each; room for 128 entries). */
export const PVH_MEMMAP_GPA = 0x6080;
/** Maximum PVH memory map entries that fit between PVH_MEMMAP_GPA and the zero page. */
export const PVH_MEMMAP_MAX = 128;

/** Linux boot_params, the "zero page" (Documentation/arch/x86/zero-page.rst). */
export const ZERO_PAGE_GPA = 0x7000;

/** Identity page tables for the 64-bit entry: PML4 page. */
export const PML4_GPA = 0x9000;
/** Identity page tables: the PDPT page (4 entries used, one per GiB). */
export const PDPT_GPA = 0xa000;
/** Identity page tables: four page directories of 2 MiB pages, 0xb000..0xefff. */
export const PD_GPA = 0xb000;
/** How much the identity map covers (the 64-bit boot protocol needs the kernel, zero page, cmdline). */
export const IDENTITY_MAP_BYTES = 4 * 1024 * 1024 * 1024;

/** Kernel command line (cmd_line_ptr / cmdline_paddr / multiboot cmdline). */
export const CMDLINE_GPA = 0x20000;
/** Room for the command line including the NUL (the kernel's own limit comes from cmdline_size). */
export const CMDLINE_MAX = 0x10000;

/** Multiboot v1 info struct, followed by its module list, mmap and strings. */
export const MULTIBOOT_INFO_GPA = 0x30000;
/** Size of the multiboot info area. */
export const MULTIBOOT_INFO_MAX = 0x10000;

/** End of conventional RAM given to the guest: the EBDA starts here (QEMU/SeaBIOS: 639 KiB). */
export const EBDA_GPA = 0x9fc00;
/** Start of the legacy VGA hole / option ROM / BIOS area, never RAM in the e820 map. */
export const LEGACY_HOLE_GPA = 0xa0000;
/** Start of the BIOS area the loaders use for firmware tables (reserved in e820). */
export const BIOS_AREA_GPA = 0xe0000;
/** Start of extended memory (1 MiB). */
export const HIGH_MEMORY_GPA = 0x100000;

/** ACPI RSDP: 16-byte aligned inside 0xe0000..0xfffff where Linux scans for it. */
export const ACPI_RSDP_GPA = 0xe0000;
/** ACPI tables (FACS, DSDT, FADT, MADT, ...) follow the RSDP. */
export const ACPI_TABLES_GPA = 0xe0040;
/** Room for all ACPI tables (up to the MP table area). */
export const ACPI_TABLES_MAX = 0xf0000 - 0xe0040;

/** MP floating pointer structure, in the BIOS ROM range the MP spec says to scan. */
export const MPTABLE_GPA = 0xf0000;
/** Room for the MP floating pointer + configuration table. */
export const MPTABLE_MAX = 0x10000;

/** Load address for kernels that cannot be relocated and give none (boot protocol: 1 MiB). */
export const DEFAULT_KERNEL_GPA = 0x100000;
/** Alignment of initrds placed by the loaders (a page, as the boot protocol suggests). */
export const INITRD_ALIGN = 0x1000;

// ---- Platform defaults the board normally supplies (QEMU pc values) ----

/** Local APIC MMIO base. */
export const DEFAULT_LAPIC_GPA = 0xfee00000;
/** IOAPIC MMIO base. */
export const DEFAULT_IOAPIC_GPA = 0xfec00000;
/** HPET MMIO base. */
export const DEFAULT_HPET_GPA = 0xfed00000;
/** PCI Express ECAM (MMCONFIG) base for MCFG (QEMU q35's 0xb0000000). */
export const DEFAULT_ECAM_GPA = 0xb0000000;
/** First byte of the 32-bit PCI MMIO window advertised in PCI0._CRS. */
export const DEFAULT_PCI_MMIO32_GPA = 0xc0000000;
/** Last byte of the 32-bit PCI MMIO window (just below the IOAPIC). */
export const DEFAULT_PCI_MMIO32_END = 0xfebfffff;
/** ACPI PM1a event block port (PM1_STS/PM1_EN, 4 bytes; QEMU PIIX4/ICH9 use base 0x600). */
export const DEFAULT_PM1A_EVT_PORT = 0x600;
/** ACPI PM1a control block port (2 bytes). */
export const DEFAULT_PM1A_CNT_PORT = 0x604;
/** ACPI PM timer port (4 bytes). */
export const DEFAULT_PM_TMR_PORT = 0x608;
/** ACPI GPE0 block port (QEMU PIIX4: 0xafe0, 4 bytes). */
export const DEFAULT_GPE0_PORT = 0xafe0;
/** SCI interrupt (ISA IRQ 9, level-triggered active-high). */
export const DEFAULT_SCI_IRQ = 9;
/** Reset register: port 0xcf9 (PIIX3/ICH9 reset control), value 0x06 = hard reset. */
export const DEFAULT_RESET_PORT = 0xcf9;
/** Value written to the reset register to reset the machine. */
export const DEFAULT_RESET_VALUE = 0x06;
/** SLP_TYP for S5 (soft off) written by the OS to PM1a_CNT, agreed with the ACPI PM device. */
export const DEFAULT_S5_SLP_TYP = 0;
/** ISA IRQ of the PIT (overridden to GSI 2 on the IOAPIC). */
export const DEFAULT_PIT_IRQ = 0;
/** IOAPIC pin the PIT is wired to. */
export const DEFAULT_PIT_GSI = 2;
/** i8042 keyboard controller: data port, command/status port, keyboard and mouse ISA IRQs. */
export const DEFAULT_I8042_DATA_PORT = 0x60;
export const DEFAULT_I8042_CMD_PORT = 0x64;
export const DEFAULT_KBD_IRQ = 1;
export const DEFAULT_MOUSE_IRQ = 12;
/** MC146818 RTC index/data ports (2 bytes) and its ISA IRQ. */
export const DEFAULT_RTC_PORT = 0x70;
export const DEFAULT_RTC_IRQ = 8;
/** COM1 16550A (8 ports) and its ISA IRQ. */
export const DEFAULT_COM1_PORT = 0x3f8;
export const DEFAULT_COM1_IRQ = 4;
/** CMOS RTC register index holding the century (FADT CENTURY). */
export const DEFAULT_RTC_CENTURY_INDEX = 0x32;
/** HPET event timer block id: vendor 0x8086, legacy-capable, 64-bit counter, 3 timers, rev 1. */
export const DEFAULT_HPET_BLOCK_ID = 0x8086a201;
/** PCI configuration mechanism #1 ports (CONFIG_ADDRESS/CONFIG_DATA, 8 bytes), consumed by PCI0. */
export const DEFAULT_PCI_CONFIG_PORT = 0xcf8;
/**
 * GSIs of PCI INTx: slot s, pin p (0 = INTA) raises DEFAULT_PCI_INTX_GSIS[(s + p) % 4] (the
 * standard swizzle onto IOAPIC pins 16..19, as QEMU q35 does in APIC mode); the board's PCI
 * intxRoute must agree.
 */
export const DEFAULT_PCI_INTX_GSIS: readonly [number, number, number, number] = [16, 17, 18, 19];
