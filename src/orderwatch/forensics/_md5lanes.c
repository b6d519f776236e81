/* MD5 (RFC 1321) of many streams at once: the 64-byte blocks of different messages computed
 * side by side in the eight 32-bit lanes of AVX2 registers ("multi-buffer" hashing), written
 * from the RFC.
 *
 * One MD5 stream is a chain of dependent steps that no CPU runs faster than ~4.5 cycles/byte, but
 * the steps of different files are independent: a lane per file keeps the vector units busy
 * (two registers' worth, 16 lanes, interleaved). The scheduler hands each lane the next stream as
 * soon as its current one runs out of whole blocks, so lanes idle only at the very end; the last
 * stream left finishes on the scalar path, which is quicker for one stream alone. Partial blocks and the final padding are per
 * context, in scalar code. The AVX2 kernel is compiled with a target attribute and chosen at run
 * time; without AVX2 the same scheduler runs each lane with the scalar block function.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_hash_objects.h" /* locking, hex digests, chunk buffers (as _shalanes.c) */

#if (defined(__x86_64__) || defined(__i386__)) && !defined(MD5LANES_PORTABLE)
#include <immintrin.h>
#define MD5LANES_X86 1
#endif

#define BLOCK 64

/* ---- the RFC 1321 steps, shared by the scalar and the vector code ------------------------- */

/* STEP(a, b, c, d, k, T, s): a = b + ((a + f(b, c, d) + X[k] + T) <<< s). */
#define MD5_ROUNDS(F_, G_, H_, I_)                                                              \
    F_(a, b, c, d, 0, 0xd76aa478, 7); F_(d, a, b, c, 1, 0xe8c7b756, 12);                      \
    F_(c, d, a, b, 2, 0x242070db, 17); F_(b, c, d, a, 3, 0xc1bdceee, 22);                     \
    F_(a, b, c, d, 4, 0xf57c0faf, 7); F_(d, a, b, c, 5, 0x4787c62a, 12);                      \
    F_(c, d, a, b, 6, 0xa8304613, 17); F_(b, c, d, a, 7, 0xfd469501, 22);                     \
    F_(a, b, c, d, 8, 0x698098d8, 7); F_(d, a, b, c, 9, 0x8b44f7af, 12);                      \
    F_(c, d, a, b, 10, 0xffff5bb1, 17); F_(b, c, d, a, 11, 0x895cd7be, 22);                   \
    F_(a, b, c, d, 12, 0x6b901122, 7); F_(d, a, b, c, 13, 0xfd987193, 12);                    \
    F_(c, d, a, b, 14, 0xa679438e, 17); F_(b, c, d, a, 15, 0x49b40821, 22);                   \
    G_(a, b, c, d, 1, 0xf61e2562, 5); G_(d, a, b, c, 6, 0xc040b340, 9);                       \
    G_(c, d, a, b, 11, 0x265e5a51, 14); G_(b, c, d, a, 0, 0xe9b6c7aa, 20);                    \
    G_(a, b, c, d, 5, 0xd62f105d, 5); G_(d, a, b, c, 10, 0x02441453, 9);                      \
    G_(c, d, a, b, 15, 0xd8a1e681, 14); G_(b, c, d, a, 4, 0xe7d3fbc8, 20);                    \
    G_(a, b, c, d, 9, 0x21e1cde6, 5); G_(d, a, b, c, 14, 0xc33707d6, 9);                      \
    G_(c, d, a, b, 3, 0xf4d50d87, 14); G_(b, c, d, a, 8, 0x455a14ed, 20);                     \
    G_(a, b, c, d, 13, 0xa9e3e905, 5); G_(d, a, b, c, 2, 0xfcefa3f8, 9);                      \
    G_(c, d, a, b, 7, 0x676f02d9, 14); G_(b, c, d, a, 12, 0x8d2a4c8a, 20);                    \
    H_(a, b, c, d, 5, 0xfffa3942, 4); H_(d, a, b, c, 8, 0x8771f681, 11);                      \
    H_(c, d, a, b, 11, 0x6d9d6122, 16); H_(b, c, d, a, 14, 0xfde5380c, 23);                   \
    H_(a, b, c, d, 1, 0xa4beea44, 4); H_(d, a, b, c, 4, 0x4bdecfa9, 11);                      \
    H_(c, d, a, b, 7, 0xf6bb4b60, 16); H_(b, c, d, a, 10, 0xbebfbc70, 23);                    \
    H_(a, b, c, d, 13, 0x289b7ec6, 4); H_(d, a, b, c, 0, 0xeaa127fa, 11);                     \
    H_(c, d, a, b, 3, 0xd4ef3085, 16); H_(b, c, d, a, 6, 0x04881d05, 23);                     \
    H_(a, b, c, d, 9, 0xd9d4d039, 4); H_(d, a, b, c, 12, 0xe6db99e5, 11);                     \
    H_(c, d, a, b, 15, 0x1fa27cf8, 16); H_(b, c, d, a, 2, 0xc4ac5665, 23);                    \
    I_(a, b, c, d, 0, 0xf4292244, 6); I_(d, a, b, c, 7, 0x432aff97, 10);                      \
    I_(c, d, a, b, 14, 0xab9423a7, 15); I_(b, c, d, a, 5, 0xfc93a039, 21);                    \
    I_(a, b, c, d, 12, 0x655b59c3, 6); I_(d, a, b, c, 3, 0x8f0ccc92, 10);                     \
    I_(c, d, a, b, 10, 0xffeff47d, 15); I_(b, c, d, a, 1, 0x85845dd1, 21);                    \
    I_(a, b, c, d, 8, 0x6fa87e4f, 6); I_(d, a, b, c, 15, 0xfe2ce6e0, 10);                     \
    I_(c, d, a, b, 6, 0xa3014314, 15); I_(b, c, d, a, 13, 0x4e0811a1, 21);                    \
    I_(a, b, c, d, 4, 0xf7537e82, 6); I_(d, a, b, c, 11, 0xbd3af235, 10);                     \
    I_(c, d, a, b, 2, 0x2ad7d2bb, 15); I_(b, c, d, a, 9, 0xeb86d391, 21);

static const uint32_t MD5_INIT[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

/* ---- scalar ------------------------------------------------------------------------------ */

static inline uint32_t
load_le32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline void
store_le32(unsigned char *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, 4);
}

#define ROL32(x, s) (((x) << (s)) | ((x) >> (32 - (s))))

/* f(b, c, d) written so that b, the newest value, enters last: F = d ^ (b & (c ^ d)); G adds
 * the disjoint halves (c & ~d) + (b & d) so the older half is summed before b is known. */
#define S_F(a, b, c, d, k, t, s)                                                                \
    a += X[k] + (uint32_t)(t) + ((d) ^ ((b) & ((c) ^ (d))));                                 \
    a = ROL32(a, s) + (b)
#define S_G(a, b, c, d, k, t, s)                                                                \
    a += X[k] + (uint32_t)(t) + ((c) & ~(d));                                                 \
    a += (b) & (d);                                                                           \
    a = ROL32(a, s) + (b)
#define S_H(a, b, c, d, k, t, s)                                                                \
    a += X[k] + (uint32_t)(t) + ((b) ^ (c) ^ (d));                                           \
    a = ROL32(a, s) + (b)
#define S_I(a, b, c, d, k, t, s)                                                                \
    a += X[k] + (uint32_t)(t) + ((c) ^ ((b) | ~(d)));                                        \
    a = ROL32(a, s) + (b)

/* Runs `nblocks` whole 64-byte blocks of one stream into state[4]. */
static void
md5_blocks(uint32_t state[4], const unsigned char *p, size_t nblocks)
{
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    for (; nblocks; nblocks--, p += BLOCK) {
        uint32_t X[16];
        for (int i = 0; i < 16; i++) {
            X[i] = load_le32(p + 4 * i);
        }
        uint32_t a0 = a, b0 = b, c0 = c, d0 = d;
        MD5_ROUNDS(S_F, S_G, S_H, S_I)
        a += a0;
        b += b0;
        c += c0;
        d += d0;
    }
    state[0] = a;
    state[1] = b;
    state[2] = c;
    state[3] = d;
}

/* The digest of a stream whose whole blocks are in state: the `used` pending bytes in tail,
 * then 0x80, zeros and the message length in bits (little-endian), one or two blocks. */
static void
md5_finish(const uint32_t state[4], const unsigned char *tail, size_t used, uint64_t length,
           unsigned char out[16])
{
    unsigned char last[2 * BLOCK];
    uint32_t st[4] = {state[0], state[1], state[2], state[3]};
    size_t total = used < 56 ? BLOCK : 2 * BLOCK;
    memset(last, 0, sizeof(last));
    memcpy(last, tail, used);
    last[used] = 0x80;
    uint64_t bits = length << 3;
    for (int i = 0; i < 8; i++) {
        last[total - 8 + i] = (unsigned char)(bits >> (8 * i));
    }
    md5_blocks(st, last, total / BLOCK);
    for (int i = 0; i < 4; i++) {
        store_le32(out + 4 * i, st[i]);
    }
}

/* ---- lanes ------------------------------------------------------------------------------- */

/* Two groups of eight lanes: one group's steps are a chain of ~6 dependent vector operations,
 * so the AVX2 kernel interleaves two independent groups to keep the vector units busy. When
 * eight streams or fewer remain they are packed into the first group and run alone. */
#define GROUP 8
#define LANES (2 * GROUP)

typedef struct {
    uint32_t a[LANES], b[LANES], c[LANES], d[LANES];
} LaneState;

/* One stream's share of a call: `nblocks` whole blocks at `data` run into `state`. */
typedef struct {
    uint32_t *state;
    const unsigned char *data;
    size_t nblocks;
} Stream;

/* Runs `nblocks` blocks in the first `width` lanes (GROUP or LANES): lane i reads from ptr[i]
 * and advances it by step[i] (0 for an idle lane, which reads a block of zeros and whose state
 * is discarded). */
typedef struct {
    const char *name;
    void (*run)(LaneState *, const unsigned char **, const size_t *, size_t, int);
} LanesKernel;

static const unsigned char ZERO_BLOCK[BLOCK];

static void
lanes_scalar(LaneState *ls, const unsigned char **ptr, const size_t *step, size_t nblocks,
             int width)
{
    for (int i = 0; i < width; i++) {
        if (!step[i]) {
            continue;
        }
        uint32_t st[4] = {ls->a[i], ls->b[i], ls->c[i], ls->d[i]};
        md5_blocks(st, ptr[i], nblocks);
        ptr[i] += nblocks * BLOCK;
        ls->a[i] = st[0];
        ls->b[i] = st[1];
        ls->c[i] = st[2];
        ls->d[i] = st[3];
    }
}

static const LanesKernel KERNEL_SCALAR = {"scalar", lanes_scalar};

#ifdef MD5LANES_X86

#define V_ADD(x, y) _mm256_add_epi32((x), (y))
#define V_ROL(x, s) _mm256_or_si256(_mm256_slli_epi32((x), (s)), _mm256_srli_epi32((x), 32 - (s)))

/* One step in one group; m is the group's message word plus the step's constant. */
#define VS_F(a, b, c, d, m, s)                                                                  \
    a = V_ADD(a, m);                                                                          \
    a = V_ADD(a, _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d))));         \
    a = V_ADD(V_ROL(a, s), b)
#define VS_G(a, b, c, d, m, s)                                                                  \
    a = V_ADD(a, m);                                                                          \
    a = V_ADD(a, _mm256_andnot_si256(d, c));                                                  \
    a = V_ADD(a, _mm256_and_si256(b, d));                                                     \
    a = V_ADD(V_ROL(a, s), b)
#define VS_H(a, b, c, d, m, s)                                                                  \
    a = V_ADD(a, m);                                                                          \
    a = V_ADD(a, _mm256_xor_si256(b, _mm256_xor_si256(c, d)));                                \
    a = V_ADD(V_ROL(a, s), b)
#define VS_I(a, b, c, d, m, s)                                                                  \
    a = V_ADD(a, m);                                                                          \
    a = V_ADD(a, _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, ones))));        \
    a = V_ADD(V_ROL(a, s), b)

/* Steps for one group (variables a1..d1, message M1) and for two (also a2..d2, M2). */
#define ONE(VS, a, b, c, d, k, t, s)                                                           \
    VS(a##1, b##1, c##1, d##1, V_ADD(M1[k], _mm256_set1_epi32((int)(t))), s)
#define TWO(VS, a, b, c, d, k, t, s)                                                           \
    {                                                                                          \
        const __m256i kt = _mm256_set1_epi32((int)(t));                                        \
        VS(a##1, b##1, c##1, d##1, V_ADD(M1[k], kt), s);                                       \
        VS(a##2, b##2, c##2, d##2, V_ADD(M2[k], kt), s);                                       \
    }
#define ONE_F(a, b, c, d, k, t, s) ONE(VS_F, a, b, c, d, k, t, s)
#define ONE_G(a, b, c, d, k, t, s) ONE(VS_G, a, b, c, d, k, t, s)
#define ONE_H(a, b, c, d, k, t, s) ONE(VS_H, a, b, c, d, k, t, s)
#define ONE_I(a, b, c, d, k, t, s) ONE(VS_I, a, b, c, d, k, t, s)
#define TWO_F(a, b, c, d, k, t, s) TWO(VS_F, a, b, c, d, k, t, s)
#define TWO_G(a, b, c, d, k, t, s) TWO(VS_G, a, b, c, d, k, t, s)
#define TWO_H(a, b, c, d, k, t, s) TWO(VS_H, a, b, c, d, k, t, s)
#define TWO_I(a, b, c, d, k, t, s) TWO(VS_I, a, b, c, d, k, t, s)

/* A group's next block as sixteen vectors M[k] = word k of its eight lanes: words k..k+3 of
 * lanes i and i+4 loaded into the two halves of a register, then a 4x4 transpose of 32-bit
 * words in each half (unpack 32, unpack 64). Measured against two 8x8 transposes of 256-bit
 * loads and against _mm256_set_epi32 of 4-byte loads: as fast as the better of the two on
 * 1 MiB buffers and on 1-64 KiB ones (each of those loses ~10% on one of them). Each p then
 * advances by its step. */
#define V_LOAD128(p, off) _mm_loadu_si128((const __m128i *)((p) + (off)))
#define V_PAIR(lo, hi, off)                                                                    \
    _mm256_inserti128_si256(_mm256_castsi128_si256(V_LOAD128(lo, off)), V_LOAD128(hi, off), 1)

__attribute__((target("avx2"))) static inline void
load_group(const unsigned char **p, const size_t *step, __m256i *M)
{
    for (int k = 0; k < 16; k += 4) {
        __m256i r0 = V_PAIR(p[0], p[4], 4 * k), r1 = V_PAIR(p[1], p[5], 4 * k);
        __m256i r2 = V_PAIR(p[2], p[6], 4 * k), r3 = V_PAIR(p[3], p[7], 4 * k);
        __m256i t0 = _mm256_unpacklo_epi32(r0, r1), t1 = _mm256_unpackhi_epi32(r0, r1);
        __m256i t2 = _mm256_unpacklo_epi32(r2, r3), t3 = _mm256_unpackhi_epi32(r2, r3);
        M[k] = _mm256_unpacklo_epi64(t0, t2);
        M[k + 1] = _mm256_unpackhi_epi64(t0, t2);
        M[k + 2] = _mm256_unpacklo_epi64(t1, t3);
        M[k + 3] = _mm256_unpackhi_epi64(t1, t3);
    }
    for (int i = 0; i < GROUP; i++) {
        p[i] += step[i];
    }
}

#define V_STATE(x, i) _mm256_loadu_si256((const __m256i *)(ls->x + GROUP * (i)))
#define V_SAVE(x, i, v) _mm256_storeu_si256((__m256i *)(ls->x + GROUP * (i)), v)

__attribute__((target("avx2"))) static void
lanes_avx2_one(LaneState *ls, const unsigned char **ptr, const size_t *step, size_t nblocks)
{
    __m256i a1 = V_STATE(a, 0), b1 = V_STATE(b, 0), c1 = V_STATE(c, 0), d1 = V_STATE(d, 0);
    const __m256i ones = _mm256_set1_epi32(-1);
    const unsigned char *p[GROUP];
    memcpy(p, ptr, sizeof(p));
    for (; nblocks; nblocks--) {
        __m256i M1[16];
        load_group(p, step, M1);
        __m256i a0 = a1, b0 = b1, c0 = c1, d0 = d1;
        MD5_ROUNDS(ONE_F, ONE_G, ONE_H, ONE_I)
        a1 = V_ADD(a1, a0);
        b1 = V_ADD(b1, b0);
        c1 = V_ADD(c1, c0);
        d1 = V_ADD(d1, d0);
    }
    memcpy(ptr, p, sizeof(p));
    V_SAVE(a, 0, a1);
    V_SAVE(b, 0, b1);
    V_SAVE(c, 0, c1);
    V_SAVE(d, 0, d1);
}

__attribute__((target("avx2"))) static void
lanes_avx2_two(LaneState *ls, const unsigned char **ptr, const size_t *step, size_t nblocks)
{
    __m256i a1 = V_STATE(a, 0), b1 = V_STATE(b, 0), c1 = V_STATE(c, 0), d1 = V_STATE(d, 0);
    __m256i a2 = V_STATE(a, 1), b2 = V_STATE(b, 1), c2 = V_STATE(c, 1), d2 = V_STATE(d, 1);
    const __m256i ones = _mm256_set1_epi32(-1);
    const unsigned char *p[LANES];
    memcpy(p, ptr, sizeof(p));
    for (; nblocks; nblocks--) {
        __m256i M1[16], M2[16];
        load_group(p, step, M1);
        load_group(p + GROUP, step + GROUP, M2);
        __m256i a0 = a1, b0 = b1, c0 = c1, d0 = d1;
        __m256i e0 = a2, f0 = b2, g0 = c2, h0 = d2;
        MD5_ROUNDS(TWO_F, TWO_G, TWO_H, TWO_I)
        a1 = V_ADD(a1, a0);
        b1 = V_ADD(b1, b0);
        c1 = V_ADD(c1, c0);
        d1 = V_ADD(d1, d0);
        a2 = V_ADD(a2, e0);
        b2 = V_ADD(b2, f0);
        c2 = V_ADD(c2, g0);
        d2 = V_ADD(d2, h0);
    }
    memcpy(ptr, p, sizeof(p));
    V_SAVE(a, 0, a1);
    V_SAVE(b, 0, b1);
    V_SAVE(c, 0, c1);
    V_SAVE(d, 0, d1);
    V_SAVE(a, 1, a2);
    V_SAVE(b, 1, b2);
    V_SAVE(c, 1, c2);
    V_SAVE(d, 1, d2);
}

static void
lanes_avx2(LaneState *ls, const unsigned char **ptr, const size_t *step, size_t nblocks,
           int width)
{
    if (width > GROUP) {
        lanes_avx2_two(ls, ptr, step, nblocks);
    }
    else {
        lanes_avx2_one(ls, ptr, step, nblocks);
    }
}

static const LanesKernel KERNEL_AVX2 = {"avx2", lanes_avx2};

static int have_avx2 = 0;

#endif /* MD5LANES_X86 */

static int force_scalar = 0;

static const LanesKernel *
current_kernel(void)
{
#ifdef MD5LANES_X86
    if (have_avx2 && !force_scalar) {
        return &KERNEL_AVX2;
    }
#endif
    return &KERNEL_SCALAR;
}

/* The lanes' bookkeeping while run_streams hands streams to them. */
typedef struct {
    LaneState ls;
    const unsigned char *ptr[LANES];
    size_t step[LANES], left[LANES];
    size_t wait[LANES]; /* blocks a lane stays idle before it starts its stream */
    Stream *current[LANES];
} Lanes;

/* Lanes that start together are started SKEW blocks apart when their streams are long: buffers
 * that all begin at the same offset in a page (mmap'd files) would otherwise be read at the same
 * offsets in lockstep, and those loads compete for the same cache sets (measured 7-13% slower).
 * 16 lanes x 4 blocks spread them over a 4 KiB page; the idle lane-blocks cost ~0.2% of 1 MiB. */
#define SKEW 4
#define SKEW_MIN_BLOCKS 1024

/* Lane i takes the next stream with whole blocks, or goes idle; returns 1 if it took one. */
static int
lane_take(Lanes *l, int i, Stream *streams, size_t count, size_t *next)
{
    while (*next < count && streams[*next].nblocks == 0) {
        (*next)++;
    }
    l->wait[i] = 0;
    if (*next == count) {
        l->current[i] = NULL;
        l->ptr[i] = ZERO_BLOCK;
        l->step[i] = 0;
        l->left[i] = 0;
        return 0;
    }
    Stream *s = &streams[(*next)++];
    l->current[i] = s;
    l->ptr[i] = s->data;
    l->step[i] = BLOCK;
    l->left[i] = s->nblocks;
    l->ls.a[i] = s->state[0];
    l->ls.b[i] = s->state[1];
    l->ls.c[i] = s->state[2];
    l->ls.d[i] = s->state[3];
    return 1;
}

static void
lane_save(Lanes *l, int i)
{
    uint32_t *st = l->current[i]->state;
    st[0] = l->ls.a[i];
    st[1] = l->ls.b[i];
    st[2] = l->ls.c[i];
    st[3] = l->ls.d[i];
}

/* Moves lane `from` (busy) to lane `to` (idle). */
static void
lane_move(Lanes *l, int from, int to)
{
    l->current[to] = l->current[from];
    l->ptr[to] = l->ptr[from];
    l->step[to] = l->step[from];
    l->left[to] = l->left[from];
    l->wait[to] = l->wait[from];
    l->ls.a[to] = l->ls.a[from];
    l->ls.b[to] = l->ls.b[from];
    l->ls.c[to] = l->ls.c[from];
    l->ls.d[to] = l->ls.d[from];
    l->current[from] = NULL;
    l->ptr[from] = ZERO_BLOCK;
    l->step[from] = 0;
    l->left[from] = 0;
    l->wait[from] = 0;
}

static int
compare_longest_first(const void *x, const void *y)
{
    size_t p = ((const Stream *)x)->nblocks, q = ((const Stream *)y)->nblocks;
    return p < q ? 1 : (p > q ? -1 : 0);
}

/* Runs every stream's whole blocks in the lanes: a lane that finishes its stream takes the
 * next one with blocks left, and each kernel call runs as many blocks as the shortest busy
 * lane has left (or until a waiting lane starts: see SKEW). Once no more than GROUP streams
 * remain they are packed into the first group; the last one finishes alone on the scalar path. */
static void
run_streams(Stream *streams, size_t count, const LanesKernel *kernel)
{
    Lanes l;
    size_t next = 0;
    int active = 0, width = LANES;

    /* Longest first: streams of similar lengths then leave their lanes at about the same time
     * (2,000 buffers of 1-64 KiB: ~5% quicker). Skipped when already in that order. */
    for (size_t i = 1; i < count; i++) {
        if (streams[i].nblocks > streams[i - 1].nblocks) {
            qsort(streams, count, sizeof(Stream), compare_longest_first);
            break;
        }
    }

    memset(&l.ls, 0, sizeof(l.ls));
    for (int i = 0; i < LANES; i++) {
        active += lane_take(&l, i, streams, count, &next);
        if (l.current[i] && l.left[i] >= SKEW_MIN_BLOCKS && i > 0) {
            l.wait[i] = (size_t)i * SKEW;
            l.ptr[i] = ZERO_BLOCK;
            l.step[i] = 0;
        }
    }
    while (active > 1) {
        if (width == LANES && active <= GROUP) {
            for (int from = GROUP, to = 0; from < LANES; from++) {
                if (l.current[from]) {
                    while (l.current[to]) {
                        to++;
                    }
                    lane_move(&l, from, to);
                }
            }
            width = GROUP;
        }
        size_t run = SIZE_MAX;
        for (int i = 0; i < width; i++) {
            size_t until = l.wait[i] ? l.wait[i] : l.left[i];
            if (l.current[i] && until < run) {
                run = until;
            }
        }
        kernel->run(&l.ls, l.ptr, l.step, run, width);
        for (int i = 0; i < width; i++) {
            if (!l.current[i]) {
                continue;
            }
            if (l.wait[i]) {
                /* the lane's state is loaded now: the kernel ran it on zeros until here */
                l.wait[i] -= run;
                if (l.wait[i] == 0) {
                    Stream *s = l.current[i];
                    l.ptr[i] = s->data;
                    l.step[i] = BLOCK;
                    l.ls.a[i] = s->state[0];
                    l.ls.b[i] = s->state[1];
                    l.ls.c[i] = s->state[2];
                    l.ls.d[i] = s->state[3];
                }
                continue;
            }
            l.left[i] -= run;
            if (l.left[i] == 0) {
                lane_save(&l, i);
                active += lane_take(&l, i, streams, count, &next) - 1;
            }
        }
    }
    for (int i = 0; i < LANES; i++) {
        if (l.current[i] && l.wait[i]) {
            md5_blocks(l.current[i]->state, l.current[i]->data, l.left[i]);
        }
        else if (l.current[i]) {
            lane_save(&l, i);
            md5_blocks(l.current[i]->state, l.ptr[i], l.left[i]);
        }
    }
}

/* ---- the MD5 context object --------------------------------------------------------------- */

typedef struct {
    HASH_OBJECT_HEAD
    uint32_t state[4];
} MD5Object;

static PyTypeObject MD5Type;

/* Splits `len` bytes for a context: the pending block is filled (and run when full), the whole
 * blocks after it are returned in *blocks / *nblocks for the caller to run, the rest becomes the
 * new pending bytes. Touches no Python object. */
static void
ctx_split(MD5Object *self, const unsigned char *data, size_t len, const unsigned char **blocks,
          size_t *nblocks)
{
    size_t used = (size_t)(self->length & (BLOCK - 1));
    self->length += (uint64_t)len;
    if (used) {
        size_t fill = BLOCK - used;
        if (len < fill) {
            memcpy(self->pending + used, data, len);
            *blocks = data;
            *nblocks = 0;
            return;
        }
        memcpy(self->pending + used, data, fill);
        md5_blocks(self->state, self->pending, 1);
        data += fill;
        len -= fill;
    }
    *blocks = data;
    *nblocks = len / BLOCK;
    memcpy(self->pending, data + (len & ~(size_t)(BLOCK - 1)), len & (BLOCK - 1));
}

static void
ctx_update(MD5Object *self, const unsigned char *data, size_t len)
{
    const unsigned char *blocks;
    size_t nblocks;
    ctx_split(self, data, len, &blocks, &nblocks);
    md5_blocks(self->state, blocks, nblocks);
}

static int
md5_update_buffer(HashObject *base, PyObject *data)
{
    MD5Object *self = (MD5Object *)base;
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    lock_context(self->lock);
    if (view.len >= GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        ctx_update(self, view.buf, (size_t)view.len);
        Py_END_ALLOW_THREADS
    }
    else {
        ctx_update(self, view.buf, (size_t)view.len);
    }
    PyThread_release_lock(self->lock);
    PyBuffer_Release(&view);
    return 0;
}

static HashObject *
md5_alloc(PyTypeObject *type)
{
    HashObject *self = hash_object_alloc(type, "MD5");
    if (self != NULL) {
        memcpy(((MD5Object *)self)->state, MD5_INIT, sizeof(MD5_INIT));
    }
    return self;
}

static PyObject *
MD5_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    return hash_object_new(type, args, kwargs, "|O:MD5", md5_alloc, md5_update_buffer);
}

static PyObject *
MD5_update(MD5Object *self, PyObject *data)
{
    if (md5_update_buffer((HashObject *)self, data) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static void
md5_digest_bytes(MD5Object *self, unsigned char out[16])
{
    lock_context(self->lock);
    md5_finish(self->state, self->pending, (size_t)(self->length & (BLOCK - 1)), self->length, out);
    PyThread_release_lock(self->lock);
}

static PyObject *
MD5_digest(MD5Object *self, PyObject *Py_UNUSED(ignored))
{
    unsigned char out[16];
    md5_digest_bytes(self, out);
    return PyBytes_FromStringAndSize((const char *)out, 16);
}

static PyObject *
MD5_hexdigest(MD5Object *self, PyObject *Py_UNUSED(ignored))
{
    unsigned char out[16];
    md5_digest_bytes(self, out);
    return hex_digest(out, 16);
}

static PyObject *
MD5_copy(MD5Object *self, PyObject *Py_UNUSED(ignored))
{
    return hash_object_copy((HashObject *)self, md5_alloc);
}

static PyObject *
MD5_get_name(PyObject *self, void *closure)
{
    return PyUnicode_FromString("md5");
}

static PyObject *
MD5_get_digest_size(PyObject *self, void *closure)
{
    return PyLong_FromLong(16);
}

static PyObject *
MD5_get_block_size(PyObject *self, void *closure)
{
    return PyLong_FromLong(BLOCK);
}

static PyMethodDef MD5_methods[] = {
    {"update", (PyCFunction)MD5_update, METH_O,
     "Hash the bytes of a buffer (after the earlier ones)."},
    {"digest", (PyCFunction)MD5_digest, METH_NOARGS,
     "The 16-byte digest of everything hashed so far."},
    {"hexdigest", (PyCFunction)MD5_hexdigest, METH_NOARGS,
     "The digest as 32 lowercase hex digits."},
    {"copy", (PyCFunction)MD5_copy, METH_NOARGS, "An independent context in the same state."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef MD5_getset[] = {
    {"name", MD5_get_name, NULL, "'md5'", NULL},
    {"digest_size", MD5_get_digest_size, NULL, "16", NULL},
    {"block_size", MD5_get_block_size, NULL, "64", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject MD5Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orderwatch.forensics._md5lanes.MD5",
    .tp_basicsize = sizeof(MD5Object),
    .tp_dealloc = (destructor)hash_object_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "MD5(data=b'') -> an MD5 context like hashlib.md5's; update_many() runs many "
              "in lanes.",
    .tp_methods = MD5_methods,
    .tp_getset = MD5_getset,
    .tp_new = MD5_new,
};

/* ---- update_many / md5_many --------------------------------------------------------------- */

typedef struct {
    MD5Object *ctx;
    Py_ssize_t index;
} CtxRef;

static int
compare_ctxref(const void *x, const void *y)
{
    uintptr_t p = (uintptr_t)((const CtxRef *)x)->ctx, q = (uintptr_t)((const CtxRef *)y)->ctx;
    if (p != q) {
        return p < q ? -1 : 1;
    }
    Py_ssize_t i = ((const CtxRef *)x)->index, j = ((const CtxRef *)y)->index;
    return i < j ? -1 : (i > j);
}

static PyObject *
update_many(PyObject *module, PyObject *args)
{
    PyObject *contexts_arg, *chunks_arg;
    if (!PyArg_ParseTuple(args, "OO:update_many", &contexts_arg, &chunks_arg)) {
        return NULL;
    }
    PyObject *contexts = PySequence_Fast(contexts_arg, "update_many: contexts must be a sequence");
    if (contexts == NULL) {
        return NULL;
    }
    PyObject *chunks = PySequence_Fast(chunks_arg, "update_many: chunks must be a sequence");
    if (chunks == NULL) {
        Py_DECREF(contexts);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(contexts);
    Py_ssize_t held = 0, locked = 0;
    CtxRef *refs = NULL;
    MD5Object **ordered = NULL;
    Py_buffer *views = NULL;
    Stream *streams = NULL;
    if (PySequence_Fast_GET_SIZE(chunks) != count) {
        PyErr_Format(PyExc_ValueError, "update_many: %zd contexts but %zd chunks", count,
                     PySequence_Fast_GET_SIZE(chunks));
        goto done;
    }
    if (count == 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    refs = PyMem_New(CtxRef, count);
    ordered = PyMem_New(MD5Object *, count);
    views = PyMem_New(Py_buffer, count);
    streams = PyMem_New(Stream, count);
    if (refs == NULL || ordered == NULL || views == NULL || streams == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *ctx = PySequence_Fast_GET_ITEM(contexts, i);
        if (!PyObject_TypeCheck(ctx, &MD5Type)) {
            PyErr_Format(PyExc_TypeError, "contexts[%zd] is not an MD5 context (got %.100s)", i,
                         Py_TYPE(ctx)->tp_name);
            goto done;
        }
        refs[i].ctx = ordered[i] = (MD5Object *)ctx;
        refs[i].index = i;
    }
    qsort(refs, (size_t)count, sizeof(CtxRef), compare_ctxref);
    for (Py_ssize_t i = 1; i < count; i++) {
        if (refs[i].ctx == refs[i - 1].ctx) {
            PyErr_Format(PyExc_ValueError,
                         "contexts[%zd] is the same MD5 context as contexts[%zd]", refs[i].index,
                         refs[i - 1].index);
            goto done;
        }
    }
    for (; held < count; held++) {
        if (get_indexed_buffer(PySequence_Fast_GET_ITEM(chunks, held), "chunks", held,
                               &views[held]) < 0) {
            goto done;
        }
    }
    /* Our own references: another thread may change a list while the GIL is released. */
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_INCREF(refs[i].ctx);
    }
    /* Locks in address order, so that two calls sharing contexts cannot deadlock. */
    for (; locked < count; locked++) {
        lock_context(refs[locked].ctx->lock);
    }
    const LanesKernel *kernel = current_kernel();
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        MD5Object *ctx = ordered[i];
        streams[i].state = ctx->state;
        ctx_split(ctx, views[i].buf, (size_t)views[i].len, &streams[i].data, &streams[i].nblocks);
    }
    run_streams(streams, (size_t)count, kernel);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);

done:
    for (Py_ssize_t i = 0; i < locked; i++) {
        PyThread_release_lock(refs[i].ctx->lock);
    }
    if (locked) {
        for (Py_ssize_t i = 0; i < count; i++) {
            Py_DECREF(refs[i].ctx);
        }
    }
    for (Py_ssize_t i = 0; i < held; i++) {
        PyBuffer_Release(&views[i]);
    }
    PyMem_Free(streams);
    PyMem_Free(views);
    PyMem_Free(ordered);
    PyMem_Free(refs);
    Py_DECREF(chunks);
    Py_DECREF(contexts);
    return result;
}

static PyObject *
md5_many(PyObject *module, PyObject *buffers_arg)
{
    PyObject *buffers = PySequence_Fast(buffers_arg, "md5_many: buffers must be a sequence");
    if (buffers == NULL) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(buffers), held = 0;
    Py_buffer *views = PyMem_New(Py_buffer, count ? count : 1);
    Stream *streams = PyMem_New(Stream, count ? count : 1);
    uint32_t(*states)[4] = PyMem_Malloc(sizeof(uint32_t[4]) * (size_t)(count ? count : 1));
    unsigned char(*digests)[16] = PyMem_Malloc(16 * (size_t)(count ? count : 1));
    if (views == NULL || streams == NULL || states == NULL || digests == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < count; held++) {
        if (get_indexed_buffer(PySequence_Fast_GET_ITEM(buffers, held), "buffers", held,
                               &views[held]) < 0) {
            goto done;
        }
    }
    const LanesKernel *kernel = current_kernel();
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        memcpy(states[i], MD5_INIT, sizeof(MD5_INIT));
        streams[i].state = states[i];
        streams[i].data = views[i].buf;
        streams[i].nblocks = (size_t)views[i].len / BLOCK;
    }
    run_streams(streams, (size_t)count, kernel);
    for (Py_ssize_t i = 0; i < count; i++) {
        size_t len = (size_t)views[i].len, whole = len & ~(size_t)(BLOCK - 1);
        md5_finish(states[i], (const unsigned char *)views[i].buf + whole, len - whole,
                   (uint64_t)len, digests[i]);
    }
    Py_END_ALLOW_THREADS
    result = PyList_New(count);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *digest = PyBytes_FromStringAndSize((const char *)digests[i], 16);
        if (digest == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, digest);
    }

done:
    for (Py_ssize_t i = 0; i < held; i++) {
        PyBuffer_Release(&views[i]);
    }
    PyMem_Free(digests);
    PyMem_Free(states);
    PyMem_Free(streams);
    PyMem_Free(views);
    Py_DECREF(buffers);
    return result;
}

static PyObject *
implementation(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyUnicode_FromString(current_kernel()->name);
}

static PyObject *
set_force_scalar(PyObject *module, PyObject *on)
{
    int flag = PyObject_IsTrue(on);
    if (flag < 0) {
        return NULL;
    }
    force_scalar = flag;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"update_many", update_many, METH_VARARGS,
     "update_many(contexts, chunks): contexts[i].update(chunks[i]) for every i, in SIMD lanes."},
    {"md5_many", md5_many, METH_O,
     "md5_many(buffers): the MD5 digests of whole buffers, in lanes."},
    {"implementation", implementation, METH_NOARGS,
     "'avx2' or 'scalar': the kernel update_many and md5_many use on this CPU."},
    {"_force_scalar", set_force_scalar, METH_O, "Tests only: run the lanes with scalar code."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_md5lanes",
    .m_doc = "MD5 of many streams at once in SIMD lanes (AVX2 when the CPU has it).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__md5lanes(void)
{
#ifdef MD5LANES_X86
    __builtin_cpu_init();
    have_avx2 = __builtin_cpu_supports("avx2");
#endif
    if (PyType_Ready(&MD5Type) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&MD5Type);
    if (PyModule_AddObject(m, "MD5", (PyObject *)&MD5Type) < 0) {
        Py_DECREF(&MD5Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
