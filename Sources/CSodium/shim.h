#ifndef RAFTWAL_CSODIUM_SHIM_H
#define RAFTWAL_CSODIUM_SHIM_H
// Debian's libsodium-dev: crypto_secretbox_open_easy (XSalsa20-Poly1305).
#include <sodium.h>
#endif
