// C baselines for the codec micro-benchmarks. The CRC32C loop is the one of
// ../shared/bench/limits/crc32c.c (single chain of _mm_crc32_u64).
#include "cbaselines.h"
#include <lz4.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
uint32_t baseline_crc32c(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) { c = _mm_crc32_u8((uint32_t)c, *p++); n--; }
    while (n >= 8) { uint64_t v; memcpy(&v, p, 8); c = _mm_crc32_u64(c, v); p += 8; n -= 8; }
    while (n--) c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#else
uint32_t baseline_crc32c(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint32_t c = ~crc;
    while (n--) { c ^= *p++; for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1))); }
    return ~c;
}
#endif

int baseline_lz4_compress(const void *src, void *dst, int srcSize, int dstCapacity) {
    return LZ4_compress_default((const char *)src, (char *)dst, srcSize, dstCapacity);
}

int baseline_lz4_decompress(const void *src, void *dst, int srcSize, int dstCapacity) {
    return LZ4_decompress_safe((const char *)src, (char *)dst, srcSize, dstCapacity);
}

int baseline_lz4_bound(int srcSize) { return LZ4_compressBound(srcSize); }
