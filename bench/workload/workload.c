/* The benchmark workload: SHA-256 over a pseudo-random buffer, quicksort of pseudo-random
 * 32-bit integers, and a small bytecode interpreter. Written for gcc -O2 in three builds:
 * -m32 freestanding (multiboot kernel), and x86-64 hosted (native, static Linux guest).
 * Only 32-bit integer arithmetic (no 64-bit division, so no libgcc) and no floating point. */
#include "workload.h"

#define BUF_BYTES (64u * 1024u)
#define SORT_N 20000u
#define INTERP_ITERS 200000u

static uint8_t buf[BUF_BYTES];
static uint32_t keys[SORT_N];

/* ---- output helpers */
static char *put_str(char *p, const char *s) { while (*s) *p++ = *s++; return p; }
static char *put_hex(char *p, uint32_t v) {
  for (int i = 7; i >= 0; i--) *p++ = "0123456789abcdef"[(v >> (i * 4)) & 15];
  return p;
}
static void line2(const char *a, const char *b) {
  char out[96]; char *p = put_str(out, a); p = put_str(p, b); *p = 0; bench_line(out);
}
static void line_hex(const char *a, const char *b, uint32_t v) {
  char out[96]; char *p = put_str(out, a); p = put_str(p, b); *p++ = ' '; p = put_hex(p, v); *p = 0;
  bench_line(out);
}

/* ---- xorshift32 */
static uint32_t rng_state;
static uint32_t rng(void) {
  uint32_t x = rng_state;
  x ^= x << 13; x ^= x >> 17; x ^= x << 5;
  return rng_state = x;
}

/* ---- SHA-256 (FIPS 180-4) */
static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* SHA-256 of buf (length a multiple of 64, so the padding is one extra block). */
static void sha256(uint32_t h[8], const uint8_t *data, uint32_t len) {
  static const uint32_t init[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  for (int i = 0; i < 8; i++) h[i] = init[i];
  for (uint32_t off = 0; off < len; off += 64) sha256_block(h, data + off);
  uint8_t pad[64];
  for (int i = 0; i < 64; i++) pad[i] = 0;
  pad[0] = 0x80;
  uint32_t bits = len << 3;
  pad[60] = (uint8_t)(bits >> 24); pad[61] = (uint8_t)(bits >> 16); pad[62] = (uint8_t)(bits >> 8); pad[63] = (uint8_t)bits;
  pad[59] = (uint8_t)(len >> 29);
  sha256_block(h, pad);
}

static uint32_t phase_sha(uint32_t rounds) {
  uint32_t acc = 0, h[8];
  for (uint32_t r = 0; r < rounds; r++) {
    rng_state = 0x9e3779b9u + r;
    for (uint32_t i = 0; i < BUF_BYTES; i += 4) {
      uint32_t v = rng();
      buf[i] = (uint8_t)v; buf[i + 1] = (uint8_t)(v >> 8); buf[i + 2] = (uint8_t)(v >> 16); buf[i + 3] = (uint8_t)(v >> 24);
    }
    sha256(h, buf, BUF_BYTES);
    for (int i = 0; i < 8; i++) acc = ROR(acc, 5) ^ h[i];
  }
  return acc;
}

/* ---- quicksort (Hoare partition, median of three, insertion sort for short runs) */
static void insertion(uint32_t *a, int n) {
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i]; int j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}
static void quicksort(uint32_t *a, int n) {
  while (n > 16) {
    uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
    uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int i = -1, j = n;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (i >= j) break;
      uint32_t t = a[i]; a[i] = a[j]; a[j] = t;
    }
    /* recurse into the smaller half, loop on the larger */
    if (j + 1 < n - j - 1) { quicksort(a, j + 1); a += j + 1; n -= j + 1; }
    else { quicksort(a + j + 1, n - j - 1); n = j + 1; }
  }
  insertion(a, n);
}

static uint32_t phase_sort(uint32_t rounds) {
  uint32_t acc = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    rng_state = 0x12345678u + r * 7919u;
    for (uint32_t i = 0; i < SORT_N; i++) keys[i] = rng();
    quicksort(keys, (int)SORT_N);
    for (uint32_t i = 1; i < SORT_N; i++) if (keys[i - 1] > keys[i]) return 0xdeadbeef;
    for (uint32_t i = 0; i < SORT_N; i += 97) acc = (acc * 31u) ^ keys[i];
  }
  return acc;
}

/* ---- bytecode interpreter: a stack machine with a switch dispatch loop */
enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_SHR, OP_DUP, OP_JNZ, OP_HALT, OP_ROT };

/* vars: 0 = i (counter), 1 = a, 2 = b. Loop body: a = a*33 ^ i; b = b + (a>>3); i = i-1. */
static const int32_t program[] = {
  OP_LOAD, 1, OP_PUSH, 33, OP_MUL, OP_LOAD, 0, OP_XOR, OP_STORE, 1,
  OP_LOAD, 2, OP_LOAD, 1, OP_PUSH, 3, OP_SHR, OP_ADD, OP_ROT, OP_STORE, 2,
  OP_LOAD, 0, OP_PUSH, 1, OP_SUB, OP_DUP, OP_STORE, 0,
  OP_JNZ, 0,
  OP_HALT,
};

static uint32_t interpret(const int32_t *code, uint32_t iters) {
  uint32_t stack[16], vars[4] = { iters, 1, 0, 0 };
  int sp = 0, pc = 0;
  for (;;) {
    int32_t op = code[pc++];
    switch (op) {
    case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
    case OP_LOAD: stack[sp++] = vars[code[pc++]]; break;
    case OP_STORE: vars[code[pc++]] = stack[--sp]; break;
    case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
    case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
    case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
    case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
    case OP_SHR: sp--; stack[sp - 1] >>= stack[sp] & 31; break;
    case OP_ROT: stack[sp - 1] = ROR(stack[sp - 1], 7); break;
    case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
    case OP_JNZ: { int32_t t = code[pc++]; if (stack[--sp]) pc = t; break; }
    case OP_HALT: return vars[1] ^ vars[2];
    default: return 0xbadc0de;
    }
  }
}

static uint32_t phase_interp(uint32_t rounds) {
  uint32_t acc = 0;
  for (uint32_t r = 0; r < rounds; r++) acc = ROR(acc, 3) ^ interpret(program, INTERP_ITERS + r);
  return acc;
}

uint32_t bench_run(uint32_t scale) {
  if (scale == 0) scale = 1;
  uint32_t sum = 0, v;
  line_hex("@start", " scale", scale);
  line2("@phase ", "sha256");
  v = phase_sha(8 * scale);
  line_hex("@done ", "sha256", v); sum ^= v;
  line2("@phase ", "sort");
  v = phase_sort(6 * scale);
  line_hex("@done ", "sort", v); sum = ROR(sum, 11) ^ v;
  line2("@phase ", "interp");
  v = phase_interp(2 * scale);
  line_hex("@done ", "interp", v); sum = ROR(sum, 11) ^ v;
  line_hex("@end", " checksum", sum);
  return sum;
}
