/* sha256_ni.c - SHA-256 compression with the x86 SHA extensions, one or two
 * independent messages at a time. One message is bound by the latency of
 * sha256rnds2 (what OpenSSL reaches per core); interleaving two files keeps
 * the unit busy and hashes about twice the bytes per core. Padding and
 * buffering are the caller's (digest.c); results are checked against
 * OpenSSL in tests/unit/test_cardano_db_sha.c. */
#include "cardano_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

int mtl_sha256ni_available(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 19)) || !(c & (1u << 9)))
        return 0; /* SSE4.1, SSSE3 */
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) != 0; /* SHA */
}

/* state (a..h) <-> the ABEF/CDGH register layout of sha256rnds2 */
SHA_TARGET static inline void load_state(const uint32_t h[8], __m128i *s0, __m128i *s1)
{
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1); /* CDAB */
    __m128i u = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* EFGH */
    *s0 = _mm_alignr_epi8(t, u, 8);                                              /* ABEF */
    *s1 = _mm_blend_epi16(u, t, 0xF0);                                           /* CDGH */
}

SHA_TARGET static inline void store_state(uint32_t h[8], __m128i s0, __m128i s1)
{
    __m128i t = _mm_shuffle_epi32(s0, 0x1B); /* FEBA */
    __m128i u = _mm_shuffle_epi32(s1, 0xB1); /* DCHG */
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, u, 0xF0)); /* DCBA */
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(u, t, 8));    /* HGFE */
}

/* Four rounds (group i) of one message; w[] holds the last 16 words. */
#define SHA_GROUP(i, s0, s1, w, p)                                                                 \
    do {                                                                                           \
        __m128i m_;                                                                                \
        if ((i) < 4) {                                                                             \
            w[(i)] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 16 * (i))), bswap);  \
        } else {                                                                                   \
            m_ = _mm_add_epi32(_mm_sha256msg1_epu32(w[(i) & 3], w[((i) + 1) & 3]),                 \
                               _mm_alignr_epi8(w[((i) + 3) & 3], w[((i) + 2) & 3], 4));            \
            w[(i) & 3] = _mm_sha256msg2_epu32(m_, w[((i) + 3) & 3]);                               \
        }                                                                                          \
        m_ = _mm_add_epi32(w[(i) & 3], _mm_loadu_si128((const __m128i *)&K[4 * (i)]));             \
        s1 = _mm_sha256rnds2_epu32(s1, s0, m_);                                                    \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m_, 0x0E));                           \
    } while (0)

SHA_TARGET void mtl_sha256ni_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i s0, s1, w[4];
    load_state(h, &s0, &s1);
    for (; nblocks > 0; nblocks--, p += 64) {
        __m128i a0 = s0, a1 = s1;
        SHA_GROUP(0, s0, s1, w, p);
        SHA_GROUP(1, s0, s1, w, p);
        SHA_GROUP(2, s0, s1, w, p);
        SHA_GROUP(3, s0, s1, w, p);
        SHA_GROUP(4, s0, s1, w, p);
        SHA_GROUP(5, s0, s1, w, p);
        SHA_GROUP(6, s0, s1, w, p);
        SHA_GROUP(7, s0, s1, w, p);
        SHA_GROUP(8, s0, s1, w, p);
        SHA_GROUP(9, s0, s1, w, p);
        SHA_GROUP(10, s0, s1, w, p);
        SHA_GROUP(11, s0, s1, w, p);
        SHA_GROUP(12, s0, s1, w, p);
        SHA_GROUP(13, s0, s1, w, p);
        SHA_GROUP(14, s0, s1, w, p);
        SHA_GROUP(15, s0, s1, w, p);
        s0 = _mm_add_epi32(s0, a0);
        s1 = _mm_add_epi32(s1, a1);
    }
    store_state(h, s0, s1);
}

#define SHA_GROUP2(i)                                                                              \
    do {                                                                                           \
        SHA_GROUP(i, x0, x1, wx, p);                                                               \
        SHA_GROUP(i, y0, y1, wy, q);                                                               \
    } while (0)

SHA_TARGET void mtl_sha256ni_blocks_x2(uint32_t h[8], const uint8_t *p, uint32_t g[8],
                                       const uint8_t *q, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i x0, x1, y0, y1, wx[4], wy[4];
    load_state(h, &x0, &x1);
    load_state(g, &y0, &y1);
    for (; nblocks > 0; nblocks--, p += 64, q += 64) {
        __m128i ax0 = x0, ax1 = x1, ay0 = y0, ay1 = y1;
        SHA_GROUP2(0);
        SHA_GROUP2(1);
        SHA_GROUP2(2);
        SHA_GROUP2(3);
        SHA_GROUP2(4);
        SHA_GROUP2(5);
        SHA_GROUP2(6);
        SHA_GROUP2(7);
        SHA_GROUP2(8);
        SHA_GROUP2(9);
        SHA_GROUP2(10);
        SHA_GROUP2(11);
        SHA_GROUP2(12);
        SHA_GROUP2(13);
        SHA_GROUP2(14);
        SHA_GROUP2(15);
        x0 = _mm_add_epi32(x0, ax0);
        x1 = _mm_add_epi32(x1, ax1);
        y0 = _mm_add_epi32(y0, ay0);
        y1 = _mm_add_epi32(y1, ay1);
    }
    store_state(h, x0, x1);
    store_state(g, y0, y1);
}

#else /* not x86-64: digest.c keeps to OpenSSL */

int mtl_sha256ni_available(void)
{
    return 0;
}
void mtl_sha256ni_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    (void)h, (void)p, (void)nblocks;
}
void mtl_sha256ni_blocks_x2(uint32_t h[8], const uint8_t *p, uint32_t g[8], const uint8_t *q,
                            size_t nblocks)
{
    (void)h, (void)p, (void)g, (void)q, (void)nblocks;
}
#endif
