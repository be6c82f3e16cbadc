// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78).
// Hardware path: the SSE4.2 `crc32` instruction, three interleaved chains for
// large buffers (the instruction has a 3-cycle latency and 1-cycle
// throughput), combined with a GF(2) shift. Portable path: slicing-by-8.
#include "ccrc32c.h"
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static int table_ready = 0;

static void build_tables(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[k][n] = c;
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t raftwal_crc32c_extend_portable(uint32_t crc, const void *data, size_t length) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_tables();
    const unsigned char *p = (const unsigned char *)data;
    uint32_t c = ~crc;
    while (length && ((uintptr_t)p & 7)) { c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8); length--; }
    while (length >= 8) {
        uint64_t w; memcpy(&w, p, 8);
        w ^= c;
        c = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
            table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
            table[1][(w >> 48) & 0xff] ^ table[0][(w >> 56) & 0xff];
        p += 8; length -= 8;
    }
    while (length--) c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

// Multiplies `a` by x^(8*len) modulo P: used to shift a chain's CRC past the
// bytes of the chains that follow it. Computed once per block size.
static uint32_t gf2_multiply(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (int i = 0; i < 32; i++) {
        if (b & 0x80000000u) product ^= a;
        b <<= 1;
        a = (a & 1) ? (a >> 1) ^ POLY : a >> 1;
    }
    return product;
}

static uint32_t x_pow_8n(size_t n) {  // x^(8n) mod P, reflected
    uint32_t result = 0x80000000u;  // x^0
    uint32_t base = 0x00800000u;    // x^8
    while (n) {
        if (n & 1) result = gf2_multiply(result, base);
        base = gf2_multiply(base, base);
        n >>= 1;
    }
    return result;
}

#define BLOCK 8192
static uint32_t shift_block = 0;

__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t c, const unsigned char *p, size_t length) {
    while (length && ((uintptr_t)p & 7)) { c = _mm_crc32_u8(c, *p++); length--; }
    if (length >= 3 * BLOCK) {
        uint32_t shift = __atomic_load_n(&shift_block, __ATOMIC_ACQUIRE);
        if (!shift) { shift = x_pow_8n(BLOCK); __atomic_store_n(&shift_block, shift, __ATOMIC_RELEASE); }
        while (length >= 3 * BLOCK) {
            uint64_t c0 = c, c1 = 0, c2 = 0;
            const unsigned char *p0 = p, *p1 = p + BLOCK, *p2 = p + 2 * BLOCK;
            for (size_t i = 0; i < BLOCK; i += 8) {
                uint64_t w0, w1, w2;
                memcpy(&w0, p0 + i, 8); memcpy(&w1, p1 + i, 8); memcpy(&w2, p2 + i, 8);
                c0 = _mm_crc32_u64(c0, w0);
                c1 = _mm_crc32_u64(c1, w1);
                c2 = _mm_crc32_u64(c2, w2);
            }
            // crc(A||B||C) = shift(shift(c0) ^ c1) ^ c2 where chains 1 and 2 start at 0.
            uint32_t r = gf2_multiply((uint32_t)c0, shift) ^ (uint32_t)c1;
            r = gf2_multiply(r, shift) ^ (uint32_t)c2;
            c = r;
            p += 3 * BLOCK; length -= 3 * BLOCK;
        }
    }
    uint64_t c64 = c;
    while (length >= 8) { uint64_t w; memcpy(&w, p, 8); c64 = _mm_crc32_u64(c64, w); p += 8; length -= 8; }
    c = (uint32_t)c64;
    while (length--) c = _mm_crc32_u8(c, *p++);
    return c;
}

static int hw_state = -1;

int raftwal_crc32c_hardware(void) {
    int s = __atomic_load_n(&hw_state, __ATOMIC_ACQUIRE);
    if (s < 0) {
        __builtin_cpu_init();
        s = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        __atomic_store_n(&hw_state, s, __ATOMIC_RELEASE);
    }
    return s;
}

uint32_t raftwal_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    if (raftwal_crc32c_hardware()) return ~crc_hw(~crc, (const unsigned char *)data, length);
    return raftwal_crc32c_extend_portable(crc, data, length);
}
#else
int raftwal_crc32c_hardware(void) { return 0; }
uint32_t raftwal_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    return raftwal_crc32c_extend_portable(crc, data, length);
}
#endif
