#ifndef RAFTWAL_CBASELINES_H
#define RAFTWAL_CBASELINES_H
#include <stddef.h>
#include <stdint.h>

/// CRC32C with one dependency chain of the SSE4.2 `crc32` instruction: the
/// loop of the limit probe `limits/crc32c.c` (what a simple WAL does).
uint32_t baseline_crc32c(uint32_t crc, const void *data, size_t length);

/// LZ4_compress_default / LZ4_decompress_safe called directly, as `lz4 -b1`.
int baseline_lz4_compress(const void *src, void *dst, int srcSize, int dstCapacity);
int baseline_lz4_decompress(const void *src, void *dst, int srcSize, int dstCapacity);
int baseline_lz4_bound(int srcSize);
#endif
