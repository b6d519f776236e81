/* Keyword matching's per-character and per-spot work in C (see textmatch.py, which keeps the
 * pure-Python path as the fallback and the reference: the results must be identical).
 *
 * configure() takes the folding tables once. Finder (one per KeywordMatcher) holds the compiled
 * keys and their terms, and the literals scanned: each key without its spaces, once for all the
 * keys that differ only in their spaces ("home alone", "homealone"). Finder.start(text) builds
 * the fast key of a text straight from the str's storage (1, 2 or 4 bytes per character) and
 * returns a Job: a buffer (what hyperscan scans: the key without its spaces) and a callable
 * (hyperscan's match callback, recording (literal, end) in C arrays). Job.windows() checks each
 * match against the spaced key and on word boundaries, finds the suspicious spots
 * (textmatch._TRIGGERS, with AVX2 when the CPU has it, instead of as literals in the scan),
 * places the windows and builds their full normalisation (textmatch_full.full_key's rules) for
 * the second scan; Job.hits() checks its matches the same way, maps everything back to the text
 * and makes the KeywordHit lists.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define UNKNOWN 0xFF   /* code point not folded yet: ask Python */
#define IRREGULAR 0xFE /* folds to no byte or to several: its bytes are in g_irregular */
#define LEET 1
#define BOTH_SIDES 2
#define SYMBOL 4
#define WIDEN 64
#define RELEASE_GIL_FROM 8192 /* characters */

static const char WINDOW_SEPARATOR[] = " \x80 ";
#define SEPARATOR_LEN 3

static uint8_t *g_fold;        /* per code point: its folded byte, UNKNOWN or IRREGULAR */
static PyObject *g_irregular;  /* dict: code point -> folded bytes */
static PyObject *g_learn;      /* callable: code point -> folded bytes */
static uint8_t g_fast[256];    /* fast key folding of a raw byte */
static uint8_t g_fast_rows[128]; /* its ASCII rows of 16 as differences (translate32) */
static uint8_t g_full[256];    /* full key folding (MATCHING.fold) */
static uint8_t g_leet[256];    /* MATCHING.leet */
static uint8_t g_flags[256];   /* LEET | BOTH_SIDES | SYMBOL */
static int g_configured;
static int g_avx2;     /* the CPU has AVX2 (and configure did not turn SIMD off) */
static int g_use_avx2; /* that, and the fast table keeps bytes from 0x80 */

static inline int is_word(uint8_t b) {
    return b >= 0x80 || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9');
}
/* A prefetch as a volatile instruction: GCC deletes loops whose only effect is __builtin_prefetch
 * (prefetch_groups's were gone). */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define PREFETCH(p) __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)(p)))
#elif defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

static inline int is_letter(uint8_t b) { return b >= 0x80 || (b >= 'a' && b <= 'z'); }

/* ------------------------------------------------------------------ growable arrays */

typedef struct {
    int64_t *a;
    Py_ssize_t n, cap;
} Vec;

/* Raw allocation, so that a loop without the GIL can push too; -1 (no exception) when out of
 * memory. */
static int vec_push_raw(Vec *v, int64_t x) {
    if (v->n == v->cap) {
        Py_ssize_t cap = v->cap ? 2 * v->cap : 64;
        int64_t *a = PyMem_RawRealloc(v->a, (size_t)cap * sizeof(int64_t));
        if (!a) return -1;
        v->a = a;
        v->cap = cap;
    }
    v->a[v->n++] = x;
    return 0;
}

static int vec_push(Vec *v, int64_t x) {
    if (vec_push_raw(v, x) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void vec_free(Vec *v) {
    PyMem_RawFree(v->a);
    v->a = NULL;
    v->n = v->cap = 0;
}

typedef struct {
    int64_t start, end, term;
} Found;

static int cmp_found(const void *x, const void *y) {
    const Found *a = x, *b = y;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->end != b->end) return a->end < b->end ? -1 : 1;
    if (a->term != b->term) return a->term < b->term ? -1 : 1;
    return 0;
}

static int cmp_int64(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* ------------------------------------------------------------------ configure */

static int copy_table(PyObject *obj, uint8_t *out, const char *name) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) return -1;
    if (view.len != 256) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "%s must be 256 bytes, not %zd", name, view.len);
        return -1;
    }
    memcpy(out, view.buf, 256);
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *configure(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"fast", "full", "leet", "flags", "learn", "simd", NULL};
    PyObject *fast, *full, *leet, *flags, *learn;
    int simd = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOO|p:configure", names, &fast, &full,
                                     &leet, &flags, &learn, &simd))
        return NULL;
    if (!PyCallable_Check(learn)) {
        PyErr_SetString(PyExc_TypeError, "learn must be callable (code point -> folded bytes)");
        return NULL;
    }
    uint8_t t_fast[256], t_full[256], t_leet[256], t_flags[256];
    if (copy_table(fast, t_fast, "fast") < 0 || copy_table(full, t_full, "full") < 0 ||
        copy_table(leet, t_leet, "leet") < 0 || copy_table(flags, t_flags, "flags") < 0)
        return NULL;
    if (!g_fold) {
        g_fold = PyMem_RawMalloc(0x110000);
        if (!g_fold) return PyErr_NoMemory();
    }
    PyObject *irregular = PyDict_New();
    if (!irregular) return NULL;
    memset(g_fold, UNKNOWN, 0x110000);
    for (int c = 0; c < 0x80; c++) g_fold[c] = (uint8_t)c; /* ASCII stays itself in the raw key */
    memcpy(g_fast, t_fast, 256);
    memcpy(g_full, t_full, 256);
    memcpy(g_leet, t_leet, 256);
    memcpy(g_flags, t_flags, 256);
    for (int c = 0; c < 128; c++) g_fast_rows[c] = c < 16 ? g_fast[c] : g_fast[c] ^ g_fast[c - 16];
    Py_XSETREF(g_irregular, irregular);
    Py_INCREF(learn);
    Py_XSETREF(g_learn, learn);
    g_avx2 = g_use_avx2 = 0;
#if defined(__x86_64__) || defined(__i386__)
    int keeps_high = 1;
    for (int b = 0x80; b < 256; b++) keeps_high &= g_fast[b] == b;
    __builtin_cpu_init();
    g_avx2 = simd && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    g_use_avx2 = g_avx2 && keeps_high;
#endif
    g_configured = 1;
    Py_RETURN_NONE;
}

/* Fold code point `code` through Python (first sight) and fill the table. */
static int learn_code(Py_UCS4 code) {
    PyObject *folded = PyObject_CallFunction(g_learn, "I", (unsigned int)code);
    if (!folded) return -1;
    if (!PyBytes_Check(folded)) {
        Py_DECREF(folded);
        PyErr_SetString(PyExc_TypeError, "learn() must return bytes");
        return -1;
    }
    if (PyBytes_GET_SIZE(folded) == 1 && (uint8_t)PyBytes_AS_STRING(folded)[0] < 0x80) {
        g_fold[code] = (uint8_t)PyBytes_AS_STRING(folded)[0];
    } else {
        PyObject *key = PyLong_FromUnsignedLong(code);
        if (!key || PyDict_SetItem(g_irregular, key, folded) < 0) {
            Py_XDECREF(key);
            Py_DECREF(folded);
            return -1;
        }
        Py_DECREF(key);
        g_fold[code] = IRREGULAR;
    }
    Py_DECREF(folded);
    return 0;
}

/* ------------------------------------------------------------------ the fast key */

typedef struct {
    uint8_t *raw;   /* folded bytes: one per byte of the folded text's UTF-8 */
    uint8_t *buf;   /* a space, then the raw bytes through the fast folding */
    int32_t *cmap;  /* NULL unless mapped: the text's index of each key byte, and len(text) */
    uint8_t *joined;    /* the key without spaces or repeats: what the scanner scans */
    int32_t *jblock;    /* per 64 key bytes: joined bytes before them (the way back); joined
                           follows them in the same allocation */
    Py_ssize_t jn;      /* joined bytes */
    Py_ssize_t n;   /* key bytes */
    Py_ssize_t cap; /* room in raw (buf and cmap have one more) */
    Py_ssize_t text_len;
} Key;

static void key_free(Key *k) {
    PyMem_Free(k->raw);
    PyMem_Free(k->buf);
    PyMem_Free(k->cmap);
    PyMem_Free(k->jblock); /* joined is in the same allocation */
    memset(k, 0, sizeof(*k));
}

static int key_reserve(Key *k, Py_ssize_t need) {
    if (need <= k->cap) return 0;
    Py_ssize_t cap = need + need / 2 + 16;
    uint8_t *raw = PyMem_Realloc(k->raw, (size_t)cap);
    if (!raw) goto fail;
    k->raw = raw;
    uint8_t *buf = PyMem_Realloc(k->buf, (size_t)cap + 1);
    if (!buf) goto fail;
    k->buf = buf;
    if (k->cmap) {
        int32_t *cmap = PyMem_Realloc(k->cmap, ((size_t)cap + 1) * sizeof(int32_t));
        if (!cmap) goto fail;
        k->cmap = cmap;
    }
    k->cap = cap;
    return 0;
fail:
    PyErr_NoMemory();
    return -1;
}

#if defined(__x86_64__) || defined(__i386__)
/* Narrow ASCII characters from data[i] into out, 32 at a time, up to the first block of 32 that
 * holds another character; returns where it stopped. One per str kind. */
__attribute__((target("avx2"))) static Py_ssize_t ascii_run_Py_UCS1(const Py_UCS1 *data,
                                                                    Py_ssize_t i, Py_ssize_t len,
                                                                    uint8_t *out) {
    Py_ssize_t from = i;
    for (; i + 32 <= len; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(data + i));
        if (_mm256_movemask_epi8(x)) break;
        _mm256_storeu_si256((__m256i *)(out + (i - from)), x);
    }
    return i;
}

__attribute__((target("avx2"))) static Py_ssize_t ascii_run_Py_UCS2(const Py_UCS2 *data,
                                                                    Py_ssize_t i, Py_ssize_t len,
                                                                    uint8_t *out) {
    const __m256i high = _mm256_set1_epi16(~0x7F);
    Py_ssize_t from = i;
    for (; i + 32 <= len; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(data + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(data + i + 16));
        if (!_mm256_testz_si256(_mm256_or_si256(a, b), high)) break;
        __m256i x = _mm256_packus_epi16(a, b); /* 8-byte groups in the order a0 b0 a1 b1 */
        x = _mm256_permute4x64_epi64(x, 0xD8);
        _mm256_storeu_si256((__m256i *)(out + (i - from)), x);
    }
    return i;
}

__attribute__((target("avx2"))) static Py_ssize_t ascii_run_Py_UCS4(const Py_UCS4 *data,
                                                                    Py_ssize_t i, Py_ssize_t len,
                                                                    uint8_t *out) {
    const __m256i high = _mm256_set1_epi32(~0x7F);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    Py_ssize_t from = i;
    for (; i + 32 <= len; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(data + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(data + i + 8));
        __m256i c = _mm256_loadu_si256((const __m256i *)(data + i + 16));
        __m256i d = _mm256_loadu_si256((const __m256i *)(data + i + 24));
        if (!_mm256_testz_si256(_mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d)),
                                high))
            break;
        /* 4-byte groups in the order a0 b0 c0 d0 a1 b1 c1 d1 */
        __m256i x = _mm256_packus_epi16(_mm256_packus_epi32(a, b), _mm256_packus_epi32(c, d));
        x = _mm256_permutevar8x32_epi32(x, order);
        _mm256_storeu_si256((__m256i *)(out + (i - from)), x);
    }
    return i;
}
#define ASCII_RUN(TYPE, data, i, len, out) ascii_run_##TYPE(data, i, len, out)
#else
#define ASCII_RUN(TYPE, data, i, len, out) (i)
#endif

/* Fold characters from `i` into raw key bytes while each folds to one known byte; returns where
 * it stopped. Runs of ASCII characters are narrowed with AVX2 when the CPU has it (and the key
 * needs no map back), else in blocks in vectorisable loops. */
#define BLOCK 64
#define FOLD_SPAN(TYPE)                                                                        \
    static Py_ssize_t fold_span_##TYPE(const TYPE *data, Py_ssize_t i, Py_ssize_t len, Key *k) { \
        uint8_t *raw = k->raw;                                                                 \
        const uint8_t *fold = g_fold;                                                          \
        Py_ssize_t at = k->n;                                                                  \
        int32_t *cmap = k->cmap;                                                               \
        while (i < len) {                                                                      \
            if (g_avx2 && !cmap) {                                                             \
                Py_ssize_t j = ASCII_RUN(TYPE, data, i, len, raw + at);                        \
                at += j - i;                                                                   \
                i = j;                                                                         \
                if (i >= len) break;                                                           \
            }                                                                                  \
            Py_ssize_t stop = len - i >= BLOCK ? i + BLOCK : len;                              \
            if (stop - i == BLOCK) {                                                           \
                uint32_t acc = 0;                                                              \
                for (int j = 0; j < BLOCK; j++) acc |= data[i + j];                            \
                if (acc < 0x80) {                                                              \
                    for (int j = 0; j < BLOCK; j++) raw[at + j] = (uint8_t)data[i + j];        \
                    if (cmap)                                                                  \
                        for (int j = 0; j < BLOCK; j++) cmap[at + j] = (int32_t)(i + j);       \
                    at += BLOCK;                                                               \
                    i += BLOCK;                                                                \
                    continue;                                                                  \
                }                                                                              \
            }                                                                                  \
            for (; i < stop; i++) {                                                            \
                Py_UCS4 c = data[i];                                                           \
                uint8_t b = c < 0x80 ? (uint8_t)c : fold[c];                                   \
                if (b >= IRREGULAR) {                                                          \
                    k->n = at;                                                                 \
                    return i;                                                                  \
                }                                                                              \
                raw[at] = b;                                                                   \
                if (cmap) cmap[at] = (int32_t)i;                                               \
                at++;                                                                          \
            }                                                                                  \
        }                                                                                      \
        k->n = at;                                                                             \
        return i;                                                                              \
    }
FOLD_SPAN(Py_UCS1)
FOLD_SPAN(Py_UCS2)
FOLD_SPAN(Py_UCS4)

static Py_ssize_t fold_span(int kind, const void *data, Py_ssize_t i, Py_ssize_t len, Key *k) {
    switch (kind) {
    case PyUnicode_1BYTE_KIND: return fold_span_Py_UCS1(data, i, len, k);
    case PyUnicode_2BYTE_KIND: return fold_span_Py_UCS2(data, i, len, k);
    default: return fold_span_Py_UCS4(data, i, len, k);
    }
}

/* dst[j] = g_fast[src[j]]. */
static void translate_portable(const uint8_t *src, uint8_t *dst, Py_ssize_t n) {
    for (Py_ssize_t j = 0; j < n; j++) dst[j] = g_fast[src[j]];
}

/* ------------------------------------------------------------------ the joined key */

/* The scanner scans the key without its spaces and without the bytes that repeat the one before
 * ("joined"), and holds the keys in that form too: a phrase's joined-up form ("homealone"), its
 * spaced form ("home alone") and its forms with letters doubled or not are one literal (5,337
 * literals for 10,976 keys), and a fifth fewer bytes are scanned. A match ends on the first
 * byte of a run of one byte in the key: each key of the literal is checked against the key at
 * each end in that run, so the matches are exactly those of a scan of the key for the keys. */
#define JBLOCK 64
/* Per mask of spaces among 8 bytes: where the others are, as shuffle indexes (from 0, and from
 * 8 for the upper half of 16 bytes). */
static uint8_t g_squeeze[256][8], g_squeeze_upper[256][8];

static void init_squeeze(void) {
    for (int m = 0; m < 256; m++) {
        int w = 0;
        for (int b = 0; b < 8; b++)
            if (!((m >> b) & 1)) {
                g_squeeze[m][w] = (uint8_t)b;
                g_squeeze_upper[m][w++] = (uint8_t)(8 + b);
            }
        for (; w < 8; w++) g_squeeze[m][w] = g_squeeze_upper[m][w] = 0x80;
    }
}

/* out[w...] gets src[from..n) without its spaces and without the bytes equal to the one before
 * them; block[b], the bytes written before src[JBLOCK * b]. Returns the bytes written in all. */
static Py_ssize_t squeeze_portable(const uint8_t *src, Py_ssize_t from, Py_ssize_t n, uint8_t *out,
                                   Py_ssize_t w, int32_t *block) {
    for (Py_ssize_t j = from; j < n; j++) {
        if (j % JBLOCK == 0) block[j / JBLOCK] = (int32_t)w;
        uint8_t c = src[j];
        out[w] = c;
        w += c != ' ' && (j == 0 || c != src[j - 1]);
    }
    return w;
}

#if defined(__x86_64__) || defined(__i386__)
/* 64 bytes (a and b) into out[w...] but for those whose bit is set in `mask`, 8 at a time
 * through a shuffle that packs the others together (out needs 8 bytes of room after the last);
 * returns the new w. */
__attribute__((target("avx2,popcnt"))) static inline Py_ssize_t pack64(__m256i a, __m256i b,
                                                                       uint64_t mask,
                                                                       uint8_t *out,
                                                                       Py_ssize_t w) {
    if (!mask) {
        _mm256_storeu_si256((__m256i *)(out + w), a);
        _mm256_storeu_si256((__m256i *)(out + w + 32), b);
        return w + JBLOCK;
    }
    __m128i q[4] = {_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1),
                    _mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1)};
    for (int h = 0; h < 4; h++) {
        unsigned low = (unsigned)(mask >> (16 * h)) & 0xFF, high = (unsigned)(mask >> (16 * h + 8)) & 0xFF;
        __m128i order = _mm_loadl_epi64((const __m128i *)g_squeeze[low]);
        _mm_storel_epi64((__m128i *)(out + w), _mm_shuffle_epi8(q[h], order));
        w += 8 - __builtin_popcount(low);
        order = _mm_loadl_epi64((const __m128i *)g_squeeze_upper[high]);
        _mm_storel_epi64((__m128i *)(out + w), _mm_shuffle_epi8(q[h], order));
        w += 8 - __builtin_popcount(high);
    }
    return w;
}

__attribute__((target("avx2"))) static inline uint64_t equal64(__m256i a, __m256i b, __m256i x,
                                                               __m256i y) {
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, x)) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, y)) << 32;
}

/* 64 bytes (a and b, after `before`) into out[w...] without their spaces and without the bytes
 * equal to the one before them. */
__attribute__((target("avx2,popcnt"))) static inline Py_ssize_t squeeze64(__m256i before,
                                                                          __m256i a, __m256i b,
                                                                          uint8_t *out,
                                                                          Py_ssize_t w) {
    const __m256i space = _mm256_set1_epi8(' ');
    /* each byte's previous one: a and b shifted by a byte, across their 16-byte lanes */
    __m256i x = _mm256_alignr_epi8(a, _mm256_permute2x128_si256(before, a, 0x21), 15);
    __m256i y = _mm256_alignr_epi8(b, _mm256_permute2x128_si256(a, b, 0x21), 15);
    return pack64(a, b, equal64(a, b, space, space) | equal64(a, b, x, y), out, w);
}

/* g_fast of 32 bytes, its 128 ASCII entries as eight 16-byte shuffles; bytes from 0x80 stay as
 * they are (configure checks that the table keeps them; the blend puts them back). Row h holds
 * the differences (xor) of the table's rows h and h - 1, shuffled by the bytes less 16 * h (an
 * ASCII byte below 16 * h goes negative and shuffles to 0), so that the rows up to an ASCII
 * byte's own xor to its entry: three instructions a row instead of four. */
__attribute__((target("avx2"))) static inline __m256i translate32(__m256i x, const __m256i *rows,
                                                                  const __m256i *highs) {
    __m256i r = _mm256_shuffle_epi8(rows[0], x);
    for (int h = 1; h < 8; h++)
        r = _mm256_xor_si256(r, _mm256_shuffle_epi8(rows[h], _mm256_sub_epi8(x, highs[h])));
    return _mm256_blendv_epi8(r, x, x);
}

/* dst = g_fast of src, and out = dst joined (squeeze), in one pass. */
__attribute__((target("avx2,popcnt"))) static Py_ssize_t translate_squeeze_avx2(
    const uint8_t *src, uint8_t *dst, Py_ssize_t n, uint8_t *out, int32_t *block) {
    __m256i rows[8], highs[8];
    for (int h = 0; h < 8; h++) {
        rows[h] = _mm256_broadcastsi128_si256(
            _mm_loadu_si128((const __m128i *)(g_fast_rows + 16 * h)));
        highs[h] = _mm256_set1_epi8((char)(16 * h));
    }
    Py_ssize_t j = 0, w = 0;
    __m256i before = _mm256_set1_epi8(' '); /* no byte before the first: as a space */
    for (; j + JBLOCK <= n; j += JBLOCK) {
        __m256i a = translate32(_mm256_loadu_si256((const __m256i *)(src + j)), rows, highs);
        __m256i b = translate32(_mm256_loadu_si256((const __m256i *)(src + j + 32)), rows, highs);
        _mm256_storeu_si256((__m256i *)(dst + j), a);
        _mm256_storeu_si256((__m256i *)(dst + j + 32), b);
        block[j / JBLOCK] = (int32_t)w;
        w = squeeze64(before, a, b, out, w);
        before = b;
    }
    if (j < n) { /* the last bytes as a block padded with spaces, which the squeeze drops */
        uint8_t tail[JBLOCK];
        memset(tail, ' ', JBLOCK);
        memcpy(tail, src + j, (size_t)(n - j));
        __m256i a = translate32(_mm256_loadu_si256((const __m256i *)tail), rows, highs);
        __m256i b = translate32(_mm256_loadu_si256((const __m256i *)(tail + 32)), rows, highs);
        _mm256_storeu_si256((__m256i *)tail, a);
        _mm256_storeu_si256((__m256i *)(tail + 32), b);
        memcpy(dst + j, tail, (size_t)(n - j));
        block[j / JBLOCK] = (int32_t)w;
        w = squeeze64(before, a, b, out, w); /* writes at most 8 bytes past the last it keeps */
    }
    return w;
}
#endif

/* dst = g_fast of src (n bytes), and out = dst joined (squeeze_portable); block[b], the bytes of
 * out before dst[JBLOCK * b]. Returns the bytes of out. Needs no GIL. */
static Py_ssize_t translate_key(const uint8_t *src, uint8_t *dst, Py_ssize_t n, uint8_t *out,
                                int32_t *block) {
#if defined(__x86_64__) || defined(__i386__)
    if (g_use_avx2) return translate_squeeze_avx2(src, dst, n, out, block);
#endif
    translate_portable(src, dst, n);
    return squeeze_portable(dst, 0, n, out, 0, block);
}

static int build_key(PyObject *text, Key *k) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    if (len > INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "text too long for keyword matching (over 1G characters)");
        return -1;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    k->text_len = len;
    k->buf = NULL;
    if (key_reserve(k, len + 1) < 0) return -1;
    k->buf[0] = g_fast[' '];
    Py_ssize_t i = 0;
    while (1) {
        if (len - i >= RELEASE_GIL_FROM) {
            Py_BEGIN_ALLOW_THREADS;
            i = fold_span(kind, data, i, len, k);
            Py_END_ALLOW_THREADS;
        } else {
            i = fold_span(kind, data, i, len, k);
        }
        if (i >= len) break;
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        uint8_t folded_byte = g_fold[c];
        if (folded_byte == UNKNOWN) {
            if (learn_code(c) < 0) return -1;
            continue;
        }
        if (folded_byte != IRREGULAR) {
            /* Another thread learnt it (a plain byte) after fold_span, running without the
             * GIL, stopped here: fold on from this character. */
            continue;
        }
        /* IRREGULAR: its bytes come from the dict, and the key needs the map back */
        PyObject *code = PyLong_FromUnsignedLong(c);
        if (!code) return -1;
        PyObject *folded = PyDict_GetItemWithError(g_irregular, code);
        Py_DECREF(code);
        if (!folded) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "textkey: irregular code point not learnt");
            return -1;
        }
        Py_ssize_t size = PyBytes_GET_SIZE(folded);
        const uint8_t *bytes = (const uint8_t *)PyBytes_AS_STRING(folded);
        if (!k->cmap) {
            k->cmap = PyMem_Malloc(((size_t)k->cap + 1) * sizeof(int32_t));
            if (!k->cmap) {
                PyErr_NoMemory();
                return -1;
            }
            for (Py_ssize_t j = 0; j < k->n; j++) k->cmap[j] = (int32_t)j;
        }
        if (key_reserve(k, k->n + size + (len - i - 1) + 1) < 0) return -1;
        for (Py_ssize_t j = 0; j < size; j++) {
            k->raw[k->n] = bytes[j];
            k->cmap[k->n] = (int32_t)i;
            k->n++;
        }
        i++;
    }
    if (k->cmap) k->cmap[k->n] = (int32_t)len;
    /* one allocation for both: the block counts, then the joined bytes (8 bytes of room after) */
    size_t blocks = ((size_t)k->n / JBLOCK + 2) * sizeof(int32_t);
    k->jblock = PyMem_Malloc(blocks + (size_t)k->n + 16);
    if (!k->jblock) {
        PyErr_NoMemory();
        return -1;
    }
    k->joined = (uint8_t *)k->jblock + blocks;
    if (k->n >= RELEASE_GIL_FROM) {
        Py_BEGIN_ALLOW_THREADS;
        k->jn = translate_key(k->raw, k->buf + 1, k->n, k->joined, k->jblock);
        Py_END_ALLOW_THREADS;
    } else {
        k->jn = translate_key(k->raw, k->buf + 1, k->n, k->joined, k->jblock);
    }
    return 0;
}

/* The key byte of joined byte `c` (0 <= c < k->jn): the block it is in, then the block's bytes
 * that were kept counted to it. */
static Py_ssize_t joined_to_key(const Key *k, Py_ssize_t c) {
    Py_ssize_t lo = 0, hi = (k->n + JBLOCK - 1) / JBLOCK; /* bisect_right(jblock, c) - 1 */
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (c < k->jblock[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    Py_ssize_t first = (lo - 1) * JBLOCK, size = k->n - first < JBLOCK ? k->n - first : JBLOCK;
    const uint8_t *key = k->buf + 1 + first; /* key[-1] is the buffer's leading space at worst */
    uint64_t kept = 0; /* a bit per byte of the block kept: not a space nor its byte before */
    for (Py_ssize_t j = 0; j < size; j++)
        kept |= (uint64_t)((key[j] != ' ') & (key[j] != key[j - 1])) << j;
    for (Py_ssize_t rest = c - k->jblock[lo - 1]; rest > 0; rest--) kept &= kept - 1;
    return kept ? first + __builtin_ctzll(kept) : -1; /* -1: not reached for c < k->jn */
}

/* The text's index of key byte `index` (FastKey.original). */
static inline int64_t key_original(const Key *k, int64_t index) {
    if (!k->cmap) return index;
    if (index <= k->n) return k->cmap[index];
    return k->cmap[k->n] + (index - k->n);
}

/* The key byte where character `c` starts (FastKey.key_index): the first byte mapped to c or
 * later. */
static int64_t key_index(const Key *k, int64_t c) {
    if (!k->cmap) return c;
    Py_ssize_t lo = 0, hi = k->n; /* cmap[n] == len(text) >= c */
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (k->cmap[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == k->n && c > k->cmap[k->n]) return k->n + (c - k->cmap[k->n]);
    return lo;
}

/* FastKey.continues_word: whether the key byte at `position`, just outside a hit, carries its
 * word on. */
static int continues_word(const Key *k, Py_ssize_t position, int step) {
    if (position < 0 || position >= k->n || !is_word(k->buf[position + 1])) return 0;
    while (position >= 0 && position < k->n) {
        uint8_t b = k->raw[position];
        if (b >= 0x80 || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) return 1;
        if (!(g_flags[b] & LEET)) return b >= '0' && b <= '9';
        position += step;
    }
    return 0;
}

/* ------------------------------------------------------------------ the full key */

/* textmatch_full.full_key(in, MATCHING): the normalised bytes and, per byte, its index in `in`.
 * Writes into data/pos (room for n each) and returns the length. Its last pass also writes it
 * joined as the key is (no spaces, no byte equal to the one before) into sd, with each byte's
 * index in d in spos (room for n each), and its length in *sn. */
static Py_ssize_t full_key(const uint8_t *in, Py_ssize_t n, uint8_t *d, int32_t *pos,
                           uint8_t *scratch, uint8_t *sd, int32_t *spos, Py_ssize_t *sn) {
    int any_leet = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        d[i] = g_full[in[i]];
        any_leet |= g_flags[d[i]] & LEET;
    }
    if (any_leet) { /* _read_leet: grow runs of leet characters out from letters beside them */
        uint8_t *read = scratch, *after = scratch + n;
        Py_ssize_t s = 0;
        while (s < n) {
            if (!(g_flags[d[s]] & LEET)) {
                s++;
                continue;
            }
            Py_ssize_t e = s;
            while (e < n && (g_flags[d[e]] & LEET)) e++;
            Py_ssize_t count = e - s;
            int left = s > 0 && is_letter(d[s - 1]);
            int right = e < n && is_letter(d[e]);
            memset(read, 0, (size_t)count);
            for (int round = 0; round < 3; round++) {
                int grown = 0;
                memcpy(after, read, (size_t)count);
                for (Py_ssize_t j = 0; j < count; j++) {
                    if (read[j]) continue;
                    int before_ok = j > 0 ? read[j - 1] : left;
                    int after_ok = j + 1 < count ? read[j + 1] : right;
                    int ok = (g_flags[d[s + j]] & BOTH_SIDES) ? (before_ok && after_ok)
                                                              : (before_ok || after_ok);
                    if (ok) after[j] = grown = 1;
                }
                if (!grown) break;
                memcpy(read, after, (size_t)count);
            }
            for (Py_ssize_t j = 0; j < count; j++) { /* neighbours were read above: safe now */
                uint8_t b = d[s + j];
                if (read[j])
                    d[s + j] = g_leet[b];
                else if (g_flags[b] & SYMBOL)
                    d[s + j] = ' ';
            }
            s = e;
        }
    }
    /* apostrophes, and spaces that follow a space (the loops that drop bytes write each one and
     * move on only past those they keep: no branch to mispredict); no byte has moved before this
     * loop, so each one's index in `in` is its own */
    Py_ssize_t w = 0;
    uint8_t prev = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        int drop = (c == '\'') | ((i > 0) & (prev == ' ') & (c == ' '));
        prev = c;
        d[w] = c;
        pos[w] = (int32_t)i;
        w += !drop;
    }
    n = w;
    const uint8_t *gaps = NULL; /* per byte: 1 kept, 0 a gap between spaced-out letters */
    /* the gaps of spaced-out single letters (textmatch_full._spaced_runs): chains of three or
     * more letters each alone between spaces (or the ends), one space apart */
    if (n > 0 && memchr(d, ' ', (size_t)n)) {
        uint8_t *single = scratch, *keep = scratch + n; /* keep: 1 keep, 0 delete */
        for (Py_ssize_t i = 0; i < n; i++) {
            int before = i == 0 || d[i - 1] == ' ';
            int after = i + 1 == n || d[i + 1] == ' ';
            single[i] = (uint8_t)((d[i] >= 'a' && d[i] <= 'z') & before & after);
        }
        memset(keep, 1, (size_t)n);
        int any = 0;
        Py_ssize_t i = 0;
        while (i < n) {
            const uint8_t *next = memchr(single + i, 1, (size_t)(n - i));
            if (!next) break;
            i = next - single;
            Py_ssize_t last = i; /* a single letter two on is one space on (it needs one before) */
            while (last + 2 < n && single[last + 2]) last += 2;
            if (last - i >= 4) {
                for (Py_ssize_t j = i + 1; j < last; j += 2) keep[j] = 0;
                any = 1;
            }
            i = last + 1;
        }
        if (any) gaps = keep;
    }
    /* repeated letters: all but the first of a run of one letter; the gaps go in the same pass
     * (a letter repeats the byte kept before it) */
    w = 0;
    prev = 0;
    Py_ssize_t ws = 0;
    int last = -1; /* the byte last kept in d (none yet) */
    if (gaps) {
        for (Py_ssize_t i = 0; i < n; i++) {
            uint8_t c = d[i], kept = gaps[i];
            int keep = (kept != 0) & !((prev == c) & (c >= 'a') & (c <= 'z'));
            prev = kept ? c : prev;
            d[w] = c;
            pos[w] = pos[i];
            sd[ws] = c;
            spos[ws] = (int32_t)w;
            ws += keep & (c != ' ') & (c != last);
            last = keep ? c : last;
            w += keep;
        }
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            uint8_t c = d[i];
            int keep = !((prev == c) & (c >= 'a') & (c <= 'z'));
            prev = c;
            d[w] = c;
            pos[w] = pos[i];
            sd[ws] = c;
            spos[ws] = (int32_t)w;
            ws += keep & (c != ' ') & (c != last);
            last = keep ? c : last;
            w += keep;
        }
    }
    *sn = ws;
    return w;
}

/* ------------------------------------------------------------------ suspicious spots */

/* The spots of textmatch._TRIGGERS, found here instead of by the scanner: the buffer index of the
 * last byte of each occurrence of "  ", a run of three of one letter (four for i; never l), or
 * " x y " with single letters x and y (not l) and the same separator (space, dot or star) after
 * each. */
static inline int letter_nol(uint8_t c) { return c >= 'a' && c <= 'z' && c != 'l'; }

static inline int spot_at(const uint8_t *b, Py_ssize_t j) {
    uint8_t c = b[j];
    if (j >= 1 && c == ' ' && b[j - 1] == ' ') return 1;
    if (j >= 2 && letter_nol(c) && b[j - 1] == c && b[j - 2] == c &&
        (c != 'i' || (j >= 3 && b[j - 3] == 'i')))
        return 1;
    if (j >= 4 && (c == ' ' || c == '.' || c == '*') && b[j - 2] == c && b[j - 4] == ' ' &&
        letter_nol(b[j - 1]) && letter_nol(b[j - 3]))
        return 1;
    return 0;
}

static int find_spots_portable(const uint8_t *b, Py_ssize_t from, Py_ssize_t size, Vec *out) {
    for (Py_ssize_t j = from; j < size; j++)
        if (spot_at(b, j) && vec_push_raw(out, j) < 0) return -1;
    return 0;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) static inline __m256i letters_nol(__m256i v) {
    __m256i in = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('a' - 1)),
                                  _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), v));
    return _mm256_andnot_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('l')), in);
}

/* 32 positions at a time: the same tests on the buffer and its copies shifted by 1 to 4. */
__attribute__((target("avx2"))) static int find_spots_avx2(const uint8_t *b, Py_ssize_t size,
                                                           Vec *out) {
    Py_ssize_t j = 4 < size ? 4 : size;
    if (find_spots_portable(b, 0, j, out) < 0) return -1;
    const __m256i space = _mm256_set1_epi8(' '), dot = _mm256_set1_epi8('.'),
                  star = _mm256_set1_epi8('*'), letter_i = _mm256_set1_epi8('i'),
                  ones = _mm256_set1_epi8((char)0xFF);
    for (; j + 32 <= size; j += 32) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(b + j));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(b + j - 1));
        __m256i v2 = _mm256_loadu_si256((const __m256i *)(b + j - 2));
        __m256i v3 = _mm256_loadu_si256((const __m256i *)(b + j - 3));
        __m256i v4 = _mm256_loadu_si256((const __m256i *)(b + j - 4));
        __m256i run = _mm256_and_si256(_mm256_cmpeq_epi8(v0, v1), _mm256_cmpeq_epi8(v1, v2));
        __m256i not_i = _mm256_xor_si256(_mm256_cmpeq_epi8(v0, letter_i), ones);
        run = _mm256_and_si256(_mm256_and_si256(run, letters_nol(v0)),
                               _mm256_or_si256(not_i, _mm256_cmpeq_epi8(v2, v3)));
        __m256i s0 = _mm256_cmpeq_epi8(v0, space);
        __m256i spaces = _mm256_and_si256(s0, _mm256_cmpeq_epi8(v1, space));
        __m256i sep = _mm256_or_si256(s0, _mm256_or_si256(_mm256_cmpeq_epi8(v0, dot),
                                                          _mm256_cmpeq_epi8(v0, star)));
        __m256i spaced = _mm256_and_si256(
            _mm256_and_si256(sep, _mm256_cmpeq_epi8(v2, v0)),
            _mm256_and_si256(_mm256_cmpeq_epi8(v4, space),
                             _mm256_and_si256(letters_nol(v1), letters_nol(v3))));
        uint32_t mask = (uint32_t)_mm256_movemask_epi8(
            _mm256_or_si256(run, _mm256_or_si256(spaces, spaced)));
        while (mask) {
            if (vec_push_raw(out, j + __builtin_ctz(mask)) < 0) return -1;
            mask &= mask - 1;
        }
    }
    return find_spots_portable(b, j, size, out);
}
#endif

/* Needs no GIL; -1 (no exception set) when out of memory. */
static int find_spots_nogil(const uint8_t *b, Py_ssize_t size, Vec *out) {
#if defined(__x86_64__) || defined(__i386__)
    if (g_avx2) return find_spots_avx2(b, size, out);
#endif
    return find_spots_portable(b, 0, size, out);
}

static int find_spots(const uint8_t *b, Py_ssize_t size, Vec *out) {
    int rc;
    if (size >= RELEASE_GIL_FROM) {
        Py_BEGIN_ALLOW_THREADS;
        rc = find_spots_nogil(b, size, out);
        Py_END_ALLOW_THREADS;
    } else {
        rc = find_spots_nogil(b, size, out);
    }
    if (rc < 0) PyErr_NoMemory();
    return rc;
}

/* ------------------------------------------------------------------ Finder */

/* A key as the checks of a scan's matches need it, kept together with the others of its group
 * (its bytes and term ids too), so that a match touches few cache lines. */
typedef struct {
    Py_ssize_t bytes_at; /* in Finder.bytes */
    int32_t length;
    int32_t ids_at;      /* in Finder.term_ids: nfast ids as a fast key, then nfull as a full key */
    int32_t nfast, nfull;
} Pattern;

typedef struct {
    PyObject_HEAD
    Py_ssize_t ngroups;   /* literals scanned (keys without spaces); their ids are group numbers */
    int32_t *group_at;    /* per group: its first pattern in `patterns` (and one past the last) */
    Pattern *patterns;    /* the patterns of each group, group after group */
    uint8_t *bytes;       /* their bytes, in the same order */
    int32_t *term_ids;    /* their term ids, fast then full, in the same order */
    PyObject *terms;      /* tuple of str, sorted: term id order is string order */
    PyObject *labels;     /* tuple, per term id: str or None */
    PyObject *hit_type;
    PyObject *descr[4];   /* the hit type's term, label, start, end slots */
    Py_ssize_t margin;
} Finder;

static PyTypeObject FinderType;
static PyTypeObject JobType;

static void finder_dealloc(Finder *self) {
    PyMem_Free(self->group_at);
    PyMem_Free(self->patterns);
    PyMem_Free(self->bytes);
    PyMem_Free(self->term_ids);
    Py_XDECREF(self->terms);
    Py_XDECREF(self->labels);
    Py_XDECREF(self->hit_type);
    for (int i = 0; i < 4; i++) Py_XDECREF(self->descr[i]);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Checks a list of `count` tuples of term ids below `terms`; returns the number of ids. */
static Py_ssize_t check_term_lists(PyObject *list, Py_ssize_t count, Py_ssize_t terms,
                                   const char *name) {
    if (!PyList_Check(list) || PyList_GET_SIZE(list) != count) {
        PyErr_Format(PyExc_ValueError, "%s must be a list of %zd tuples", name, count);
        return -1;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *t = PyList_GET_ITEM(list, i);
        if (!PyTuple_Check(t)) {
            PyErr_Format(PyExc_TypeError, "%s[%zd] must be a tuple of term ids", name, i);
            return -1;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(t); j++) {
            PyObject *id = PyTuple_GET_ITEM(t, j);
            Py_ssize_t v = PyLong_Check(id) ? PyLong_AsSsize_t(id) : -1;
            if (v < 0 || v >= terms) {
                PyErr_Clear();
                PyErr_Format(PyExc_ValueError, "%s[%zd] holds a term id out of range", name, i);
                return -1;
            }
        }
        total += PyTuple_GET_SIZE(t);
    }
    return total;
}

static void copy_ids(PyObject *tuple, int32_t *out) {
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(tuple); j++)
        out[j] = (int32_t)PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, j)); /* checked above */
}

/* False, with RuntimeError set, until configure() has been called. */
static int configured(void) {
    if (!g_configured)
        PyErr_SetString(PyExc_RuntimeError, "textkey.configure() must be called first");
    return g_configured;
}

/* The n ints of values as a Python list; NULL with an exception set on failure. */
static PyObject *int32_list(const int32_t *values, Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyLong_FromLong(values[i]);
        if (!v) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

static PyObject *finder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"patterns", "groups", "fast",     "full", "terms",
                            "labels",   "hit_type", "margin", NULL};
    PyObject *patterns, *groups, *fast, *full, *terms, *labels, *hit_type;
    Py_ssize_t margin;
    if (!configured()) return NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOOn:Finder", names, &patterns, &groups,
                                     &fast, &full, &terms, &labels, &hit_type, &margin))
        return NULL;
    if (!PyList_Check(patterns) || !PyList_Check(groups) || !PyList_Check(terms) ||
        !PyList_Check(labels)) {
        PyErr_SetString(PyExc_TypeError, "patterns, groups, terms and labels must be lists");
        return NULL;
    }
    if (!PyType_Check(hit_type)) {
        PyErr_SetString(PyExc_TypeError, "hit_type must be a class");
        return NULL;
    }
    if (margin < 0 || margin > (1 << 20)) {
        PyErr_SetString(PyExc_ValueError, "margin out of range");
        return NULL;
    }
    Py_ssize_t nterms = PyList_GET_SIZE(terms);
    if (PyList_GET_SIZE(labels) != nterms) {
        PyErr_SetString(PyExc_ValueError, "labels must have one entry per term");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nterms; i++) {
        PyObject *l = PyList_GET_ITEM(labels, i);
        if (!PyUnicode_Check(PyList_GET_ITEM(terms, i)) || (l != Py_None && !PyUnicode_Check(l))) {
            PyErr_SetString(PyExc_TypeError, "terms must be str, labels str or None");
            return NULL;
        }
    }
    Finder *self = (Finder *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(patterns);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(patterns, i);
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError, "patterns[%zd] must be bytes", i);
            goto fail;
        }
        if (PyBytes_GET_SIZE(item) <= 0 || PyBytes_GET_SIZE(item) > (1 << 20)) {
            PyErr_Format(PyExc_ValueError, "patterns[%zd] must be non-empty bytes", i);
            goto fail;
        }
    }
    if (check_term_lists(fast, count, nterms, "fast") < 0 ||
        check_term_lists(full, count, nterms, "full") < 0)
        goto fail;
    Py_ssize_t ngroups = PyList_GET_SIZE(groups), nmembers = 0, nbytes = 0, nids = 0;
    for (Py_ssize_t g = 0; g < ngroups; g++) {
        PyObject *t = PyList_GET_ITEM(groups, g);
        if (!PyTuple_Check(t)) {
            PyErr_Format(PyExc_TypeError, "groups[%zd] must be a tuple of pattern indexes", g);
            goto fail;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(t); j++) {
            PyObject *item = PyTuple_GET_ITEM(t, j);
            Py_ssize_t v = PyLong_Check(item) ? PyLong_AsSsize_t(item) : -1;
            if (v < 0 || v >= count) {
                PyErr_Clear();
                PyErr_Format(PyExc_ValueError, "groups[%zd] holds a pattern index out of range",
                             g);
                goto fail;
            }
            nmembers++;
            nbytes += PyBytes_GET_SIZE(PyList_GET_ITEM(patterns, v));
            nids += PyTuple_GET_SIZE(PyList_GET_ITEM(fast, v)) +
                    PyTuple_GET_SIZE(PyList_GET_ITEM(full, v));
        }
    }
    if (nmembers > INT32_MAX || nids > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many patterns");
        goto fail;
    }
    self->ngroups = ngroups;
    self->group_at = PyMem_Malloc(((size_t)ngroups + 1) * sizeof(int32_t));
    self->patterns = PyMem_Malloc((size_t)(nmembers ? nmembers : 1) * sizeof(Pattern));
    self->bytes = PyMem_Malloc((size_t)(nbytes ? nbytes : 1));
    self->term_ids = PyMem_Malloc((size_t)(nids ? nids : 1) * sizeof(int32_t));
    if (!self->group_at || !self->patterns || !self->bytes || !self->term_ids) {
        PyErr_NoMemory();
        goto fail;
    }
    nmembers = nbytes = nids = 0;
    for (Py_ssize_t g = 0; g < ngroups; g++) {
        PyObject *t = PyList_GET_ITEM(groups, g);
        self->group_at[g] = (int32_t)nmembers;
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(t); j++) {
            Py_ssize_t v = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, j)); /* checked above */
            PyObject *pattern = PyList_GET_ITEM(patterns, v);
            PyObject *fast_ids = PyList_GET_ITEM(fast, v), *full_ids = PyList_GET_ITEM(full, v);
            Pattern *p = &self->patterns[nmembers++];
            p->bytes_at = nbytes;
            p->length = (int32_t)PyBytes_GET_SIZE(pattern);
            p->ids_at = (int32_t)nids;
            p->nfast = (int32_t)PyTuple_GET_SIZE(fast_ids);
            p->nfull = (int32_t)PyTuple_GET_SIZE(full_ids);
            memcpy(self->bytes + nbytes, PyBytes_AS_STRING(pattern), (size_t)p->length);
            nbytes += p->length;
            copy_ids(fast_ids, self->term_ids + nids);
            copy_ids(full_ids, self->term_ids + nids + p->nfast);
            nids += p->nfast + p->nfull;
        }
    }
    self->group_at[ngroups] = (int32_t)nmembers;
    if (!(self->terms = PyList_AsTuple(terms)) || !(self->labels = PyList_AsTuple(labels)))
        goto fail;
    Py_INCREF(hit_type);
    self->hit_type = hit_type;
    static const char *slots[4] = {"term", "label", "start", "end"};
    for (int i = 0; i < 4; i++) {
        PyObject *d = PyObject_GetAttrString(hit_type, slots[i]);
        if (!d) {
            PyErr_Format(PyExc_TypeError, "hit_type must have a %s slot", slots[i]);
            goto fail;
        }
        if (!Py_TYPE(d)->tp_descr_set) {
            Py_DECREF(d);
            PyErr_Format(PyExc_TypeError, "hit_type.%s must be a slot", slots[i]);
            goto fail;
        }
        self->descr[i] = d;
    }
    self->margin = margin;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

/* ------------------------------------------------------------------ Job */

typedef struct {
    PyObject_HEAD
    Finder *finder;
    PyObject *text;
    Key key;
    int phase;            /* 0: key scan, 2: window scan */
    Vec ids, ends;        /* matches of the key scan */
    Vec win_ids, win_ends;
    Py_ssize_t nparts;
    int64_t *starts;      /* per part: its first character (one part: 0) */
    int64_t *lows, *highs;
    Found *found;
    Py_ssize_t nfound, capfound;
    Py_ssize_t nwin;
    int64_t *wfirst, *wlast, *woff;
    uint8_t *full;        /* full normalisation of the joined windows */
    int32_t *fpos;
    Py_ssize_t nfull;
    uint8_t *sfull;       /* that joined, as the key (what is scanned) */
    int32_t *sfpos;       /* per byte of it: its index in full */
    Py_ssize_t nsfull;
} Job;

static void job_dealloc(Job *self) {
    Py_XDECREF(self->finder);
    Py_XDECREF(self->text);
    key_free(&self->key);
    vec_free(&self->ids);
    vec_free(&self->ends);
    vec_free(&self->win_ids);
    vec_free(&self->win_ends);
    PyMem_Free(self->starts);
    PyMem_Free(self->lows);
    PyMem_Free(self->highs);
    PyMem_Free(self->found);
    PyMem_Free(self->wfirst);
    PyMem_Free(self->wlast);
    PyMem_Free(self->woff);
    PyMem_Free(self->full);
    PyMem_Free(self->fpos);
    PyMem_Free(self->sfull);
    PyMem_Free(self->sfpos);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int read_positions(PyObject *list, int64_t *out, Py_ssize_t n, const char *name) {
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        long long v = PyLong_Check(item) ? PyLong_AsLongLong(item) : -1;
        if (v < 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s[%zd] must be a non-negative int", name, i);
            return -1;
        }
        out[i] = v;
    }
    return 0;
}

/* Finder.start(text, starts=None, ends=None): the fast key of `text` and a Job to scan it. With
 * starts and ends (characters), text is several parts joined and each part is windowed alone. */
static PyObject *finder_start(Finder *self, PyObject *args) {
    PyObject *text, *starts = Py_None, *ends = Py_None;
    if (!PyArg_ParseTuple(args, "U|OO:start", &text, &starts, &ends)) return NULL;
    Py_ssize_t nparts = 1;
    if (starts != Py_None || ends != Py_None) {
        if (!PyList_Check(starts) || !PyList_Check(ends) ||
            PyList_GET_SIZE(starts) != PyList_GET_SIZE(ends) || PyList_GET_SIZE(starts) == 0) {
            PyErr_SetString(PyExc_TypeError,
                            "starts and ends must be lists of the same, non-zero length");
            return NULL;
        }
        nparts = PyList_GET_SIZE(starts);
    }
    Job *job = PyObject_New(Job, &JobType);
    if (!job) return NULL;
    memset((char *)job + sizeof(PyObject), 0, sizeof(Job) - sizeof(PyObject));
    Py_INCREF(self);
    job->finder = self;
    Py_INCREF(text);
    job->text = text;
    job->nparts = nparts;
    job->starts = PyMem_Calloc((size_t)nparts, sizeof(int64_t));
    job->lows = PyMem_Calloc((size_t)nparts, sizeof(int64_t));
    job->highs = PyMem_Calloc((size_t)nparts, sizeof(int64_t));
    if (!job->starts || !job->lows || !job->highs) {
        PyErr_NoMemory();
        goto fail;
    }
    if (build_key(text, &job->key) < 0) goto fail;
    if (starts == Py_None && ends == Py_None) {
        job->highs[0] = job->key.n;
    } else {
        if (read_positions(starts, job->starts, nparts, "starts") < 0 ||
            read_positions(ends, job->highs, nparts, "ends") < 0)
            goto fail;
        for (Py_ssize_t i = 0; i < nparts; i++) {
            if (job->highs[i] < job->starts[i] || job->highs[i] > job->key.text_len ||
                (i > 0 && job->starts[i] < job->starts[i - 1])) {
                PyErr_SetString(PyExc_ValueError, "starts and ends must be ordered parts of text");
                goto fail;
            }
            job->lows[i] = key_index(&job->key, job->starts[i]);
            job->highs[i] = key_index(&job->key, job->highs[i]);
        }
    }
    return (PyObject *)job;
fail:
    Py_DECREF(job);
    return NULL;
}

/* hyperscan's match callback: (id, from, to, flags, context). */
static PyObject *job_call(Job *self, PyObject *args, PyObject *kwargs) {
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 3) {
        PyErr_SetString(PyExc_TypeError, "Job() takes (id, from, to, ...) of a match");
        return NULL;
    }
    long long id = PyLong_AsLongLong(PyTuple_GET_ITEM(args, 0));
    long long to = PyLong_AsLongLong(PyTuple_GET_ITEM(args, 2));
    if ((id == -1 || to == -1) && PyErr_Occurred()) return NULL;
    if (id < 0 || to < 0) {
        PyErr_SetString(PyExc_ValueError, "a match's id and end must be non-negative");
        return NULL;
    }
    int rc;
    if (self->phase == 0)
        rc = vec_push(&self->ids, id) < 0 || vec_push(&self->ends, to) < 0 ? -1 : 0;
    else
        rc = vec_push(&self->win_ids, id) < 0 || vec_push(&self->win_ends, to) < 0 ? -1 : 0;
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

static int job_getbuffer(Job *self, Py_buffer *view, int flags) {
    if (self->phase == 2)
        return PyBuffer_FillInfo(view, (PyObject *)self,
                                 self->sfull ? (void *)self->sfull : (void *)"", self->nsfull, 1,
                                 flags);
    return PyBuffer_FillInfo(view, (PyObject *)self, self->key.joined, self->key.jn, 1, flags);
}

static PyBufferProcs job_as_buffer = {(getbufferproc)job_getbuffer, NULL};

static int add_found(Job *self, const int32_t *ids, Py_ssize_t n, int64_t start, int64_t end) {
    /* textmatch._record: drop spaces, apostrophes or zero-width characters after the term */
    PyObject *text = self->text;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    while (end > start + 1) {
        if (end - 1 >= len || end - 1 < 0) break;
        Py_UCS4 c = PyUnicode_READ(kind, data, end - 1);
        if (Py_UNICODE_ISALNUM(c) || c == '$' || c == '@' || c == '!' || c == '|' || c == '+')
            break;
        end--;
    }
    if (self->nfound + n > self->capfound) {
        Py_ssize_t cap = (self->nfound + n) * 2 + 32;
        Found *f = PyMem_Realloc(self->found, (size_t)cap * sizeof(Found));
        if (!f) {
            PyErr_NoMemory();
            return -1;
        }
        self->found = f;
        self->capfound = cap;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        Found *f = &self->found[self->nfound++];
        f->start = start;
        f->end = end;
        f->term = ids[j];
    }
    return 0;
}

/* Merged windows around sorted spots (textmatch._windows and _widen). */
static void widen(const Key *k, int64_t first, int64_t last, int64_t low, int64_t high,
                  int64_t *out_first, int64_t *out_last) {
    const uint8_t *raw = k->raw;
    if (first <= low) {
        first = low;
    } else {
        int64_t from = first - WIDEN > low ? first - WIDEN : low, space = -1;
        for (int64_t j = first - 1; j >= from; j--)
            if (raw[j] == ' ') {
                space = j;
                break;
            }
        first = space >= 0 ? space + 1 : from;
    }
    if (last >= high) {
        last = high;
    } else {
        int64_t to = last + WIDEN < high ? last + WIDEN : high, space = -1;
        for (int64_t j = last; j < to; j++)
            if (raw[j] == ' ') {
                space = j;
                break;
            }
        last = space >= 0 ? space : to;
    }
    *out_first = first;
    *out_last = last;
}

static int add_window(Job *self, Py_ssize_t *cap, int64_t first, int64_t last, Py_ssize_t part) {
    if (self->nwin == *cap) {
        Py_ssize_t c = *cap ? *cap * 2 : 16;
        int64_t *a = PyMem_Realloc(self->wfirst, (size_t)c * sizeof(int64_t));
        if (!a) goto fail;
        self->wfirst = a;
        a = PyMem_Realloc(self->wlast, (size_t)c * sizeof(int64_t));
        if (!a) goto fail;
        self->wlast = a;
        a = PyMem_Realloc(self->woff, (size_t)c * sizeof(int64_t));
        if (!a) goto fail;
        self->woff = a;
        *cap = c;
    }
    widen(&self->key, first, last, self->lows[part], self->highs[part], &self->wfirst[self->nwin],
          &self->wlast[self->nwin]);
    self->nwin++;
    return 0;
fail:
    PyErr_NoMemory();
    return -1;
}

static Py_ssize_t bisect_right(const int64_t *a, Py_ssize_t n, int64_t x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (x < a[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int make_windows(Job *self, int64_t *spots, Py_ssize_t nspots) {
    qsort(spots, (size_t)nspots, sizeof(int64_t), cmp_int64);
    int64_t margin = self->finder->margin;
    Py_ssize_t cap = 0;
    if (self->nparts == 1) {
        Py_ssize_t a = 0;
        for (Py_ssize_t i = 1; i <= nspots; i++) {
            if (i == nspots || spots[i] - spots[i - 1] > 2 * margin) {
                if (add_window(self, &cap, spots[a] - margin, spots[i - 1] + margin, 0) < 0)
                    return -1;
                a = i;
            }
        }
        return 0;
    }
    int64_t first = 0, last = 0;
    Py_ssize_t part = -1;
    for (Py_ssize_t i = 0; i < nspots; i++) {
        int64_t spot = spots[i];
        Py_ssize_t number = bisect_right(self->lows, self->nparts, spot) - 1;
        if (number < 0) number = 0;
        if (part >= 0 && part == number && spot - margin <= last) {
            last = spot + margin;
            continue;
        }
        if (part >= 0 && add_window(self, &cap, first, last, part) < 0) return -1;
        first = spot - margin;
        last = spot + margin;
        part = number;
    }
    if (part >= 0 && add_window(self, &cap, first, last, part) < 0) return -1;
    return 0;
}

/* The scan evicted the literals' records from the caches: ask for those of all its matches at
 * once, a level at a time (each group's first pattern, then the patterns' bytes and term ids),
 * so that the misses overlap instead of coming one after another in the checks. */
static void prefetch_groups(const Finder *f, const int64_t *groups, Py_ssize_t n) {
    for (Py_ssize_t m = 0; m < n; m++) /* (a group without patterns has none to fetch) */
        if (groups[m] >= 0 && groups[m] < f->ngroups &&
            f->group_at[groups[m]] < f->group_at[groups[m] + 1])
            PREFETCH(&f->patterns[f->group_at[groups[m]]]);
    for (Py_ssize_t m = 0; m < n; m++) {
        if (groups[m] < 0 || groups[m] >= f->ngroups) continue;
        for (int32_t g = f->group_at[groups[m]]; g < f->group_at[groups[m] + 1]; g++) {
            PREFETCH(f->bytes + f->patterns[g].bytes_at);
            PREFETCH(f->term_ids + f->patterns[g].ids_at);
        }
    }
}

/* Job.windows(): record the key matches on word boundaries, place the windows around the spots
 * and build their full normalisation; True when there is something for a second scan. */
static PyObject *job_windows(Job *self, PyObject *unused) {
    if (self->phase == 2) {
        PyErr_SetString(PyExc_RuntimeError, "windows() was called already");
        return NULL;
    }
    Finder *f = self->finder;
    const Key *k = &self->key;
    Py_ssize_t size = k->n;
    const uint8_t *key = k->buf + 1;
    Vec spots = {0};
    if (find_spots(k->buf, k->n + 1, &spots) < 0) goto fail;
    prefetch_groups(f, self->ids.a, self->ids.n);
    for (Py_ssize_t m = 0; m < self->ids.n; m++) {
        int64_t group = self->ids.a[m], scan_end = self->ends.a[m];
        if (group >= f->ngroups || scan_end < 1 || scan_end > k->jn)
            continue; /* not a literal of this matcher, or not from this key */
        /* the match ends on the first byte of a run of one byte: a key of the group may end on
         * any byte of that run */
        Py_ssize_t last = joined_to_key(k, scan_end - 1);
        for (uint8_t byte = key[last]; last < size && key[last] == byte; last++) {
            int64_t end = last + 1;
            for (int32_t g = f->group_at[group]; g < f->group_at[group + 1]; g++) {
                const Pattern *p = &f->patterns[g];
                if (!p->nfast) continue; /* a full key only */
                int64_t start = end - p->length;
                if (start < 0 ||
                    memcmp(key + start, f->bytes + p->bytes_at, (size_t)p->length) != 0)
                    continue; /* the key has these letters, spaced or repeated otherwise */
                if (start > 0 && is_word(key[start - 1]) && continues_word(k, start - 1, -1))
                    continue;
                if (end < size && is_word(key[end]) && continues_word(k, end, 1)) continue;
                if (add_found(self, f->term_ids + p->ids_at, p->nfast, key_original(k, start),
                              key_original(k, end)) < 0)
                    goto fail;
            }
        }
    }
    self->phase = 2;
    if (spots.n == 0) {
        vec_free(&spots);
        Py_RETURN_FALSE;
    }
    if (make_windows(self, spots.a, spots.n) < 0) goto fail;
    vec_free(&spots);
    Py_ssize_t total = 0;
    for (Py_ssize_t w = 0; w < self->nwin; w++) {
        self->woff[w] = total;
        total += self->wlast[w] - self->wfirst[w] + SEPARATOR_LEN;
    }
    total = total > 0 ? total - SEPARATOR_LEN : 0;
    uint8_t *joined = PyMem_Malloc((size_t)total + 1);
    uint8_t *scratch = PyMem_Malloc(2 * (size_t)total + 2);
    self->full = PyMem_Malloc((size_t)total + 1);
    self->fpos = PyMem_Malloc(((size_t)total + 1) * sizeof(int32_t));
    if (!joined || !scratch || !self->full || !self->fpos) {
        PyMem_Free(joined);
        PyMem_Free(scratch);
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t w = 0; w < self->nwin; w++) {
        if (w > 0) {
            memcpy(joined + at, WINDOW_SEPARATOR, SEPARATOR_LEN);
            at += SEPARATOR_LEN;
        }
        int64_t len = self->wlast[w] - self->wfirst[w];
        if (len > 0) {
            memcpy(joined + at, k->raw + self->wfirst[w], (size_t)len);
            at += len;
        }
    }
    self->sfull = PyMem_Malloc((size_t)total + 1);
    self->sfpos = PyMem_Malloc(((size_t)total + 1) * sizeof(int32_t));
    if (!self->sfull || !self->sfpos) {
        PyMem_Free(joined);
        PyMem_Free(scratch);
        PyErr_NoMemory();
        return NULL;
    }
    self->nfull = full_key(joined, at, self->full, self->fpos, scratch, self->sfull, self->sfpos,
                           &self->nsfull);
    PyMem_Free(joined);
    PyMem_Free(scratch);
    return PyBool_FromLong(self->nsfull > 0);
fail:
    vec_free(&spots);
    return NULL;
}

static PyObject *make_hit(Finder *f, int64_t term, int64_t start, int64_t end) {
    PyTypeObject *type = (PyTypeObject *)f->hit_type;
    PyObject *hit = type->tp_alloc(type, 0);
    if (!hit) return NULL;
    PyObject *values[4];
    values[0] = PyTuple_GET_ITEM(f->terms, term);
    Py_INCREF(values[0]);
    values[1] = PyTuple_GET_ITEM(f->labels, term);
    Py_INCREF(values[1]);
    values[2] = PyLong_FromLongLong(start);
    values[3] = PyLong_FromLongLong(end);
    int rc = values[2] && values[3] ? 0 : -1;
    for (int i = 0; i < 4; i++) {
        if (rc == 0 && Py_TYPE(f->descr[i])->tp_descr_set(f->descr[i], hit, values[i]) < 0) rc = -1;
        Py_XDECREF(values[i]);
    }
    if (rc < 0) {
        Py_DECREF(hit);
        return NULL;
    }
    return hit;
}

/* Job.hits(): the window matches mapped back, then every hit by position, per part. */
static PyObject *job_hits(Job *self, PyObject *unused) {
    Finder *f = self->finder;
    const Key *k = &self->key;
    Py_ssize_t n = self->nfull;
    const uint8_t *data = self->full;
    if (self->phase != 2) {
        PyErr_SetString(PyExc_RuntimeError, "hits() comes after windows()");
        return NULL;
    }
    prefetch_groups(f, self->win_ids.a, self->win_ids.n);
    for (Py_ssize_t m = 0; m < self->win_ids.n; m++) {
        int64_t group = self->win_ids.a[m], scan_end = self->win_ends.a[m];
        if (group >= f->ngroups || scan_end < 1 || scan_end > self->nsfull)
            continue; /* not a literal of this matcher, or not from this buffer */
        Py_ssize_t last = self->sfpos[scan_end - 1]; /* as in windows() */
        for (uint8_t byte = data[last]; last < n && data[last] == byte; last++) {
            int64_t end = last + 1;
        for (int32_t g = f->group_at[group]; g < f->group_at[group + 1]; g++) {
            const Pattern *p = &f->patterns[g];
            if (!p->nfull) continue; /* a fast key only */
            int64_t start = end - p->length;
            if (start < 0 || memcmp(data + start, f->bytes + p->bytes_at, (size_t)p->length) != 0)
                continue; /* these letters, spaced otherwise */
            if ((start > 0 && is_word(data[start - 1])) || (end < n && is_word(data[end])))
                continue;
            int64_t from = self->fpos[start];
            Py_ssize_t part = bisect_right(self->woff, self->nwin, from) - 1;
            if (part < 0) part = 0;
            int64_t first = self->wfirst[part], last = self->wlast[part], offset = self->woff[part];
            int64_t wsize = last - first, stop = wsize;
            if (end < n) {
                stop = self->fpos[end] - offset;
                if (stop > wsize) stop = wsize;
            }
            if (add_found(self, f->term_ids + p->ids_at + p->nfast, p->nfull,
                          key_original(k, first + from - offset), key_original(k, first + stop)) < 0)
                return NULL;
        }
        }
    }
    for (Py_ssize_t i = 0; i < self->nfound; i++) { /* the terms' str objects, evicted too */
        PREFETCH(PyTuple_GET_ITEM(f->terms, self->found[i].term));
        PREFETCH(PyTuple_GET_ITEM(f->labels, self->found[i].term));
    }
    if (self->nfound > 1) qsort(self->found, (size_t)self->nfound, sizeof(Found), cmp_found);
    PyObject *result = PyList_New(self->nparts);
    if (!result) return NULL;
    for (Py_ssize_t p = 0; p < self->nparts; p++) {
        PyObject *list = PyList_New(0);
        if (!list) goto fail;
        PyList_SET_ITEM(result, p, list);
    }
    for (Py_ssize_t i = 0; i < self->nfound; i++) {
        Found *x = &self->found[i];
        if (i > 0 && cmp_found(x, &self->found[i - 1]) == 0) continue;
        Py_ssize_t part = 0;
        int64_t base = 0;
        if (self->nparts > 1) {
            part = bisect_right(self->starts, self->nparts, x->start) - 1;
            if (part < 0) part = 0;
            base = self->starts[part];
        }
        PyObject *hit = make_hit(f, x->term, x->start - base, x->end - base);
        if (!hit) goto fail;
        int rc = PyList_Append(PyList_GET_ITEM(result, part), hit);
        Py_DECREF(hit);
        if (rc < 0) goto fail;
    }
    return result;
fail:
    Py_DECREF(result);
    return NULL;
}

static PyMethodDef job_methods[] = {
    {"windows", (PyCFunction)job_windows, METH_NOARGS,
     "Record the key matches, build the windows' full key; True when it needs a scan."},
    {"hits", (PyCFunction)job_hits, METH_NOARGS, "The hits of each part, by position."},
    {NULL, NULL, 0, NULL},
};

static PyObject *job_get_key(Job *self, void *unused) {
    return PyBytes_FromStringAndSize((const char *)self->key.raw, self->key.n);
}

static PyObject *job_get_mapped(Job *self, void *unused) {
    return PyBool_FromLong(self->key.cmap != NULL);
}

static PyGetSetDef job_getset[] = {
    {"raw", (getter)job_get_key, NULL, "The raw fast key (folded bytes, before the fast table).",
     NULL},
    {"mapped", (getter)job_get_mapped, NULL, "Whether key offsets differ from the text's.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject JobType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orderwatch.domain._textkey.Job",
    .tp_basicsize = sizeof(Job),
    .tp_dealloc = (destructor)job_dealloc,
    .tp_call = (ternaryfunc)job_call,
    .tp_as_buffer = &job_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One find(): the fast key as a buffer to scan, and the scan's match callback.",
    .tp_methods = job_methods,
    .tp_getset = job_getset,
};

static PyMethodDef finder_methods[] = {
    {"start", (PyCFunction)finder_start, METH_VARARGS,
     "start(text, starts=None, ends=None) -> Job: the fast key of text, ready to scan."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FinderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orderwatch.domain._textkey.Finder",
    .tp_basicsize = sizeof(Finder),
    .tp_dealloc = (destructor)finder_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A matcher's compiled keys: lengths and term ids per pattern, terms and labels.",
    .tp_methods = finder_methods,
    .tp_new = finder_new,
};

/* full_key(data) -> (normalised bytes, positions): textmatch_full.full_key(data, MATCHING), for
 * the differential tests. */
static PyObject *py_full_key(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!configured()) return NULL;
    if (!PyArg_ParseTuple(args, "y*:full_key", &view)) return NULL;
    Py_ssize_t n = view.len;
    uint8_t *d = PyMem_Malloc((size_t)n + 1), *scratch = PyMem_Malloc(2 * (size_t)n + 2);
    int32_t *pos = PyMem_Malloc(((size_t)n + 1) * sizeof(int32_t));
    uint8_t *sd = PyMem_Malloc((size_t)n + 1);
    int32_t *spos = PyMem_Malloc(((size_t)n + 1) * sizeof(int32_t));
    PyObject *result = NULL;
    Py_ssize_t sn;
    if (!d || !scratch || !pos || !sd || !spos) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t m = full_key(view.buf, n, d, pos, scratch, sd, spos, &sn);
    PyObject *positions = int32_list(pos, m);
    if (!positions) goto done;
    result = Py_BuildValue("(y#N)", (const char *)d, m, positions);
done:
    PyMem_Free(d);
    PyMem_Free(scratch);
    PyMem_Free(pos);
    PyMem_Free(sd);
    PyMem_Free(spos);
    PyBuffer_Release(&view);
    return result;
}

/* fast_key(text) -> (raw key, buffer, map or None): the fast key, for the differential tests. */
static PyObject *py_fast_key(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!configured()) return NULL;
    if (!PyArg_ParseTuple(args, "U:fast_key", &text)) return NULL;
    Key k = {0};
    if (build_key(text, &k) < 0) {
        key_free(&k);
        return NULL;
    }
    PyObject *map = k.cmap ? int32_list(k.cmap, k.n + 1) : Py_NewRef(Py_None);
    if (!map) {
        key_free(&k);
        return NULL;
    }
    PyObject *result = Py_BuildValue("(y#y#N)", (const char *)k.raw, k.n, (const char *)k.buf,
                                     k.n + 1, map);
    key_free(&k);
    return result;
}

/* Python ints of f(k, i) for i in range(n), as a list; NULL with an exception set on failure. */
static PyObject *offsets_list(const Key *k, Py_ssize_t n, Py_ssize_t (*f)(const Key *, Py_ssize_t)) {
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyLong_FromSsize_t(f(k, i));
        if (!v) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

/* joined_key(text) -> (joined, offsets): the fast key without its spaces and without the bytes
 * that repeat the one before (what the scanner scans), and the key byte of each of its bytes.
 * For the differential tests. */
static PyObject *py_joined_key(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!configured()) return NULL;
    if (!PyArg_ParseTuple(args, "U:joined_key", &text)) return NULL;
    Key k = {0};
    PyObject *offsets = NULL, *result = NULL;
    if (build_key(text, &k) < 0) goto done;
    if (!(offsets = offsets_list(&k, k.jn, joined_to_key))) goto done;
    result = Py_BuildValue("(y#O)", (const char *)k.joined, k.jn, offsets);
done:
    Py_XDECREF(offsets);
    key_free(&k);
    return result;
}

static PyMethodDef module_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(fast, full, leet, flags, learn, simd=True): the folding tables (256 bytes each), "
     "the function folding a code point seen for the first time, and whether to use AVX2 when "
     "the CPU has it."},
    {"full_key", py_full_key, METH_VARARGS,
     "full_key(data) -> (bytes, positions): the full normalisation of folded bytes."},
    {"fast_key", py_fast_key, METH_VARARGS,
     "fast_key(text) -> (raw, buffer, map or None): the fast key of a text."},
    {"joined_key", py_joined_key, METH_VARARGS,
     "joined_key(text) -> (joined, offsets): the fast key without its spaces or repeated bytes, "
     "as scanned, and the key byte of each of its bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_textkey",
    "Keyword matching's per-character work in C: fast keys, windows, full keys, hits.", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__textkey(void) {
    init_squeeze();
    if (PyType_Ready(&FinderType) < 0 || PyType_Ready(&JobType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&FinderType);
    if (PyModule_AddObject(m, "Finder", (PyObject *)&FinderType) < 0) {
        Py_DECREF(&FinderType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&JobType);
    if (PyModule_AddObject(m, "Job", (PyObject *)&JobType) < 0) {
        Py_DECREF(&JobType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
