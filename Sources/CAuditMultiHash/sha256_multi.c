// Multi-buffer SHA-256 (FIPS 180-4): one message per SIMD lane, every lane running the same round.
//
// The lanes' states are kept transposed (`state[word][lane]`); each step compresses one 64-byte block of
// every lane's current message. A lane whose message ends takes the next message, so a batch of messages
// of different lengths keeps every lane busy until the last few messages. Padding is built per lane in a
// small buffer for the final one or two blocks; full blocks are read in place.

#include "auditq_sha256_multi.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define AUDITQ_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define MAX_LANES 16

#if AUDITQ_X86

// MARK: - AVX-512, 16 lanes (AVX512F only: rotates and three-input logic)

#define TARGET_512 __attribute__((target("avx512f")))

TARGET_512 static inline __m512i xor3_512(__m512i a, __m512i b, __m512i c) {
    return _mm512_ternarylogic_epi32(a, b, c, 0x96);
}

/// The 16 lanes' blocks as message words: `w[t]` holds word t of every lane (a 16×16 transpose of
/// 32-bit words in registers), byte-swapped to big-endian values.
TARGET_512 static void load_words_x16(__m512i w[16], const uint8_t *const *blocks) {
    __m512i r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_si512((const void *)blocks[i]);
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    // Now r[4i + j]'s 128-bit lane k holds word 4k + j of rows 4i ..< 4i + 4.
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    const __m512i low_bytes = _mm512_set1_epi32(0x00FF00FF);
    for (int j = 0; j < 4; j++) {
        __m512i x0 = _mm512_shuffle_i32x4(r[j], r[4 + j], 0x44), x1 = _mm512_shuffle_i32x4(r[j], r[4 + j], 0xEE);
        __m512i y0 = _mm512_shuffle_i32x4(r[8 + j], r[12 + j], 0x44), y1 = _mm512_shuffle_i32x4(r[8 + j], r[12 + j], 0xEE);
        __m512i words[4] = {
            _mm512_shuffle_i32x4(x0, y0, 0x88), _mm512_shuffle_i32x4(x0, y0, 0xDD),
            _mm512_shuffle_i32x4(x1, y1, 0x88), _mm512_shuffle_i32x4(x1, y1, 0xDD),
        };
        for (int k = 0; k < 4; k++) {
            // Byte swap: bytes 0 and 2 from the left rotation, 1 and 3 from the right one.
            w[4 * k + j] = _mm512_ternarylogic_epi32(_mm512_rol_epi32(words[k], 8), _mm512_ror_epi32(words[k], 8), low_bytes, 0xE4);
        }
    }
}

TARGET_512 static void compress_x16(uint32_t state[8][MAX_LANES], const uint8_t *const *blocks) {
    __m512i a = _mm512_load_si512(state[0]), b = _mm512_load_si512(state[1]);
    __m512i c = _mm512_load_si512(state[2]), d = _mm512_load_si512(state[3]);
    __m512i e = _mm512_load_si512(state[4]), f = _mm512_load_si512(state[5]);
    __m512i g = _mm512_load_si512(state[6]), h = _mm512_load_si512(state[7]);
    __m512i w[16];
    load_words_x16(w, blocks);
    for (int t = 0; t < 64; t++) {
        __m512i wt;
        if (t < 16) {
            wt = w[t];
        } else {
            __m512i w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
            __m512i s0 = xor3_512(_mm512_ror_epi32(w15, 7), _mm512_ror_epi32(w15, 18), _mm512_srli_epi32(w15, 3));
            __m512i s1 = xor3_512(_mm512_ror_epi32(w2, 17), _mm512_ror_epi32(w2, 19), _mm512_srli_epi32(w2, 10));
            wt = _mm512_add_epi32(_mm512_add_epi32(w[t & 15], s0), _mm512_add_epi32(w[(t - 7) & 15], s1));
            w[t & 15] = wt;
        }
        __m512i sigma1 = xor3_512(_mm512_ror_epi32(e, 6), _mm512_ror_epi32(e, 11), _mm512_ror_epi32(e, 25));
        __m512i ch = _mm512_ternarylogic_epi32(e, f, g, 0xCA);
        __m512i t1 = _mm512_add_epi32(_mm512_add_epi32(h, sigma1), _mm512_add_epi32(ch, _mm512_add_epi32(wt, _mm512_set1_epi32((int)round_constants[t]))));
        __m512i sigma0 = xor3_512(_mm512_ror_epi32(a, 2), _mm512_ror_epi32(a, 13), _mm512_ror_epi32(a, 22));
        __m512i maj = _mm512_ternarylogic_epi32(a, b, c, 0xE8);
        __m512i t2 = _mm512_add_epi32(sigma0, maj);
        h = g;
        g = f;
        f = e;
        e = _mm512_add_epi32(d, t1);
        d = c;
        c = b;
        b = a;
        a = _mm512_add_epi32(t1, t2);
    }
    _mm512_store_si512(state[0], _mm512_add_epi32(a, _mm512_load_si512(state[0])));
    _mm512_store_si512(state[1], _mm512_add_epi32(b, _mm512_load_si512(state[1])));
    _mm512_store_si512(state[2], _mm512_add_epi32(c, _mm512_load_si512(state[2])));
    _mm512_store_si512(state[3], _mm512_add_epi32(d, _mm512_load_si512(state[3])));
    _mm512_store_si512(state[4], _mm512_add_epi32(e, _mm512_load_si512(state[4])));
    _mm512_store_si512(state[5], _mm512_add_epi32(f, _mm512_load_si512(state[5])));
    _mm512_store_si512(state[6], _mm512_add_epi32(g, _mm512_load_si512(state[6])));
    _mm512_store_si512(state[7], _mm512_add_epi32(h, _mm512_load_si512(state[7])));
}

// MARK: - AVX2, 8 lanes

#define TARGET_256 __attribute__((target("avx2")))

TARGET_256 static inline __m256i ror_256(__m256i x, int n) {
    return _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - n));
}

TARGET_256 static inline __m256i xor3_256(__m256i a, __m256i b, __m256i c) {
    return _mm256_xor_si256(_mm256_xor_si256(a, b), c);
}

/// The 8 lanes' blocks as message words (two 8×8 transposes in registers), big-endian.
TARGET_256 static void load_words_x8(__m256i w[16], const uint8_t *const *blocks) {
    const __m256i swap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    for (int half = 0; half < 2; half++) {
        __m256i r[8], t[8], u[8];
        for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_si256((const __m256i *)(blocks[i] + 32 * half));
        for (int i = 0; i < 4; i++) {
            t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
        }
        // u[4i + j]'s 128-bit lane k holds word 4k + j of rows 4i ..< 4i + 4.
        for (int i = 0; i < 2; i++) {
            u[4 * i] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
            u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
            u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
            u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
        }
        for (int j = 0; j < 4; j++) {
            w[8 * half + j] = _mm256_shuffle_epi8(_mm256_permute2x128_si256(u[j], u[4 + j], 0x20), swap);
            w[8 * half + 4 + j] = _mm256_shuffle_epi8(_mm256_permute2x128_si256(u[j], u[4 + j], 0x31), swap);
        }
    }
}

TARGET_256 static void compress_x8(uint32_t state[8][MAX_LANES], const uint8_t *const *blocks) {
    __m256i a = _mm256_load_si256((const __m256i *)state[0]), b = _mm256_load_si256((const __m256i *)state[1]);
    __m256i c = _mm256_load_si256((const __m256i *)state[2]), d = _mm256_load_si256((const __m256i *)state[3]);
    __m256i e = _mm256_load_si256((const __m256i *)state[4]), f = _mm256_load_si256((const __m256i *)state[5]);
    __m256i g = _mm256_load_si256((const __m256i *)state[6]), h = _mm256_load_si256((const __m256i *)state[7]);
    __m256i w[16];
    load_words_x8(w, blocks);
    for (int t = 0; t < 64; t++) {
        __m256i wt;
        if (t < 16) {
            wt = w[t];
        } else {
            __m256i w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
            __m256i s0 = xor3_256(ror_256(w15, 7), ror_256(w15, 18), _mm256_srli_epi32(w15, 3));
            __m256i s1 = xor3_256(ror_256(w2, 17), ror_256(w2, 19), _mm256_srli_epi32(w2, 10));
            wt = _mm256_add_epi32(_mm256_add_epi32(w[t & 15], s0), _mm256_add_epi32(w[(t - 7) & 15], s1));
            w[t & 15] = wt;
        }
        __m256i sigma1 = xor3_256(ror_256(e, 6), ror_256(e, 11), ror_256(e, 25));
        __m256i ch = _mm256_xor_si256(_mm256_and_si256(e, f), _mm256_andnot_si256(e, g));
        __m256i t1 = _mm256_add_epi32(_mm256_add_epi32(h, sigma1), _mm256_add_epi32(ch, _mm256_add_epi32(wt, _mm256_set1_epi32((int)round_constants[t]))));
        __m256i sigma0 = xor3_256(ror_256(a, 2), ror_256(a, 13), ror_256(a, 22));
        __m256i maj = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)));
        __m256i t2 = _mm256_add_epi32(sigma0, maj);
        h = g;
        g = f;
        f = e;
        e = _mm256_add_epi32(d, t1);
        d = c;
        c = b;
        b = a;
        a = _mm256_add_epi32(t1, t2);
    }
    _mm256_store_si256((__m256i *)state[0], _mm256_add_epi32(a, _mm256_load_si256((const __m256i *)state[0])));
    _mm256_store_si256((__m256i *)state[1], _mm256_add_epi32(b, _mm256_load_si256((const __m256i *)state[1])));
    _mm256_store_si256((__m256i *)state[2], _mm256_add_epi32(c, _mm256_load_si256((const __m256i *)state[2])));
    _mm256_store_si256((__m256i *)state[3], _mm256_add_epi32(d, _mm256_load_si256((const __m256i *)state[3])));
    _mm256_store_si256((__m256i *)state[4], _mm256_add_epi32(e, _mm256_load_si256((const __m256i *)state[4])));
    _mm256_store_si256((__m256i *)state[5], _mm256_add_epi32(f, _mm256_load_si256((const __m256i *)state[5])));
    _mm256_store_si256((__m256i *)state[6], _mm256_add_epi32(g, _mm256_load_si256((const __m256i *)state[6])));
    _mm256_store_si256((__m256i *)state[7], _mm256_add_epi32(h, _mm256_load_si256((const __m256i *)state[7])));
}

// MARK: - CPU features

static int detect_features(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int osxsave = (ecx >> 27) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int features = 0;
    if ((ebx >> 29) & 1) features |= AUDITQ_SHA256_CPU_SHA_NI;
    if (!osxsave) return features;
    // Which register states the OS saves: XMM and YMM (bits 1, 2); opmask and ZMM (bits 5 to 7).
    uint32_t xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0x6) == 0x6 && ((ebx >> 5) & 1)) features |= AUDITQ_SHA256_CPU_AVX2;
    if ((xcr0_low & 0xE6) == 0xE6 && ((ebx >> 16) & 1)) features |= AUDITQ_SHA256_CPU_AVX512;
    return features;
}

int auditq_sha256_cpu_features(void) {
    // Detected once; a race only detects twice, with the same answer.
    static int cached = -1;
    int features = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (features < 0) {
        features = detect_features();
        __atomic_store_n(&cached, features, __ATOMIC_RELAXED);
    }
    return features;
}

#else

int auditq_sha256_cpu_features(void) { return 0; }

#endif

// MARK: - Scheduling messages onto lanes

typedef void (*compress_fn)(uint32_t state[8][MAX_LANES], const uint8_t *const *blocks);

typedef struct {
    size_t message;       // index of the message in the lane, or SIZE_MAX when idle
    size_t next_block;    // blocks of it compressed so far
    size_t full_blocks;   // blocks read in place
    size_t total_blocks;  // full blocks plus the one or two padding blocks
    uint8_t tail[128];    // the padded final block(s)
} lane_state;

static void start_message(lane_state *lane, uint32_t state[8][MAX_LANES], int index, size_t message, size_t length, const uint8_t *data) {
    lane->message = message;
    lane->next_block = 0;
    lane->full_blocks = length / 64;
    size_t rest = length % 64;
    size_t tail_blocks = rest < 56 ? 1 : 2;
    lane->total_blocks = lane->full_blocks + tail_blocks;
    memset(lane->tail, 0, sizeof lane->tail);
    if (rest > 0) memcpy(lane->tail, data + lane->full_blocks * 64, rest);
    lane->tail[rest] = 0x80;
    uint64_t bits = (uint64_t)length * 8;
    uint8_t *end = lane->tail + tail_blocks * 64;
    for (int i = 1; i <= 8; i++) {
        end[-i] = (uint8_t)(bits >> (8 * (i - 1)));
    }
    for (int w = 0; w < 8; w++) state[w][index] = initial_state[w];
}

static void write_digest(uint32_t state[8][MAX_LANES], int index, uint8_t *out) {
    for (int w = 0; w < 8; w++) {
        uint32_t v = state[w][index];
        out[4 * w] = (uint8_t)(v >> 24);
        out[4 * w + 1] = (uint8_t)(v >> 16);
        out[4 * w + 2] = (uint8_t)(v >> 8);
        out[4 * w + 3] = (uint8_t)v;
    }
}

static void hash_many(compress_fn compress, int lanes, size_t count, const uint8_t *const *data, const size_t *lengths, uint8_t *digests) {
    static const uint8_t idle_block[64];
    uint32_t state[8][MAX_LANES] __attribute__((aligned(64)));
    lane_state lane[MAX_LANES];
    const uint8_t *blocks[MAX_LANES];
    memset(state, 0, sizeof state);
    size_t next = 0;
    int active = 0;
    for (int i = 0; i < lanes; i++) {
        if (next < count) {
            start_message(&lane[i], state, i, next, lengths[next], data[next]);
            next++;
            active++;
        } else {
            lane[i].message = SIZE_MAX;
        }
    }
    while (active > 0) {
        for (int i = 0; i < lanes; i++) {
            lane_state *l = &lane[i];
            if (l->message == SIZE_MAX) {
                blocks[i] = idle_block;
            } else if (l->next_block < l->full_blocks) {
                blocks[i] = data[l->message] + l->next_block * 64;
            } else {
                blocks[i] = l->tail + (l->next_block - l->full_blocks) * 64;
            }
        }
        compress(state, blocks);
        for (int i = 0; i < lanes; i++) {
            lane_state *l = &lane[i];
            if (l->message == SIZE_MAX) continue;
            l->next_block++;
            if (l->next_block < l->total_blocks) continue;
            write_digest(state, i, digests + 32 * l->message);
            if (next < count) {
                start_message(l, state, i, next, lengths[next], data[next]);
                next++;
            } else {
                l->message = SIZE_MAX;
                active--;
            }
        }
    }
}

int auditq_sha256_multi(int lanes, size_t count, const uint8_t *const *data, const size_t *lengths, uint8_t *digests) {
#if AUDITQ_X86
    int features = auditq_sha256_cpu_features();
    if (lanes == 16 && (features & AUDITQ_SHA256_CPU_AVX512)) {
        hash_many(compress_x16, 16, count, data, lengths, digests);
        return 0;
    }
    if (lanes == 8 && (features & AUDITQ_SHA256_CPU_AVX2)) {
        hash_many(compress_x8, 8, count, data, lengths, digests);
        return 0;
    }
#else
    (void)lanes;
    (void)count;
    (void)data;
    (void)lengths;
    (void)digests;
#endif
    return -1;
}
