#ifndef AUDITQ_SHA256_MULTI_H
#define AUDITQ_SHA256_MULTI_H

#include <stddef.h>
#include <stdint.h>

/// Multi-buffer SHA-256: many independent messages hashed at once, one message per SIMD lane (8 lanes
/// with AVX2, 16 with AVX-512). On a CPU without SHA extensions this hashes a batch of short messages
/// three to six times faster than one message after another; with SHA extensions, one-at-a-time
/// hashing (OpenSSL) is faster and callers should use it.

/// CPU features that matter here, as a bit set of the values below (what the CPU and the OS support).
enum {
    AUDITQ_SHA256_CPU_AVX2 = 1,
    AUDITQ_SHA256_CPU_AVX512 = 2,
    AUDITQ_SHA256_CPU_SHA_NI = 4,
};
int auditq_sha256_cpu_features(void);

/// Hashes `count` messages: message i is `lengths[i]` bytes at `data[i]`; its digest is written to
/// `digests + 32 * i`. `lanes` chooses the implementation: 8 (AVX2) or 16 (AVX-512).
/// Returns 0, or -1 (and writes nothing) when that implementation is not available on this CPU or
/// build.
int auditq_sha256_multi(int lanes, size_t count, const uint8_t *const *data, const size_t *lengths, uint8_t *digests);

#endif
