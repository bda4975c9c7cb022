/* The CPU-bound benchmark workload, shared by every build (bare-metal multiboot kernel,
 * native host program, static Linux guest program). Freestanding: no libc calls. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H
#include <stdint.h>

/* Provided by the host build: write one line (NUL-terminated, no newline). */
void bench_line(const char *s);

/* Runs the three phases at size `scale` (1 = the default size), printing one marker line
 * per phase ("@phase <name>", "@done <name> <hex>") and "@end checksum=<hex>".
 * Returns the combined checksum. */
uint32_t bench_run(uint32_t scale);

#endif
