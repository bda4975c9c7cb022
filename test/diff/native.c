/*
 * Native side of the differential tests (test/diff/harness.ts): maps the fixed test region
 * [0x200000, 0x2000000) read/write/execute, loads the generated program and the input records,
 * runs the program on the host CPU (it saves and restores the C ABI's callee-saved registers
 * itself, and switches to 32-bit compatibility mode through the 0x23 code selector for
 * 32-bit programs), then writes the output records to a file.
 *
 * usage: native PROGRAM INPUTS OUTPUT OUTPUT_BYTES
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define REGION_START 0x200000UL
#define REGION_END 0x2000000UL
#define PROG_BASE 0x400000UL
#define IN_BASE 0x800000UL
#define OUT_BASE 0x1000000UL
#define OUT_PTR 0x201f10UL

/* A fault in a case is a bug in the case: name it (OUT_PTR says which case was running). */
static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  unsigned long idx = (*(volatile unsigned int *)OUT_PTR - OUT_BASE) / 512;
  fprintf(stderr, "signal %d at address %p in case %lu\n", sig, si->si_addr, idx);
  _exit(3);
}

static long load(const char *path, unsigned long at, unsigned long max) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  long n = (long)fread((void *)at, 1, max, f);
  fclose(f);
  return n;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: native PROGRAM INPUTS OUTPUT OUTPUT_BYTES\n"); return 2; }
  void *p = mmap((void *)REGION_START, REGION_END - REGION_START, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void *)REGION_START) { perror("mmap"); return 2; }
  /* Low memory for 16-bit addressing cases (offsets 0x1000..0xffff with a zero segment base);
     only possible when vm.mmap_min_addr allows it (the harness checks before using it). */
  mmap((void *)0x1000, 0xf000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  /* Cases run on a stack inside the test window: signals need their own stack. */
  static char altstack[1 << 16];
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
  sigaltstack(&ss, 0);
  for (int sig = 1; sig < 32; sig++) if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP) sigaction(sig, &sa, 0);
  load(argv[1], PROG_BASE, IN_BASE - PROG_BASE);
  load(argv[2], IN_BASE, OUT_BASE - IN_BASE);
  ((void (*)(void))PROG_BASE)();
  unsigned long n = strtoul(argv[4], 0, 0);
  FILE *f = fopen(argv[3], "wb");
  if (!f || fwrite((void *)OUT_BASE, 1, n, f) != n) { perror(argv[3]); return 2; }
  fclose(f);
  return 0;
}
