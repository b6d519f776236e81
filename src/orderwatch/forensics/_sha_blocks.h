/* SHA-1's block function (FIPS 180-4, 6.1.2) for orderwatch's C modules: portable C, and with
 * the x86 SHA extensions (sha1rnds4, sha1nexte, sha1msg1, sha1msg2). Included by _shalanes.c
 * (files' SHA-1 and SHA-256) and parsers/_visitlines.c (observation ids): one implementation,
 * compiled into each. Define SHA_BLOCKS_PORTABLE before including it for the portable code only.
 */
#ifndef ORDERWATCH_SHA_BLOCKS_H
#define ORDERWATCH_SHA_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(SHA_BLOCKS_PORTABLE)
#include <immintrin.h>
#define SHA_BLOCKS_X86 1
#endif

#define SHA_BLOCK 64

static inline uint32_t
load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

#define ROL32(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
#define ROR32(x, s) (((x) >> (s)) | ((x) << (32 - (s))))

/* FIPS 180-4, 6.1.2: `nblocks` whole blocks of one message into state[5]. */
static inline void
sha1_blocks_portable(uint32_t *state, const unsigned char *p, size_t nblocks)
{
    for (; nblocks; nblocks--, p += SHA_BLOCK) {
        uint32_t W[80];
        for (int t = 0; t < 16; t++) {
            W[t] = load_be32(p + 4 * t);
        }
        for (int t = 16; t < 80; t++) {
            uint32_t x = W[t - 3] ^ W[t - 8] ^ W[t - 14] ^ W[t - 16];
            W[t] = ROL32(x, 1);
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int t = 0; t < 80; t++) {
            uint32_t f, k;
            if (t < 20) {
                f = (b & c) ^ (~b & d);
                k = 0x5a827999;
            }
            else if (t < 40) {
                f = b ^ c ^ d;
                k = 0x6ed9eba1;
            }
            else if (t < 60) {
                f = (b & c) ^ (b & d) ^ (c & d);
                k = 0x8f1bbcdc;
            }
            else {
                f = b ^ c ^ d;
                k = 0xca62c1d6;
            }
            uint32_t T = ROL32(a, 5) + f + e + k + W[t];
            e = d;
            d = c;
            c = ROL32(b, 30);
            b = a;
            a = T;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }
}

#ifdef SHA_BLOCKS_X86

#define NI __attribute__((target("sha,sse4.1,ssse3")))
#define NI_INLINE __attribute__((target("sha,sse4.1,ssse3"), always_inline)) static inline

/* Register layouts the instructions define. SHA-256: the state as ABEF = (F, E, B, A) and
 * CDGH = (H, G, D, C) in dwords 0..3; message words W[t..t+3] in dwords 0..3. SHA-1: the state
 * as (D, C, B, A) with E apart in dword 3; message words W[t..t+3] in dwords 3..0. */
#define BSWAP32_MASK _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3)

NI_INLINE void
sha1_load(const uint32_t *st, __m128i *abcd, __m128i *e)
{
    *abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0x1B);
    *e = _mm_set_epi32((int)st[4], 0, 0, 0);
}

NI_INLINE void
sha1_save(uint32_t *st, __m128i abcd, __m128i e)
{
    _mm_storeu_si128((__m128i *)st, _mm_shuffle_epi32(abcd, 0x1B));
    st[4] = (uint32_t)_mm_extract_epi32(e, 3);
}

/* SHA-1 rounds 4q..4q+3: W[4q..4q+3] into n[q % 4] (for q < 4 the SHA-256 words `w256`
 * reversed, else W[t] = rol1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16])); E for the rounds is e0 + W
 * at q = 0, then rol30(A four rounds back, kept in *prev) + W. */
NI_INLINE void
sha1_quad(int q, __m128i w256, __m128i n[4], __m128i *abcd, __m128i e0, __m128i *prev)
{
    __m128i e;
    if (q < 4) {
        n[q] = _mm_shuffle_epi32(w256, 0x1B);
    }
    else {
        __m128i t = _mm_sha1msg1_epu32(n[q & 3], n[(q + 1) & 3]);
        t = _mm_xor_si128(t, n[(q + 2) & 3]);
        n[q & 3] = _mm_sha1msg2_epu32(t, n[(q + 3) & 3]);
    }
    e = q == 0 ? _mm_add_epi32(e0, n[0]) : _mm_sha1nexte_epu32(*prev, n[q & 3]);
    *prev = *abcd;
    switch (q / 5) { /* the function and constant: an immediate operand */
    case 0:
        *abcd = _mm_sha1rnds4_epu32(*abcd, e, 0);
        break;
    case 1:
        *abcd = _mm_sha1rnds4_epu32(*abcd, e, 1);
        break;
    case 2:
        *abcd = _mm_sha1rnds4_epu32(*abcd, e, 2);
        break;
    default:
        *abcd = _mm_sha1rnds4_epu32(*abcd, e, 3);
        break;
    }
}

NI static void
sha1_blocks_ni(uint32_t *st, const unsigned char *p, size_t nblocks)
{
    __m128i abcd, e0;
    sha1_load(st, &abcd, &e0);
    for (; nblocks; nblocks--, p += SHA_BLOCK) {
        __m128i n[4], prev = abcd, abcd0 = abcd;
#pragma GCC unroll 20
        for (int q = 0; q < 20; q++) {
            __m128i w = _mm_setzero_si128();
            if (q < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * q)),
                                     BSWAP32_MASK);
            }
            sha1_quad(q, w, n, &abcd, e0, &prev);
        }
        e0 = _mm_sha1nexte_epu32(prev, e0);
        abcd = _mm_add_epi32(abcd, abcd0);
    }
    sha1_save(st, abcd, e0);
}

/* Whether this CPU runs the SHA extensions sha1_blocks_ni needs. */
static inline int
sha_blocks_cpu_has_ni(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") &&
           __builtin_cpu_supports("ssse3");
}

#endif /* SHA_BLOCKS_X86 */
#endif /* ORDERWATCH_SHA_BLOCKS_H */
