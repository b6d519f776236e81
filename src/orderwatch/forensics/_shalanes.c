/* SHA-1 and SHA-256 (FIPS 180-4) of a file's bytes computed together, two files abreast, with
 * the CPU's SHA extensions (SHA-NI), written from the standard and the instructions' documented
 * semantics.
 *
 * One SHA-256 block is 32 sha256rnds2 instructions in a dependent chain (and one SHA-1 block 20
 * sha1rnds4), so a single message runs at the latency of those instructions, not their
 * throughput: OpenSSL's SHA-NI code does SHA-1 + SHA-256 at ~1.29 ns a byte on this EPYC. A file
 * needs both digests, and the two chains are independent: interleaved in one loop over the
 * file's blocks they run at ~0.77 ns a byte, and the chains of two files interleaved (four
 * chains) at ~0.58, which is about the SHA unit's throughput (more streams gained nothing).
 * update_many therefore runs its streams in two lanes, each lane taking the next stream as soon
 * as its own runs out of whole blocks; the last stream left runs alone. Partial blocks, the
 * padding and the per-algorithm update() are per context, one chain at a time.
 *
 * Without SHA-NI (or with SHALANES_PORTABLE) the same scheduler runs portable C block functions,
 * slower than OpenSSL: implementation() says which, and orderwatch then uses hashlib.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_hash_objects.h" /* locking, hex digests, chunk buffers (as _md5lanes.c) */

#if defined(SHALANES_PORTABLE) && !defined(SHA_BLOCKS_PORTABLE)
#define SHA_BLOCKS_PORTABLE
#endif
#include "_sha_blocks.h" /* SHA-1's block functions, shared with parsers/_visitlines.c */
#ifdef SHA_BLOCKS_X86
#define SHALANES_X86 1
#endif

#define BLOCK SHA_BLOCK

static const uint32_t SHA1_INIT[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                                      0xc3d2e1f0};
static const uint32_t SHA256_INIT[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

/* ---- portable block functions (SHA-1's is in _sha_blocks.h) -------------------------------- */

/* FIPS 180-4, 6.2.2: `nblocks` whole blocks of one message into state[8]. */
static void
sha256_blocks_portable(uint32_t *state, const unsigned char *p, size_t nblocks)
{
    for (; nblocks; nblocks--, p += BLOCK) {
        uint32_t W[64];
        for (int t = 0; t < 16; t++) {
            W[t] = load_be32(p + 4 * t);
        }
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ROR32(W[t - 15], 7) ^ ROR32(W[t - 15], 18) ^ (W[t - 15] >> 3);
            uint32_t s1 = ROR32(W[t - 2], 17) ^ ROR32(W[t - 2], 19) ^ (W[t - 2] >> 10);
            W[t] = s1 + W[t - 7] + s0 + W[t - 16];
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t S1 = ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25);
            uint32_t T1 = h + S1 + ((e & f) ^ (~e & g)) + K256[t] + W[t];
            uint32_t S0 = ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22);
            uint32_t T2 = S0 + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + T1;
            d = c;
            c = b;
            b = a;
            a = T1 + T2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}

/* The kernels: one algorithm's blocks, or both algorithms' blocks of one message (s1: SHA-1
 * state, s2: SHA-256 state), or of two messages side by side (the same number of blocks each,
 * p[i] advanced past them). */
typedef struct {
    const char *name;
    void (*sha1)(uint32_t *, const unsigned char *, size_t);
    void (*sha256)(uint32_t *, const unsigned char *, size_t);
    void (*both)(uint32_t *, uint32_t *, const unsigned char *, size_t);
    void (*both2)(uint32_t *const[2], uint32_t *const[2], const unsigned char *[2], size_t);
} Kernel;

static void
both_portable(uint32_t *s1, uint32_t *s2, const unsigned char *p, size_t nblocks)
{
    sha1_blocks_portable(s1, p, nblocks);
    sha256_blocks_portable(s2, p, nblocks);
}

static void
both2_portable(uint32_t *const s1[2], uint32_t *const s2[2], const unsigned char *p[2],
               size_t nblocks)
{
    for (int i = 0; i < 2; i++) {
        both_portable(s1[i], s2[i], p[i], nblocks);
        p[i] += nblocks * BLOCK;
    }
}

static const Kernel KERNEL_PORTABLE = {"portable", sha1_blocks_portable, sha256_blocks_portable,
                                       both_portable, both2_portable};

#ifdef SHALANES_X86

/* SHA-NI (SHA-1's one-stream function and its round helpers are in _sha_blocks.h). */

NI_INLINE void
sha256_load(const uint32_t *st, __m128i *abef, __m128i *cdgh)
{
    __m128i lo = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0xB1);    /* BADC */
    __m128i hi = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(st + 4)), 0x1B); /* HGFE */
    *abef = _mm_alignr_epi8(lo, hi, 8);       /* FEBA */
    *cdgh = _mm_blend_epi16(hi, lo, 0xF0);    /* HGDC */
}

NI_INLINE void
sha256_save(uint32_t *st, __m128i abef, __m128i cdgh)
{
    __m128i x = _mm_shuffle_epi32(abef, 0x1B); /* ABEF */
    __m128i y = _mm_shuffle_epi32(cdgh, 0x1B); /* CDGH */
    _mm_storeu_si128((__m128i *)st, _mm_unpacklo_epi64(x, y));
    _mm_storeu_si128((__m128i *)(st + 4), _mm_unpackhi_epi64(x, y));
}

/* SHA-256 rounds 4q..4q+3: W[4q..4q+3] into m[q % 4] (loaded for q < 4, else from the schedule
 * W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]), then two sha256rnds2. */
NI_INLINE void
sha256_quad(int q, const unsigned char *p, __m128i m[4], __m128i *abef, __m128i *cdgh)
{
    if (q < 4) {
        m[q] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * q)), BSWAP32_MASK);
    }
    else {
        __m128i t = _mm_sha256msg1_epu32(m[q & 3], m[(q + 1) & 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(m[(q + 3) & 3], m[(q + 2) & 3], 4));
        m[q & 3] = _mm_sha256msg2_epu32(t, m[(q + 3) & 3]);
    }
    __m128i wk = _mm_add_epi32(m[q & 3], _mm_loadu_si128((const __m128i *)&K256[4 * q]));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

/* One message's state for both digests, and its block's message words (m: SHA-256's, n:
 * SHA-1's, four words a register, the last sixteen of each). */
typedef struct {
    __m128i abef, cdgh, abcd, e0;
} BothState;

NI_INLINE void
both_load(BothState *b, const uint32_t *s1, const uint32_t *s2)
{
    sha256_load(s2, &b->abef, &b->cdgh);
    sha1_load(s1, &b->abcd, &b->e0);
}

NI_INLINE void
both_save(const BothState *b, uint32_t *s1, uint32_t *s2)
{
    sha256_save(s2, b->abef, b->cdgh);
    sha1_save(s1, b->abcd, b->e0);
}

/* Both digests' rounds 4q..4q+3 of one message. */
#define BOTH_QUAD(q, p, b, m, n, prev)                                                          \
    do {                                                                                       \
        if ((q) < 16) {                                                                        \
            sha256_quad((q), (p), (m), &(b).abef, &(b).cdgh);                                  \
        }                                                                                      \
        sha1_quad((q), (q) < 4 ? (m)[(q) & 3] : (m)[0], (n), &(b).abcd, (b).e0, &(prev));       \
    } while (0)

#define BOTH_START(b, b0) BothState b0 = (b)
#define BOTH_END(b, b0, prev)                                                                   \
    do {                                                                                       \
        (b).abef = _mm_add_epi32((b).abef, (b0).abef);                                         \
        (b).cdgh = _mm_add_epi32((b).cdgh, (b0).cdgh);                                         \
        (b).e0 = _mm_sha1nexte_epu32((prev), (b).e0);                                          \
        (b).abcd = _mm_add_epi32((b).abcd, (b0).abcd);                                         \
    } while (0)

/* Both digests of one message, the two chains interleaved. (Written out per message, without
 * arrays of registers indexed by message: GCC's vectorizers at -O3 turned those into code ~50%
 * slower.) */
NI static void
both_ni1(uint32_t *s1, uint32_t *s2, const unsigned char *p, size_t nblocks)
{
    BothState b;
    both_load(&b, s1, s2);
    for (; nblocks; nblocks--, p += BLOCK) {
        __m128i m[4], n[4], prev = b.abcd;
        BOTH_START(b, b0);
#pragma GCC unroll 20
        for (int q = 0; q < 20; q++) {
            BOTH_QUAD(q, p, b, m, n, prev);
        }
        BOTH_END(b, b0, prev);
    }
    both_save(&b, s1, s2);
}

/* Both digests of two messages, the four chains interleaved. */
NI static void
both_ni2(uint32_t *const s1[2], uint32_t *const s2[2], const unsigned char *p[2], size_t nblocks)
{
    BothState b, c;
    const unsigned char *pb = p[0], *pc = p[1];
    both_load(&b, s1[0], s2[0]);
    both_load(&c, s1[1], s2[1]);
    for (; nblocks; nblocks--, pb += BLOCK, pc += BLOCK) {
        __m128i mb[4], nb[4], mc[4], nc[4], prevb = b.abcd, prevc = c.abcd;
        BOTH_START(b, b0);
        BOTH_START(c, c0);
#pragma GCC unroll 20
        for (int q = 0; q < 20; q++) {
            BOTH_QUAD(q, pb, b, mb, nb, prevb);
            BOTH_QUAD(q, pc, c, mc, nc, prevc);
        }
        BOTH_END(b, b0, prevb);
        BOTH_END(c, c0, prevc);
    }
    both_save(&b, s1[0], s2[0]);
    both_save(&c, s1[1], s2[1]);
    p[0] = pb;
    p[1] = pc;
}

NI static void
sha256_ni(uint32_t *st, const unsigned char *p, size_t nblocks)
{
    __m128i abef, cdgh;
    sha256_load(st, &abef, &cdgh);
    for (; nblocks; nblocks--, p += BLOCK) {
        __m128i m[4], abef0 = abef, cdgh0 = cdgh;
#pragma GCC unroll 16
        for (int q = 0; q < 16; q++) {
            sha256_quad(q, p, m, &abef, &cdgh);
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    sha256_save(st, abef, cdgh);
}

static const Kernel KERNEL_NI = {"sha-ni", sha1_blocks_ni, sha256_ni, both_ni1, both_ni2};

static int have_sha_ni = 0;

#endif /* SHALANES_X86 */

static int force_portable = 0;

static const Kernel *
current_kernel(void)
{
#ifdef SHALANES_X86
    if (have_sha_ni && !force_portable) {
        return &KERNEL_NI;
    }
#endif
    return &KERNEL_PORTABLE;
}

/* ---- two lanes ----------------------------------------------------------------------------- */

/* One stream's share of an update_many call: `nblocks` whole blocks at `data` run into both
 * states. */
typedef struct {
    uint32_t *s1, *s2;
    const unsigned char *data;
    size_t nblocks;
} Job;

static int
compare_longest_first(const void *x, const void *y)
{
    size_t p = ((const Job *)x)->nblocks, q = ((const Job *)y)->nblocks;
    return p < q ? 1 : (p > q ? -1 : 0);
}

/* Runs every job's blocks two abreast: each call runs as many blocks as the shorter of the two
 * has left, and the lane that ran out takes the next job; the last job left runs alone. Longest
 * first, so that the two lanes run out at about the same time. */
static void
run_jobs(Job *jobs, size_t count, const Kernel *kernel)
{
    for (size_t i = 1; i < count; i++) {
        if (jobs[i].nblocks > jobs[i - 1].nblocks) {
            qsort(jobs, count, sizeof(Job), compare_longest_first);
            break;
        }
    }
    Job lane[2];
    int busy[2] = {0, 0};
    size_t next = 0;
    for (;;) {
        for (int i = 0; i < 2; i++) {
            while (!busy[i] && next < count) {
                lane[i] = jobs[next++];
                busy[i] = lane[i].nblocks != 0;
            }
        }
        if (busy[0] && busy[1]) {
            size_t run = lane[0].nblocks < lane[1].nblocks ? lane[0].nblocks : lane[1].nblocks;
            uint32_t *const s1[2] = {lane[0].s1, lane[1].s1};
            uint32_t *const s2[2] = {lane[0].s2, lane[1].s2};
            const unsigned char *p[2] = {lane[0].data, lane[1].data};
            kernel->both2(s1, s2, p, run);
            for (int i = 0; i < 2; i++) {
                lane[i].data = p[i];
                lane[i].nblocks -= run;
                busy[i] = lane[i].nblocks != 0;
            }
        }
        else {
            for (int i = 0; i < 2; i++) {
                if (busy[i]) {
                    kernel->both(lane[i].s1, lane[i].s2, lane[i].data, lane[i].nblocks);
                }
            }
            return;
        }
    }
}

/* ---- the SHA1 and SHA256 context objects ------------------------------------------------ */

typedef struct {
    HASH_OBJECT_HEAD
    uint32_t state[8]; /* SHA-1: the first five */
    int is256;
} ShaObject;

static PyTypeObject SHA1Type, SHA256Type;

static void
ctx_blocks(ShaObject *self, const Kernel *kernel, const unsigned char *p, size_t nblocks)
{
    if (nblocks) {
        (self->is256 ? kernel->sha256 : kernel->sha1)(self->state, p, nblocks);
    }
}

/* Splits `len` bytes for a context: the pending block is filled (and run when full), the whole
 * blocks after it are returned in *blocks / *nblocks for the caller to run, the rest becomes the
 * new pending bytes. Touches no Python object. */
static void
ctx_split(ShaObject *self, const Kernel *kernel, const unsigned char *data, size_t len,
          const unsigned char **blocks, size_t *nblocks)
{
    size_t used = (size_t)(self->length & (BLOCK - 1));
    self->length += (uint64_t)len;
    if (used) {
        size_t fill = BLOCK - used;
        if (len < fill) {
            if (len) {
                memcpy(self->pending + used, data, len);
            }
            *blocks = data;
            *nblocks = 0;
            return;
        }
        memcpy(self->pending + used, data, fill);
        ctx_blocks(self, kernel, self->pending, 1);
        data += fill;
        len -= fill;
    }
    *blocks = data;
    *nblocks = len / BLOCK;
    if (len & (BLOCK - 1)) {
        memcpy(self->pending, data + (len & ~(size_t)(BLOCK - 1)), len & (BLOCK - 1));
    }
}

static void
ctx_update(ShaObject *self, const Kernel *kernel, const unsigned char *data, size_t len)
{
    const unsigned char *blocks;
    size_t nblocks;
    ctx_split(self, kernel, data, len, &blocks, &nblocks);
    ctx_blocks(self, kernel, blocks, nblocks);
}

static int
sha_update_buffer(HashObject *base, PyObject *data)
{
    ShaObject *self = (ShaObject *)base;
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    const Kernel *kernel = current_kernel();
    lock_context(self->lock);
    if (view.len >= GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        ctx_update(self, kernel, view.buf, (size_t)view.len);
        Py_END_ALLOW_THREADS
    }
    else {
        ctx_update(self, kernel, view.buf, (size_t)view.len);
    }
    PyThread_release_lock(self->lock);
    PyBuffer_Release(&view);
    return 0;
}

static HashObject *
sha_alloc(PyTypeObject *type)
{
    HashObject *base = hash_object_alloc(type, "SHA");
    if (base == NULL) {
        return NULL;
    }
    ShaObject *self = (ShaObject *)base;
    self->is256 = type == &SHA256Type;
    if (self->is256) {
        memcpy(self->state, SHA256_INIT, sizeof(SHA256_INIT));
    }
    else {
        memcpy(self->state, SHA1_INIT, sizeof(SHA1_INIT));
    }
    return base;
}

static PyObject *
Sha_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    return hash_object_new(type, args, kwargs, "|O", sha_alloc, sha_update_buffer);
}

static PyObject *
Sha_update(ShaObject *self, PyObject *data)
{
    if (sha_update_buffer((HashObject *)self, data) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* The digest of everything hashed so far: the pending bytes, 0x80, zeros and the length in bits
 * (big-endian) as one or two more blocks of a copy of the state. Returns its size. */
static int
sha_digest_bytes(ShaObject *self, unsigned char out[32])
{
    const Kernel *kernel = current_kernel();
    unsigned char last[2 * BLOCK];
    uint32_t st[8];
    lock_context(self->lock);
    size_t used = (size_t)(self->length & (BLOCK - 1));
    uint64_t bits = self->length << 3;
    memcpy(st, self->state, sizeof(st));
    memset(last, 0, sizeof(last));
    memcpy(last, self->pending, used);
    PyThread_release_lock(self->lock);
    size_t total = used < 56 ? BLOCK : 2 * BLOCK;
    last[used] = 0x80;
    for (int i = 0; i < 8; i++) {
        last[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    }
    int words = self->is256 ? 8 : 5;
    (self->is256 ? kernel->sha256 : kernel->sha1)(st, last, total / BLOCK);
    for (int i = 0; i < words; i++) {
        out[4 * i] = (unsigned char)(st[i] >> 24);
        out[4 * i + 1] = (unsigned char)(st[i] >> 16);
        out[4 * i + 2] = (unsigned char)(st[i] >> 8);
        out[4 * i + 3] = (unsigned char)st[i];
    }
    return 4 * words;
}

static PyObject *
Sha_digest(ShaObject *self, PyObject *Py_UNUSED(ignored))
{
    unsigned char out[32];
    int size = sha_digest_bytes(self, out);
    return PyBytes_FromStringAndSize((const char *)out, size);
}

static PyObject *
Sha_hexdigest(ShaObject *self, PyObject *Py_UNUSED(ignored))
{
    unsigned char out[32];
    int size = sha_digest_bytes(self, out);
    return hex_digest(out, size);
}

static PyObject *
Sha_copy(ShaObject *self, PyObject *Py_UNUSED(ignored))
{
    return hash_object_copy((HashObject *)self, sha_alloc);
}

static PyObject *
Sha_get_name(ShaObject *self, void *closure)
{
    return PyUnicode_FromString(self->is256 ? "sha256" : "sha1");
}

static PyObject *
Sha_get_digest_size(ShaObject *self, void *closure)
{
    return PyLong_FromLong(self->is256 ? 32 : 20);
}

static PyObject *
Sha_get_block_size(ShaObject *self, void *closure)
{
    return PyLong_FromLong(BLOCK);
}

static PyMethodDef Sha_methods[] = {
    {"update", (PyCFunction)Sha_update, METH_O,
     "Hash the bytes of a buffer (after the earlier ones)."},
    {"digest", (PyCFunction)Sha_digest, METH_NOARGS, "The digest of everything hashed so far."},
    {"hexdigest", (PyCFunction)Sha_hexdigest, METH_NOARGS,
     "The digest as lowercase hex digits."},
    {"copy", (PyCFunction)Sha_copy, METH_NOARGS, "An independent context in the same state."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Sha_getset[] = {
    {"name", (getter)Sha_get_name, NULL, "'sha1' or 'sha256'", NULL},
    {"digest_size", (getter)Sha_get_digest_size, NULL, "20 or 32", NULL},
    {"block_size", (getter)Sha_get_block_size, NULL, "64", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject SHA1Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orderwatch.forensics._shalanes.SHA1",
    .tp_basicsize = sizeof(ShaObject),
    .tp_dealloc = (destructor)hash_object_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "SHA1(data=b'') -> a SHA-1 context like hashlib.sha1's; update_many() runs many "
              "with their SHA-256.",
    .tp_methods = Sha_methods,
    .tp_getset = Sha_getset,
    .tp_new = Sha_new,
};

static PyTypeObject SHA256Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orderwatch.forensics._shalanes.SHA256",
    .tp_basicsize = sizeof(ShaObject),
    .tp_dealloc = (destructor)hash_object_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "SHA256(data=b'') -> a SHA-256 context like hashlib.sha256's; update_many() runs "
              "many with their SHA-1.",
    .tp_methods = Sha_methods,
    .tp_getset = Sha_getset,
    .tp_new = Sha_new,
};

/* ---- update_many ----------------------------------------------------------------------------- */

typedef struct {
    ShaObject *ctx;
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

/* Index i of the combined list (SHA-1 contexts, then SHA-256 ones) as "sha1s[k]"/"sha256s[k]". */
static const char *
list_name(Py_ssize_t i, Py_ssize_t count)
{
    return i < count ? "sha1_contexts" : "sha256_contexts";
}

static PyObject *
update_many(PyObject *module, PyObject *args)
{
    PyObject *args_in[3];
    if (!PyArg_ParseTuple(args, "OOO:update_many", &args_in[0], &args_in[1], &args_in[2])) {
        return NULL;
    }
    static const char *const messages[3] = {"update_many: sha1_contexts must be a sequence",
                                            "update_many: sha256_contexts must be a sequence",
                                            "update_many: chunks must be a sequence"};
    PyObject *seq[3] = {NULL, NULL, NULL};
    PyObject *result = NULL;
    Py_ssize_t count = 0, held = 0, locked = 0;
    CtxRef *refs = NULL;
    ShaObject **ctxs = NULL; /* the SHA-1 contexts in order, then the SHA-256 ones */
    Py_buffer *views = NULL;
    Job *jobs = NULL;
    for (int k = 0; k < 3; k++) {
        seq[k] = PySequence_Fast(args_in[k], messages[k]);
        if (seq[k] == NULL) {
            goto done;
        }
    }
    count = PySequence_Fast_GET_SIZE(seq[2]);
    if (PySequence_Fast_GET_SIZE(seq[0]) != count || PySequence_Fast_GET_SIZE(seq[1]) != count) {
        PyErr_Format(PyExc_ValueError,
                     "update_many: %zd SHA-1 contexts and %zd SHA-256 contexts for %zd chunks",
                     PySequence_Fast_GET_SIZE(seq[0]), PySequence_Fast_GET_SIZE(seq[1]), count);
        count = 0;
        goto done;
    }
    if (count == 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    refs = PyMem_New(CtxRef, 2 * count);
    ctxs = PyMem_New(ShaObject *, 2 * count);
    views = PyMem_New(Py_buffer, count);
    jobs = PyMem_New(Job, count);
    if (refs == NULL || ctxs == NULL || views == NULL || jobs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < 2 * count; i++) {
        int is256 = i >= count;
        Py_ssize_t k = is256 ? i - count : i;
        PyObject *ctx = PySequence_Fast_GET_ITEM(seq[is256], k);
        if (Py_TYPE(ctx) != (is256 ? &SHA256Type : &SHA1Type)) {
            PyErr_Format(PyExc_TypeError, "%s[%zd] is not a %s context of this module (got %.100s)",
                         list_name(i, count), k, is256 ? "SHA256" : "SHA1",
                         Py_TYPE(ctx)->tp_name);
            goto done;
        }
        refs[i].ctx = ctxs[i] = (ShaObject *)ctx;
        refs[i].index = i;
    }
    qsort(refs, (size_t)(2 * count), sizeof(CtxRef), compare_ctxref);
    for (Py_ssize_t i = 1; i < 2 * count; i++) {
        if (refs[i].ctx == refs[i - 1].ctx) { /* the same type, so the same list */
            Py_ssize_t a = refs[i - 1].index, b = refs[i].index;
            Py_ssize_t base = a < count ? 0 : count;
            PyErr_Format(PyExc_ValueError, "%s[%zd] is the same context as %s[%zd]",
                         list_name(b, count), b - base, list_name(a, count), a - base);
            goto done;
        }
    }
    for (; held < count; held++) {
        if (get_indexed_buffer(PySequence_Fast_GET_ITEM(seq[2], held), "chunks", held,
                               &views[held]) < 0) {
            goto done;
        }
    }
    /* Our own references: another thread may change a list while the GIL is released. */
    for (Py_ssize_t i = 0; i < 2 * count; i++) {
        Py_INCREF(refs[i].ctx);
    }
    /* Locks in address order, so that two calls sharing contexts cannot deadlock. */
    for (; locked < 2 * count; locked++) {
        lock_context(refs[locked].ctx->lock);
    }
    const Kernel *kernel = current_kernel();
    Py_BEGIN_ALLOW_THREADS
    size_t njobs = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        ShaObject *c1 = ctxs[i], *c2 = ctxs[count + i];
        const unsigned char *b1, *b2;
        size_t n1, n2;
        ctx_split(c1, kernel, views[i].buf, (size_t)views[i].len, &b1, &n1);
        ctx_split(c2, kernel, views[i].buf, (size_t)views[i].len, &b2, &n2);
        if (b1 == b2 && n1 == n2) { /* the two contexts had as many bytes pending: together */
            jobs[njobs].s1 = c1->state;
            jobs[njobs].s2 = c2->state;
            jobs[njobs].data = b1;
            jobs[njobs].nblocks = n1;
            njobs++;
        }
        else {
            ctx_blocks(c1, kernel, b1, n1);
            ctx_blocks(c2, kernel, b2, n2);
        }
    }
    run_jobs(jobs, njobs, kernel);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);

done:
    for (Py_ssize_t i = 0; i < locked; i++) {
        PyThread_release_lock(refs[i].ctx->lock);
    }
    if (locked) {
        for (Py_ssize_t i = 0; i < 2 * count; i++) {
            Py_DECREF(refs[i].ctx);
        }
    }
    for (Py_ssize_t i = 0; i < held; i++) {
        PyBuffer_Release(&views[i]);
    }
    PyMem_Free(jobs);
    PyMem_Free(views);
    PyMem_Free(ctxs);
    PyMem_Free(refs);
    for (int k = 0; k < 3; k++) {
        Py_XDECREF(seq[k]);
    }
    return result;
}

static PyObject *
implementation(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyUnicode_FromString(current_kernel()->name);
}

static PyObject *
set_force_portable(PyObject *module, PyObject *on)
{
    int flag = PyObject_IsTrue(on);
    if (flag < 0) {
        return NULL;
    }
    force_portable = flag;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"update_many", update_many, METH_VARARGS,
     "update_many(sha1_contexts, sha256_contexts, chunks): sha1_contexts[i].update(chunks[i]) "
     "and sha256_contexts[i].update(chunks[i]) for every i, interleaved."},
    {"implementation", implementation, METH_NOARGS,
     "'sha-ni' or 'portable': the block functions used on this CPU now."},
    {"_force_portable", set_force_portable, METH_O,
     "Tests only: use the portable block functions."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_shalanes",
    .m_doc = "SHA-1 and SHA-256 of many streams, interleaved with the CPU's SHA extensions.",
    .m_size = -1,
    .m_methods = module_methods,
};

static int
add_type(PyObject *m, const char *name, PyTypeObject *type)
{
    Py_INCREF(type);
    if (PyModule_AddObject(m, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC
PyInit__shalanes(void)
{
#ifdef SHALANES_X86
    have_sha_ni = sha_blocks_cpu_has_ni();
#endif
    if (PyType_Ready(&SHA1Type) < 0 || PyType_Ready(&SHA256Type) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (add_type(m, "SHA1", &SHA1Type) < 0 || add_type(m, "SHA256", &SHA256Type) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
