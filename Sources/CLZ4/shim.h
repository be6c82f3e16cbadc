#ifndef RAFTWAL_CLZ4_SHIM_H
#define RAFTWAL_CLZ4_SHIM_H
// Debian's liblz4-dev: LZ4 block compression (lz4.h).
#include <lz4.h>
#endif
