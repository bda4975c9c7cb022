/* Hosted driver of the workload: the native baseline (x86-64 host) and the static program
 * run inside the Debian guest. Usage: workload [scale]. Lines go straight to fd 1. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "workload.h"

void bench_line(const char *s) {
  size_t n = strlen(s);
  char out[128];
  memcpy(out, s, n);
  out[n] = '\n';
  ssize_t w = write(1, out, n + 1);
  (void)w;
}

int main(int argc, char **argv) {
  uint32_t scale = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 10) : 1;
  bench_run(scale);
  return 0;
}
