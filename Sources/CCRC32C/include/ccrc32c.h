#ifndef RAFTWAL_CCRC32C_H
#define RAFTWAL_CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// Extends a CRC32C (Castagnoli) over `length` bytes. `crc` is the running
/// value as returned by a previous call (0 to start); no pre/post inversion
/// is exposed to the caller: the function handles it, so calls chain.
uint32_t raftwal_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// Same result, always through the portable table-driven path.
uint32_t raftwal_crc32c_extend_portable(uint32_t crc, const void *data, size_t length);

/// 1 when the CPU's SSE4.2 crc32 instruction is in use.
int raftwal_crc32c_hardware(void);
#endif
