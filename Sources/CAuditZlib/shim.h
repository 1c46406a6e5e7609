#ifndef CAUDITZLIB_SHIM_H
#define CAUDITZLIB_SHIM_H
#include <zlib.h>

// Function-like macros are not imported into Swift.
static inline int cauditzlib_deflateInit2(z_streamp s, int level, int method, int windowBits, int memLevel, int strategy) {
    return deflateInit2(s, level, method, windowBits, memLevel, strategy);
}
static inline int cauditzlib_inflateInit2(z_streamp s, int windowBits) {
    return inflateInit2(s, windowBits);
}
#endif
