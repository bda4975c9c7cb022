/* Bare-metal driver of the workload: COM1 output by polling the 16550's LSR, the scale from
 * the multiboot command line ("scale=N"), exit through isa-debug-exit (port 0xF4). */
#include <stdint.h>
#include "workload.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* gcc may call these even with -ffreestanding. */
void *memset(void *d, int c, unsigned n) { uint8_t *p = d; while (n--) *p++ = (uint8_t)c; return d; }
void *memcpy(void *d, const void *s, unsigned n) { uint8_t *p = d; const uint8_t *q = s; while (n--) *p++ = *q++; return d; }

static void serial_init(void) {
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void serial_putc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {}
  outb(COM1, (uint8_t)c);
}

void bench_line(const char *s) {
  while (*s) serial_putc(*s++);
  serial_putc('\r');
  serial_putc('\n');
}

static uint32_t scale_from_cmdline(const char *s) {
  for (; s && *s; s++) {
    const char *k = "scale=", *p = s;
    while (*k && *p == *k) { p++; k++; }
    if (*k) continue;
    uint32_t v = 0;
    while (*p >= '0' && *p <= '9') v = v * 10 + (uint32_t)(*p++ - '0');
    return v;
  }
  return 1;
}

void kmain(uint32_t magic, const uint32_t *info) {
  serial_init();
  uint32_t scale = 1;
  if (magic == 0x2badb002 && (info[0] & 4)) scale = scale_from_cmdline((const char *)(uintptr_t)info[4]);
  bench_run(scale);
  outl(DEBUG_EXIT, 0); /* QEMU exits with status 1 */
}
