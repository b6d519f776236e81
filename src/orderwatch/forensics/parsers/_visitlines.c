/* A browser history's visits as report.json lines, in C (orderwatch.forensics.parsers._visitlines).
 *
 * The line loop takes rows (id, stored time, url, title, further integer columns) from a row
 * source and writes each visit's line, and the line of the search term its URL carries, from the
 * kind's line template: the same sha1 ids as StableIds, the time as format_time(to_datetime())
 * writes it, every text quoted as json.encoder.encode_basestring quotes it (non-ASCII kept). The
 * pure-Python loop in visit_lines.py makes the same bytes (tests compare them).
 *
 * Two row sources: visit_lines() reads a list of tuples (what sqlite3's fetchall gives);
 * query_visit_lines() steps the statement on a read-only SQLite connection of its own, with no
 * Python object per row (built where setup.py finds sqlite3.h and defines VISITLINES_SQLITE).
 * visit_figures() gives the deletion indicators' figures (first and last visit id, oldest and
 * newest time, the gaps in the ids) the same way.
 *
 * A URL's search term is read by _searchterms.h's matcher (the engine table built once a call):
 * a hit is written from its term and engine with no Python object, a miss is no search. Only
 * the URLs it cannot judge exactly (non-ASCII, escapes that are not UTF-8, tabs ...) go to the
 * Python extract_search, and of those only hosts that may be an engine's (a label of the host
 * is a first label of an engine's domain; anything this prefilter cannot judge exactly too).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <unistd.h> /* pwrite: lines written to a spool file as they are made */

#if defined(VISITLINES_SQLITE) && defined(__has_include)
#if __has_include(<sqlite3.h>)
#include <sqlite3.h>
#define VISITLINES_HAVE_SQLITE 1
#endif
#endif

#include "../_sha_blocks.h" /* SHA-1's block functions, shared with forensics/_shalanes.c */
#include "_searchterms.h"      /* search_engines.extract_search in C, shared with _searchterms.c */

/* ------------------------------------------------------------------ SHA-1 (FIPS 180-4) */

typedef struct {
    uint32_t h[5];
    uint64_t length; /* bytes */
    unsigned char block[64];
    size_t used;
} sha1_ctx;

/* One block: the SHA extensions' code where the CPU has it and it agrees with the portable code
 * on a test block (see choose_sha1), the portable code otherwise. */
static void sha1_compress_portable(uint32_t h[5], const unsigned char *p) {
    sha1_blocks_portable(h, p, 1);
}

#ifdef SHA_BLOCKS_X86
static void sha1_compress_ni(uint32_t h[5], const unsigned char *p) { sha1_blocks_ni(h, p, 1); }
#endif

static void (*sha1_compress)(uint32_t h[5], const unsigned char *p) = sha1_compress_portable;

static void sha1_init(sha1_ctx *ctx) {
    static const uint32_t start[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    memcpy(ctx->h, start, sizeof start);
    ctx->length = 0;
    ctx->used = 0;
}

static void sha1_update(sha1_ctx *ctx, const unsigned char *data, size_t size) {
    ctx->length += size;
    while (size > 0) {
        size_t take = 64 - ctx->used;
        if (take > size) take = size;
        memcpy(ctx->block + ctx->used, data, take);
        ctx->used += take;
        data += take;
        size -= take;
        if (ctx->used == 64) {
            sha1_compress(ctx->h, ctx->block);
            ctx->used = 0;
        }
    }
}

/* The first 20 hex digits of the digest (the observation id). */
static void sha1_hex20(sha1_ctx *ctx, char out[20]) {
    static const char hex[] = "0123456789abcdef";
    uint64_t bits = ctx->length * 8;
    ctx->block[ctx->used++] = 0x80;
    if (ctx->used > 56) {
        memset(ctx->block + ctx->used, 0, 64 - ctx->used);
        sha1_compress(ctx->h, ctx->block);
        ctx->used = 0;
    }
    memset(ctx->block + ctx->used, 0, 56 - ctx->used);
    for (int i = 0; i < 8; i++) ctx->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_compress(ctx->h, ctx->block);
    for (int i = 0; i < 10; i++) {
        uint32_t word = ctx->h[i / 4];
        unsigned char byte = (unsigned char)(word >> (24 - 8 * (i % 4)));
        out[2 * i] = hex[byte >> 4];
        out[2 * i + 1] = hex[byte & 15];
    }
}

/* ------------------------------------------------------------------ output buffer */

/* Bytes written in place; `owner` set: they are a bytes object's (the result, handed on without
 * a copy), else PyMem memory. */
typedef struct {
    char *data;
    size_t size, capacity;
    PyObject *owner;
} buffer;

static int buf_reserve(buffer *b, size_t more) {
    if (b->size + more <= b->capacity) return 0;
    size_t capacity = b->capacity ? b->capacity : 65536;
    while (capacity < b->size + more) capacity *= 2;
    if (b->owner != NULL) {
        if (capacity > (size_t)PY_SSIZE_T_MAX || _PyBytes_Resize(&b->owner, (Py_ssize_t)capacity) < 0) {
            if (!PyErr_Occurred()) PyErr_NoMemory();
            Py_CLEAR(b->owner);
            b->data = NULL;
            b->size = b->capacity = 0;
            return -1;
        }
        b->data = PyBytes_AS_STRING(b->owner);
        b->capacity = capacity;
        return 0;
    }
    char *grown = PyMem_Realloc(b->data, capacity);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = grown;
    b->capacity = capacity;
    return 0;
}

static int buf_put(buffer *b, const char *text, size_t size) {
    if (buf_reserve(b, size) < 0) return -1;
    memcpy(b->data + b->size, text, size);
    b->size += size;
    return 0;
}

/* "00" "01" ... "99": two digits a step (a visit's time as stored has 17). */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of `value` at the end of `text` (at least `width` digits); their count. */
static int decimal(long long value, char *end, int width) {
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    int size = 0;
    while (magnitude >= 100) {
        const char *pair = digit_pairs + 2 * (magnitude % 100);
        magnitude /= 100;
        *--end = pair[1];
        *--end = pair[0];
        size += 2;
    }
    do {
        *--end = (char)('0' + magnitude % 10);
        magnitude /= 10;
        size++;
    } while (magnitude || size < width);
    if (value < 0) {
        *--end = '-';
        size++;
    }
    return size;
}

static int buf_int(buffer *b, long long value) {
    char text[24];
    int size = decimal(value, text + sizeof text, 1);
    return buf_put(b, text + sizeof text - size, (size_t)size);
}

/* Any byte of the 8 in `w` that JSON escapes: below 0x20, '"' or '\\' (the has-less-than and
 * has-zero-byte bit tricks; exact as a yes or no). */
static int json_escapes8(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
            ((backslash - ones) & ~backslash)) & highs ? 1 : 0;
}

/* A JSON string as json.encoder.encode_basestring writes it (UTF-8, non-ASCII kept). Runs of 8
 * bytes that need no escape are copied as they are (most URLs and titles hold none). */
static int buf_json(buffer *b, const char *text, size_t size) {
    static const char hex[] = "0123456789abcdef";
    if (buf_reserve(b, size * 6 + 2) < 0) return -1;
    char *out = b->data + b->size;
    *out++ = '"';
    size_t i = 0;
    while (i < size) {
        if (i + 8 <= size) {
            uint64_t w;
            memcpy(&w, text + i, 8);
            if (!json_escapes8(w)) {
                memcpy(out, &w, 8);
                out += 8;
                i += 8;
                continue;
            }
        }
        unsigned char c = (unsigned char)text[i++];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
            case '"': *out++ = '"'; break;
            case '\\': *out++ = '\\'; break;
            case '\n': *out++ = 'n'; break;
            case '\r': *out++ = 'r'; break;
            case '\t': *out++ = 't'; break;
            case '\b': *out++ = 'b'; break;
            case '\f': *out++ = 'f'; break;
            default:
                *out++ = 'u';
                *out++ = '0';
                *out++ = '0';
                *out++ = hex[c >> 4];
                *out++ = hex[c & 15];
        }
    }
    *out++ = '"';
    b->size = (size_t)(out - b->data);
    return 0;
}

/* ------------------------------------------------------------------ times */

typedef struct {
    long long per_second, epoch, earliest, latest;
} time_format;

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil(long long days, long long *year, int *month, int *day) {
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    long long doe = days - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* The last day a time fell on and its date text: visits come in time order mostly, so most
 * times fall on the day before theirs and their date is copied, not worked out again. */
typedef struct {
    long long days;
    char date[10];
    int known;
} day_cache;

/* The time text (no quotes) into `out`; 0 when the value is out of range (JSON null). */
static int time_text(const time_format *format, long long stored, char out[40], day_cache *last) {
    if (stored < format->earliest || stored >= format->latest) return 0;
    long long seconds = (stored - format->epoch) / format->per_second;
    long long fraction = stored % format->per_second;
    long long days = seconds / 86400, rest = seconds % 86400;
    char *p = out;
    if (!last->known || last->days != days) {
        long long year;
        int month, day;
        civil(days, &year, &month, &day);
        if (year < 0 || year > 9999) return 0; /* not reached: the range ends in 2100 */
        decimal(year, p + 4, 4), p += 4;
        *p++ = '-';
        decimal(month, p + 2, 2), p += 2;
        *p++ = '-';
        decimal(day, p + 2, 2), p += 2;
        memcpy(last->date, out, 10);
        last->days = days;
        last->known = 1;
    } else {
        memcpy(p, last->date, 10);
        p += 10;
    }
    *p++ = 'T';
    decimal(rest / 3600, p + 2, 2), p += 2;
    *p++ = ':';
    decimal(rest / 60 % 60, p + 2, 2), p += 2;
    *p++ = ':';
    decimal(rest % 60, p + 2, 2), p += 2;
    if (fraction) {
        *p++ = '.';
        decimal(fraction * (1000000 / format->per_second), p + 6, 6), p += 6;
    }
    int size = (int)(p - out);
    out[size++] = 'Z';
    return size;
}

/* ------------------------------------------------------------------ search prefilter */

/* 1: the URL may be a known engine's search (ask Python); 0: it is not. `labels` holds the
 * first labels of the engines' domains (lower case). Mirrors search_engines._HOST and the host
 * index conservatively: whatever it cannot judge exactly is asked of Python. */
/* The labels set's members, read once per call (the tuple keeps them alive). */
typedef struct {
    PyObject *held;
    Py_ssize_t count;
    const char **texts;
    Py_ssize_t *sizes;
} label_list;

static int labels_from(PyObject *set, label_list *out) {
    out->held = PySequence_Tuple(set);
    if (out->held == NULL) return -1;
    out->count = PyTuple_GET_SIZE(out->held);
    out->texts = PyMem_Calloc((size_t)(out->count ? out->count : 1), sizeof(char *));
    out->sizes = PyMem_Calloc((size_t)(out->count ? out->count : 1), sizeof(Py_ssize_t));
    if (out->texts == NULL || out->sizes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < out->count; i++) {
        PyObject *label = PyTuple_GET_ITEM(out->held, i);
        if (!PyBytes_Check(label)) {
            PyErr_SetString(PyExc_TypeError, "labels must be bytes");
            return -1;
        }
        out->texts[i] = PyBytes_AS_STRING(label);
        out->sizes[i] = PyBytes_GET_SIZE(label);
    }
    return 0;
}

static void labels_free(label_list *list) {
    Py_CLEAR(list->held);
    PyMem_Free(list->texts);
    PyMem_Free(list->sizes);
}

static int listed(const label_list *labels, const char *text, Py_ssize_t size) {
    for (Py_ssize_t i = 0; i < labels->count; i++)
        if (labels->sizes[i] == size && memcmp(labels->texts[i], text, (size_t)size) == 0)
            return 1;
    return 0;
}

static int may_search(const char *url, Py_ssize_t size, Py_ssize_t length,
                      const label_list *labels) {
    if (length > 16384) return 0;
    if (size == 0) return 0;
    unsigned char first = (unsigned char)url[0];
    if (first != 'h' && first != 'H') return first <= 0x20 || first >= 0x80;
    /* "http" "s"? "://", ASCII only (re.IGNORECASE would take the long s and Kelvin sign) */
    const char *p = url, *end = url + size;
    for (const char *q = url; q < end && q < url + 10; q++)
        if ((unsigned char)*q >= 0x80) return 1;
    if (size < 7 || strncasecmp(p, "http", 4) != 0) return 0;
    p += 4;
    if (*p == 's' || *p == 'S') p++;
    if (end - p < 3 || memcmp(p, "://", 3) != 0) return 0;
    p += 3;
    const char *start = p, *host = p, *stop = p;
    while (stop < end && *stop != '/' && *stop != '?' && *stop != '#' && *stop != '@') stop++;
    if (stop < end && *stop == '@') {
        const char *after = stop + 1, *q = after;
        while (q < end && search_host_char((unsigned char)*q)) q++;
        host = q > after ? after : start;
    }
    const char *host_end = host;
    while (host_end < end && search_host_char((unsigned char)*host_end)) host_end++;
    if (host_end == host) return 0;
    char lower[256];
    const char *label = host;
    while (label < host_end) {
        const char *dot = label;
        while (dot < host_end && *dot != '.') dot++;
        Py_ssize_t n = dot - label;
        if (n > 0) {
            if (n >= (Py_ssize_t)sizeof lower) return 1;
            for (Py_ssize_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)label[i];
                if (c >= 0x80) return 1;
                lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            if (listed(labels, lower, n)) return 1;
        }
        label = dot + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ templates */

/* A line template: pieces[0] slot[0] pieces[1] ... slot[n-1] pieces[n]; slots are letters:
 * i id, t time, u url, T title, e engine, m term, r record, s stored time, o stored time as
 * provenance's original_time holds it (its decimal quoted, null for none). */
typedef struct {
    Py_ssize_t count;
    const char *slots;
    const char **pieces;
    Py_ssize_t *sizes;
} template;

/* A (bytes pieces, slot letters) tuple as a template: 0, or -1 with an exception set. */
static int template_from(PyObject *pair, template *out) {
    PyObject *pieces = NULL, *slots = NULL;
    if (PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2) {
        pieces = PyTuple_GET_ITEM(pair, 0);
        slots = PyTuple_GET_ITEM(pair, 1);
    }
    if (pieces == NULL || !PyTuple_Check(pieces) || !PyUnicode_Check(slots)) {
        PyErr_SetString(PyExc_TypeError, "a template is (tuple of bytes pieces, str of slots)");
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(slots);
    if (PyTuple_GET_SIZE(pieces) != n + 1) {
        PyErr_SetString(PyExc_ValueError, "a template needs one piece more than its slots");
        return -1;
    }
    out->slots = PyUnicode_AsUTF8(slots);
    if (out->slots == NULL) return -1;
    for (Py_ssize_t i = 0; i < n; i++)
        if (strchr("itTumerso", out->slots[i]) == NULL) {
            PyErr_Format(PyExc_ValueError, "unknown template slot %c", out->slots[i]);
            return -1;
        }
    out->count = n;
    out->pieces = PyMem_Calloc((size_t)(n + 1), sizeof(char *));
    out->sizes = PyMem_Calloc((size_t)(n + 1), sizeof(Py_ssize_t));
    if (out->pieces == NULL || out->sizes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i <= n; i++) {
        PyObject *piece = PyTuple_GET_ITEM(pieces, i);
        if (!PyBytes_Check(piece)) {
            PyErr_SetString(PyExc_TypeError, "template pieces must be bytes");
            return -1;
        }
        out->pieces[i] = PyBytes_AS_STRING(piece);
        out->sizes[i] = PyBytes_GET_SIZE(piece);
    }
    return 0;
}

static void template_free(template *t) {
    PyMem_Free(t->pieces);
    PyMem_Free(t->sizes);
}

typedef struct {
    const char *id;
    const char *time;
    int time_size; /* 0: null */
    const char *url, *title, *engine, *term, *record;
    Py_ssize_t url_size, title_size, engine_size, term_size, record_size;
    long long stored;
    int stored_none; /* the stored time is None (slot o: null) */
} values;

/* One slot's text: what the template's line holds there (JSON). It never holds a byte below
 * 0x20 (control characters are escaped), so compact records can separate slots with them. */
static int put_slot(buffer *b, char slot, const values *v) {
    switch (slot) {
        case 'i': return buf_put(b, v->id, 20);
        case 't':
            if (v->time_size == 0) return buf_put(b, "null", 4);
            if (buf_put(b, "\"", 1) < 0 || buf_put(b, v->time, (size_t)v->time_size) < 0) return -1;
            return buf_put(b, "\"", 1);
        case 'u': return buf_json(b, v->url, (size_t)v->url_size);
        case 'T':
            return v->title_size ? buf_json(b, v->title, (size_t)v->title_size)
                                 : buf_put(b, "null", 4);
        case 'e': return buf_json(b, v->engine, (size_t)v->engine_size);
        case 'm': return buf_json(b, v->term, (size_t)v->term_size);
        case 'r': return buf_json(b, v->record, (size_t)v->record_size);
        case 's': return buf_int(b, v->stored);
        case 'o':
            if (v->stored_none) return buf_put(b, "null", 4);
            if (buf_put(b, "\"", 1) < 0 || buf_int(b, v->stored) < 0) return -1;
            return buf_put(b, "\"", 1);
    }
    return 0;
}

/* What precedes each line in report.json (interface.LINE_SEPARATOR). */
static const char line_separator[] = ",\n    ";

/* The template's line with the row's values, after line_separator when `separated`. */
static int fill_line(buffer *b, const template *t, const values *v, int separated) {
    if (separated && buf_put(b, line_separator, sizeof line_separator - 1) < 0) return -1;
    for (Py_ssize_t i = 0; i <= t->count; i++) {
        if (buf_put(b, t->pieces[i], (size_t)t->sizes[i]) < 0) return -1;
        if (i == t->count) break;
        if (put_slot(b, t->slots[i], v) < 0) return -1;
    }
    return 0;
}

/* A compact record of the line (what a worker's spool file holds; expand_lines makes the line):
 * RECORD_MARK, the template's tag, then each slot's text, the slots parted by SLOT_MARK. The
 * template's pieces are not written: they are the same on every line of a block. */
#define RECORD_MARK '\x1e'
#define SLOT_MARK '\x1f'
static int fill_compact(buffer *b, const template *t, char tag, const values *v) {
    char start[2] = {RECORD_MARK, tag};
    if (buf_put(b, start, 2) < 0) return -1;
    for (Py_ssize_t i = 0; i < t->count; i++) {
        if (i > 0 && buf_put(b, (const char[]){SLOT_MARK}, 1) < 0) return -1;
        if (put_slot(b, t->slots[i], v) < 0) return -1;
    }
    return 0;
}


/* ------------------------------------------------------------------ row sources */

/* Where the rows come from: a list of tuples (visit_lines) or a statement SQLite steps
 * (query_visit_lines). The line loop asks the current row for its columns by index; a column
 * of another type than asked answers 0 (the row is unusual). */
typedef struct row_source row_source;
struct row_source {
    int (*next)(row_source *); /* 1: a row, 0: no more, -1: an exception is set */
    Py_ssize_t width;          /* the current row's columns */
    int (*integer)(row_source *, Py_ssize_t column, long long *out);
    /* a text or NULL (size 0, *none set); `length` its code points */
    int (*text)(row_source *, Py_ssize_t column, const char **text, Py_ssize_t *size, int *none);
    Py_ssize_t (*length)(row_source *, Py_ssize_t column);
    PyObject *(*object)(row_source *, Py_ssize_t column); /* a text column's str (new ref) */
};

/* --- a list of tuples (what sqlite3's fetchall gives) */

typedef struct {
    row_source base;
    PyObject *rows, *row;
    Py_ssize_t index;
} list_source;

static int list_next(row_source *source) {
    list_source *s = (list_source *)source;
    if (s->index >= PyList_GET_SIZE(s->rows)) return 0;
    s->row = PyList_GET_ITEM(s->rows, s->index++);
    if (!PyTuple_Check(s->row) || PyTuple_GET_SIZE(s->row) < 4) {
        PyErr_SetString(PyExc_TypeError, "rows are tuples (id, stored, url, title, ...)");
        return -1;
    }
    source->width = PyTuple_GET_SIZE(s->row);
    return 1;
}

/* An int SQLite can hold: 1 and its value, else 0. */
static int int64_of(PyObject *value, long long *out) {
    if (!PyLong_CheckExact(value)) return 0;
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || (*out == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

static int list_integer(row_source *source, Py_ssize_t column, long long *out) {
    return int64_of(PyTuple_GET_ITEM(((list_source *)source)->row, column), out);
}

/* The UTF-8 of a str or None; 0 when it is neither or holds lone surrogates. */
static int list_text(row_source *source, Py_ssize_t column, const char **text, Py_ssize_t *size,
                     int *none) {
    PyObject *value = PyTuple_GET_ITEM(((list_source *)source)->row, column);
    *none = value == Py_None;
    if (*none) {
        *text = "";
        *size = 0;
        return 1;
    }
    if (!PyUnicode_CheckExact(value)) return 0;
    *text = PyUnicode_AsUTF8AndSize(value, size);
    if (*text == NULL) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

static Py_ssize_t list_length(row_source *source, Py_ssize_t column) {
    return PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(((list_source *)source)->row, column));
}

static PyObject *list_object(row_source *source, Py_ssize_t column) {
    return Py_NewRef(PyTuple_GET_ITEM(((list_source *)source)->row, column));
}

/* ------------------------------------------------------------------ the engine table */

/* _searchterms.h's table of an engines tuple and the engines' names as str (for hits returned
 * as objects), owned by a capsule: a call holds a reference while it reads the table. */
typedef struct {
    search_table table;
    PyObject *names;
} engine_table;

static void engine_table_free(PyObject *capsule) {
    engine_table *t = PyCapsule_GetPointer(capsule, "engine_table");
    if (t == NULL) return;
    search_table_free(&t->table);
    Py_XDECREF(t->names);
    PyMem_Free(t);
}

/* The table of the engines tuple a call passed last (search_engines.SEARCH_ENGINES: built once
 * a process, not once a call; a visit kept one by one is a call of its own). */
static PyObject *cached_engines, *cached_table;

/* The table of `engines` (a capsule, new reference), or NULL with an exception. */
static PyObject *engine_table_of(PyObject *engines, const engine_table **out) {
    if (engines != cached_engines || cached_table == NULL) {
        engine_table *t = PyMem_Calloc(1, sizeof *t);
        if (t == NULL) return PyErr_NoMemory();
        PyObject *capsule = PyCapsule_New(t, "engine_table", engine_table_free);
        if (capsule == NULL) {
            PyMem_Free(t);
            return NULL;
        }
        if (search_table_build(engines, &t->table) < 0 ||
            (t->names = PyTuple_New(t->table.count)) == NULL) {
            Py_DECREF(capsule);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < t->table.count; i++) {
            search_text name = t->table.engines[i].name;
            PyObject *text = PyUnicode_DecodeUTF8(name.text, name.size, NULL);
            if (text == NULL) {
                Py_DECREF(capsule);
                return NULL;
            }
            PyTuple_SET_ITEM(t->names, i, text);
        }
        Py_XSETREF(cached_engines, Py_NewRef(engines));
        Py_XSETREF(cached_table, capsule);
    }
    *out = PyCapsule_GetPointer(cached_table, "engine_table");
    return Py_NewRef(cached_table);
}

/* ------------------------------------------------------------------ the line loop */

/* What every call shares: the templates, record pattern, time format, labels, the engine table
 * and extract. */
typedef struct {
    template visit, search;
    int has_search;
    PyObject *record; /* tuple of bytes literals and column indexes */
    time_format format;
    label_list labels;
    const engine_table *engines;
    PyObject *engines_held; /* the capsule owning `engines` */
    char *term;             /* SEARCH_LONGEST_URL bytes: a hit's term */
    PyObject *extract;
    sha1_ctx head;
    size_t per_line; /* a typical line's size, for the first guess of the output's */
    int compact;     /* lines written as compact records (a spool file's), not as lines */
} job;

#define VISIT_TAG '1' /* the compact records' tags: expand_lines' templates[0], [1] */
#define SEARCH_TAG '2'

/* The row's line (or compact record) from `t`, whose tag is `tag`. */
static int fill(buffer *b, const job *j, const template *t, char tag, const values *v) {
    return j->compact ? fill_compact(b, t, tag, v) : fill_line(b, t, v, 1);
}

static void job_free(job *j) {
    labels_free(&j->labels);
    Py_CLEAR(j->engines_held);
    PyMem_Free(j->term);
    template_free(&j->visit);
    template_free(&j->search);
}

/* (units a second, epoch, earliest, latest) checked: 0, or -1 with an exception. */
static int time_format_from(PyObject *format_obj, time_format *format) {
    if (!PyArg_ParseTuple(format_obj, "LLLL", &format->per_second, &format->epoch,
                          &format->earliest, &format->latest))
        return -1;
    if (format->per_second <= 0 || format->per_second > 1000000 ||
        1000000 % format->per_second != 0 || format->earliest <= format->epoch) {
        PyErr_SetString(PyExc_ValueError, "time_format: (units a second dividing 1000000, "
                                          "epoch, earliest > epoch, latest)");
        return -1;
    }
    return 0;
}

/* Checks and reads the arguments after the rows (see visit_lines_doc); -1 with an exception. */
static int job_from(job *j, PyObject *head_obj, PyObject *visit_t, PyObject *search_t,
                    PyObject *record, PyObject *format_obj, PyObject *labels, PyObject *engines,
                    PyObject *extract) {
    if (!PyCallable_Check(extract)) {
        PyErr_SetString(PyExc_TypeError, "extract must be callable");
        return -1;
    }
    if (time_format_from(format_obj, &j->format) < 0) return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(record); i++) {
        PyObject *part = PyTuple_GET_ITEM(record, i);
        if (!PyBytes_Check(part) && !PyLong_CheckExact(part)) {
            PyErr_SetString(PyExc_TypeError, "record parts are bytes or column indexes");
            return -1;
        }
        if (PyLong_CheckExact(part)) {
            Py_ssize_t column = PyLong_AsSsize_t(part);
            if (column < 0) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "record column indexes are >= 0");
                return -1;
            }
        }
    }
    j->record = record;
    j->extract = extract;
    j->has_search = search_t != Py_None;
    if (template_from(visit_t, &j->visit) < 0) return -1;
    if (j->has_search && template_from(search_t, &j->search) < 0) return -1;
    if (labels_from(labels, &j->labels) < 0) return -1;
    if ((j->engines_held = engine_table_of(engines, &j->engines)) == NULL) return -1;
    if ((j->term = PyMem_Malloc(SEARCH_LONGEST_URL)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    j->per_line = 192;
    for (Py_ssize_t i = 0; i <= j->visit.count; i++) j->per_line += (size_t)j->visit.sizes[i];
    sha1_init(&j->head);
    sha1_update(&j->head, (const unsigned char *)PyBytes_AS_STRING(head_obj),
                (size_t)PyBytes_GET_SIZE(head_obj));
    return 0;
}

/* The row's record text (literals and integer columns) into `rec`: 1 written, 0 a column is no
 * integer (an unusual row), -1 an exception. */
static int record_text(const job *j, row_source *src, buffer *rec) {
    rec->size = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(j->record); i++) {
        PyObject *part = PyTuple_GET_ITEM(j->record, i);
        if (PyBytes_Check(part)) {
            if (buf_put(rec, PyBytes_AS_STRING(part), (size_t)PyBytes_GET_SIZE(part)) < 0)
                return -1;
            continue;
        }
        Py_ssize_t column = PyLong_AsSsize_t(part);
        long long number;
        if (column >= src->width) {
            PyErr_SetString(PyExc_ValueError, "a record column index is past the row");
            return -1;
        }
        if (!src->integer(src, column, &number)) return 0;
        if (buf_int(rec, number) < 0) return -1;
    }
    return 1;
}

/* The search line of the row (engine and term as UTF-8 in v) with the id "search" + ident. */
static int search_line(const job *j, values *v, const char *number, int digits, buffer *out) {
    char id[20];
    sha1_ctx ctx = j->head;
    sha1_update(&ctx, (const unsigned char *)"search\x1f", 7);
    sha1_update(&ctx, (const unsigned char *)number, (size_t)digits);
    sha1_hex20(&ctx, id);
    v->id = id;
    int rc = fill(out, j, &j->search, SEARCH_TAG, v);
    v->id = NULL; /* `id` ends here */
    return rc;
}

/* (id, stored, url, record, engine, term) appended to `hits` (searches kept as objects). */
static int search_hit(values *v, long long ident, PyObject *url_obj, PyObject *engine,
                      PyObject *term, PyObject *hits) {
    PyObject *item = Py_BuildValue("(LLOs#OO)", ident, v->stored, url_obj, v->record,
                                   v->record_size, engine, term);
    int rc = item == NULL || PyList_Append(hits, item) < 0 ? -1 : 0;
    Py_XDECREF(item);
    return rc;
}

/* The search term of the row's URL (column 2): 1 its line written (a search template), 2 its
 * hit appended to `hits` (none), 0 no search, -1 an exception. The matcher judges most URLs;
 * those it is unsure of go to `extract` if their host may be an engine's. */
static int search_of(const job *j, row_source *src, values *v, long long ident,
                     const char *number, int digits, buffer *out, PyObject *hits) {
    Py_ssize_t term_size = 0, e = 0;
    int match = search_match(&j->engines->table, v->url, v->url_size, j->term, &term_size, &e);
    if (match == SEARCH_MISS) return 0;
    if (match == SEARCH_HIT) {
        if (j->has_search) {
            v->engine = j->engines->table.engines[e].name.text;
            v->engine_size = j->engines->table.engines[e].name.size;
            v->term = j->term;
            v->term_size = term_size;
            return search_line(j, v, number, digits, out) < 0 ? -1 : 1;
        }
        PyObject *url_obj = src->object(src, 2);
        PyObject *term = url_obj ? PyUnicode_DecodeUTF8(j->term, term_size, NULL) : NULL;
        int rc = term == NULL ? -1
                              : search_hit(v, ident, url_obj, PyTuple_GET_ITEM(j->engines->names, e), term,
                                           hits);
        Py_XDECREF(url_obj);
        Py_XDECREF(term);
        return rc < 0 ? -1 : 2;
    }
    int maybe = may_search(v->url, v->url_size, src->length(src, 2), &j->labels);
    if (maybe <= 0) return maybe;
    PyObject *url_obj = src->object(src, 2);
    if (url_obj == NULL) return -1;
    PyObject *hit = PyObject_CallOneArg(j->extract, url_obj);
    if (hit == NULL || hit == Py_None) {
        Py_DECREF(url_obj);
        if (hit == NULL) return -1;
        Py_DECREF(hit);
        return 0;
    }
    PyObject *engine = PySequence_GetItem(hit, 0), *term = PySequence_GetItem(hit, 1);
    Py_DECREF(hit);
    int rc = 1;
    if (engine == NULL || term == NULL || !PyUnicode_Check(engine) || !PyUnicode_Check(term)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "extract gives None or (engine, term) texts");
        rc = -1;
    } else if (j->has_search) {
        v->engine = PyUnicode_AsUTF8AndSize(engine, &v->engine_size);
        v->term = PyUnicode_AsUTF8AndSize(term, &v->term_size);
        if (v->engine == NULL || v->term == NULL || search_line(j, v, number, digits, out) < 0)
            rc = -1;
    } else
        rc = search_hit(v, ident, url_obj, engine, term, hits) < 0 ? -1 : 2;
    Py_XDECREF(engine);
    Py_XDECREF(term);
    Py_DECREF(url_obj);
    return rc;
}

/* Where lines go when they are not returned as bytes: a file, from `offset` on. */
typedef struct {
    int fd; /* -1: the lines are returned as one bytes object */
    long long offset, written;
} line_sink;

#define SINK_CHUNK ((size_t)1 << 20) /* the buffer a sink's lines pass through, reused */

/* The deletion indicators' figures of the rows met (visit_figures' of the same (id, stored)
 * rows), kept while every row is usual and the ids ascend strictly. */
typedef struct {
    int kept; /* 0: a row was unusual or an id did not ascend (no figures) */
    long long rows, first, last, last_stored, oldest, newest;
    int timed; /* oldest and newest are set (a time above 0 was met) */
    PyObject *gaps;
} figures;

/* One usual row: 0, or -1 with an exception set. */
static int figures_add(figures *f, long long ident, long long stored) {
    if (!f->kept) return 0;
    if (f->rows > 0 && ident <= f->last) {
        f->kept = 0;
        return 0;
    }
    /* ascending ids: the difference as unsigned cannot overflow */
    if (f->rows > 0 && (unsigned long long)ident - (unsigned long long)f->last > 1) {
        PyObject *gap = Py_BuildValue("(LLLL)", f->last, f->last_stored, ident, stored);
        int rc = gap == NULL ? -1 : PyList_Append(f->gaps, gap);
        Py_XDECREF(gap);
        if (rc < 0) return -1;
    }
    if (stored > 0) {
        if (!f->timed || stored < f->oldest) f->oldest = stored;
        if (!f->timed || stored > f->newest) f->newest = stored;
        f->timed = 1;
    }
    if (f->rows == 0) f->first = ident;
    f->last = ident;
    f->last_stored = stored;
    f->rows++;
    return 0;
}

/* (first, last, oldest, newest, gaps, rows) as visit_figures gives the first five, or None. */
static PyObject *figures_object(const figures *f) {
    if (!f->kept) return Py_NewRef(Py_None);
    if (f->rows == 0) return Py_BuildValue("(OOOOOL)", Py_None, Py_None, Py_None, Py_None,
                                           f->gaps, f->rows);
    if (!f->timed)
        return Py_BuildValue("(LLOOOL)", f->first, f->last, Py_None, Py_None, f->gaps, f->rows);
    return Py_BuildValue("(LLLLOL)", f->first, f->last, f->oldest, f->newest, f->gaps, f->rows);
}

/* Write the buffer's bytes to `fd` (at `*at`, advanced, when `at` is given; else at the file's
 * position) and empty it: 0, or -1 with OSError set. */
static int flush_to(int fd, long long *at, buffer *b) {
    size_t done = 0;
    while (done < b->size) {
        ssize_t n = at != NULL ? pwrite(fd, b->data + done, b->size - done, (off_t)*at)
                               : write(fd, b->data + done, b->size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        done += (size_t)n;
        if (at != NULL) *at += n;
    }
    b->size = 0;
    return 0;
}

/* Write the buffer's bytes to the sink and empty it: 0, or -1 with OSError set. */
static int sink_flush(line_sink *sink, buffer *b) {
    long long at = sink->offset + sink->written;
    int rc = flush_to(sink->fd, &at, b);
    sink->written = at - sink->offset; /* (what was written before a failure, too) */
    return rc;
}

/* Every row of `src` as lines: (lines, visits, searches, unusual, hits, figures), or NULL. */
static PyObject *write_lines(const job *j, row_source *src, size_t expected, line_sink *sink) {
    PyObject *result = NULL, *hits = NULL, *found_figures = NULL;
    buffer out = {0}, rec = {0};
    figures fig = {1, 0, 0, 0, 0, 0, 0, 0, PyList_New(0)};
    if (fig.gaps == NULL) return NULL;
    if (sink->fd >= 0) { /* through a buffer of SINK_CHUNK bytes, written out as it fills */
        if (buf_reserve(&out, SINK_CHUNK + SINK_CHUNK / 4) < 0) goto done;
    } else {
        if (expected > ((size_t)1 << 28)) expected = (size_t)1 << 28; /* grows past if need be */
        /* the lines go straight into the bytes object returned */
        out.owner = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)expected);
        if (out.owner == NULL) goto done;
        out.data = PyBytes_AS_STRING(out.owner);
        out.capacity = expected;
    }
    hits = PyList_New(0);
    if (hits == NULL) goto done;
    long long visits = 0, searches = 0;
    int unusual = 0, more;
    day_cache last_day = {0};
    while ((more = src->next(src)) == 1) {
        if (sink->fd >= 0 && out.size >= SINK_CHUNK && sink_flush(sink, &out) < 0) goto done;
        values v = {0}; /* a template may name engine and term: "" until a search sets them */
        long long ident;
        int url_none, title_none;
        if (!src->integer(src, 0, &ident) || !src->integer(src, 1, &v.stored) ||
            !src->text(src, 2, &v.url, &v.url_size, &url_none) ||
            !src->text(src, 3, &v.title, &v.title_size, &title_none)) {
            unusual = 1;
            continue;
        }
        int usual = record_text(j, src, &rec);
        if (usual < 0) goto done;
        if (!usual) {
            unusual = 1;
            continue;
        }
        if (figures_add(&fig, ident, v.stored) < 0) goto done;
        v.record = rec.data;
        v.record_size = (Py_ssize_t)rec.size;
        char time[40], id[20], number[32];
        v.time = time;
        v.time_size = time_text(&j->format, v.stored, time, &last_day);
        v.id = id;
        int digits = decimal(ident, number + sizeof number, 1);
        memmove(number, number + sizeof number - digits, (size_t)digits);
        sha1_ctx ctx = j->head;
        sha1_update(&ctx, (const unsigned char *)"visit\x1f", 6);
        sha1_update(&ctx, (const unsigned char *)number, (size_t)digits);
        sha1_hex20(&ctx, id);
        if (fill(&out, j, &j->visit, VISIT_TAG, &v) < 0) goto done;
        visits++;
        if (url_none) continue; /* its URL is "": no search */
        int found = search_of(j, src, &v, ident, number, digits, &out, hits);
        if (found < 0) goto done;
        if (found == 1) searches++;
    }
    if (more < 0) goto done;
    if (unusual) fig.kept = 0;
    if ((found_figures = figures_object(&fig)) == NULL) goto done;
    if (sink->fd >= 0) {
        if (sink_flush(sink, &out) < 0) goto done;
        result = Py_BuildValue("(LLLOOO)", sink->written, visits, searches,
                               unusual ? Py_True : Py_False, hits, found_figures);
        goto done;
    }
    if (_PyBytes_Resize(&out.owner, (Py_ssize_t)out.size) < 0) goto done; /* frees it on failure */
    result = Py_BuildValue("(OLLOOO)", out.owner, visits, searches, unusual ? Py_True : Py_False,
                           hits, found_figures);
done:
    Py_XDECREF(hits);
    Py_XDECREF(fig.gaps);
    Py_XDECREF(found_figures);
    if (sink->fd >= 0) PyMem_Free(out.data);
    else Py_XDECREF(out.owner); /* (_PyBytes_Resize freed it and set NULL if it failed) */
    PyMem_Free(rec.data);
    return result;
}

#define VISIT_LINES_ARGS                                                                        \
    "head: the bytes the ids' sha1 starts with. visit, search: templates (bytes pieces, slot\n" \
    "letters); search None: each search hit is returned in hits as (id, stored, url, record,\n" \
    "engine, term) instead. record: bytes literals and int column indexes. time_format: (units\n" \
    "a second, epoch, earliest, latest). engines: search_engines.SEARCH_ENGINES, read by the\n"  \
    "C matcher; the URLs it is unsure of go to `extract` if their host holds one of `labels`\n"  \
    "(a set of bytes). Each line is preceded by ',\\n    '. Rows of other types are skipped\n" \
    "(unusual True). figures: visit_figures' (first, last, oldest, newest, gaps) of the rows'\n" \
    "(id, stored), and how many rows, when every row is usual and the ids ascend strictly;\n" \
    "else None."

PyDoc_STRVAR(visit_lines_doc,
    "visit_lines(rows, head, visit, search, record, time_format, labels, engines, extract)\n"
    "-> (lines: bytes, visits: int, searches: int, unusual: bool, hits: list, figures)\n\n"
    "rows: a list of tuples (id, stored, url, title, *further integer columns).\n"
    VISIT_LINES_ARGS);

static PyObject *visit_lines(PyObject *self, PyObject *args) {
    PyObject *rows, *head_obj, *visit_t, *search_t, *record, *format_obj, *labels, *engines;
    PyObject *extract;
    if (!PyArg_ParseTuple(args, "O!SOOO!O!O!OO:visit_lines", &PyList_Type, &rows, &head_obj,
                          &visit_t, &search_t, &PyTuple_Type, &record, &PyTuple_Type,
                          &format_obj, &PySet_Type, &labels, &engines, &extract))
        return NULL;
    job j = {0};
    PyObject *result = NULL;
    if (job_from(&j, head_obj, visit_t, search_t, record, format_obj, labels, engines,
                 extract) == 0) {
        list_source source = {
            {list_next, 0, list_integer, list_text, list_length, list_object}, rows, NULL, 0};
        size_t expected = (size_t)PyList_GET_SIZE(rows) * j.per_line + 4096;
        line_sink bytes_out = {-1, 0, 0};
        result = write_lines(&j, &source.base, expected, &bytes_out);
    }
    job_free(&j);
    return result;
}

/* ------------------------------------------------------------------ visits kept one by one */

/* A str's UTF-8 (as .encode("utf-8") gives it): 1, or 0 when `value` is no str or holds lone
 * surrogates (the Python writer then takes the row). */
static int utf8_of(PyObject *value, const char **text, Py_ssize_t *size) {
    if (!PyUnicode_CheckExact(value)) return 0;
    *text = PyUnicode_AsUTF8AndSize(value, size);
    if (*text == NULL) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* repr() of a str made of printable ASCII without quotes or backslashes: 'text'. 1 written,
 * 0 another str (repr would escape or choose other quotes), -1 an exception. */
static int plain_repr(PyObject *value, buffer *out) {
    if (!PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(value)) return 0;
    const unsigned char *text = PyUnicode_1BYTE_DATA(value);
    Py_ssize_t size = PyUnicode_GET_LENGTH(value);
    for (Py_ssize_t i = 0; i < size; i++)
        if (text[i] < 0x20 || text[i] >= 0x7F || text[i] == '\'' || text[i] == '\\') return 0;
    if (buf_put(out, "'", 1) < 0 || buf_put(out, (const char *)text, (size_t)size) < 0 ||
        buf_put(out, "'", 1) < 0)
        return -1;
    return 1;
}

/* str(key)'s UTF-8 (surrogates kept, as StableIds encodes) into `out`, written here for ints
 * and tuples of ints and plain str (a recovered visit's ("recovered", source, offset)), by
 * str() otherwise. 1, 0 when str() raises or gives lone surrogates (the Python writer then
 * takes the row and says so), -1 an exception. */
static int key_text(PyObject *key, buffer *out) {
    long long number;
    out->size = 0;
    if (int64_of(key, &number)) return buf_int(out, number) < 0 ? -1 : 1;
    if (PyTuple_CheckExact(key)) {
        Py_ssize_t n = PyTuple_GET_SIZE(key);
        int plain = buf_put(out, "(", 1) < 0 ? -1 : 1;
        for (Py_ssize_t i = 0; i < n && plain == 1; i++) {
            PyObject *item = PyTuple_GET_ITEM(key, i);
            if (i > 0 && buf_put(out, ", ", 2) < 0) return -1;
            plain = int64_of(item, &number) ? (buf_int(out, number) < 0 ? -1 : 1)
                                            : plain_repr(item, out);
        }
        if (plain < 0) return -1;
        if (plain == 1) {
            if (n == 1 && buf_put(out, ",", 1) < 0) return -1;
            return buf_put(out, ")", 1) < 0 ? -1 : 1;
        }
        out->size = 0;
    }
    PyObject *text = PyObject_Str(key);
    if (text == NULL) {
        PyErr_Clear();
        return 0;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    int rc = utf8 == NULL ? 0 : buf_put(out, utf8, (size_t)size) < 0 ? -1 : 1;
    if (utf8 == NULL) PyErr_Clear();
    Py_DECREF(text);
    return rc;
}

/* (position, row index, found) appended to `calls`; found borrowed. */
static int add_call(PyObject *calls, Py_ssize_t position, Py_ssize_t index, PyObject *found) {
    PyObject *call = Py_BuildValue("(nnO)", position, index, found);
    int rc = call == NULL ? -1 : PyList_Append(calls, call);
    Py_XDECREF(call);
    return rc;
}

/* The row's values, if it is one this loop writes: 1, 0 (the Python writer's), -1. */
static int kept_values(PyObject *row, values *v, buffer *key, PyObject **record) {
    if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != 5) return 0;
    PyObject *title = PyTuple_GET_ITEM(row, 2), *stored = PyTuple_GET_ITEM(row, 3);
    *record = PyTuple_GET_ITEM(row, 4);
    v->stored_none = stored == Py_None;
    v->title_size = 0; /* None and "" are null (produce_visits shows "" as None) */
    if (!utf8_of(PyTuple_GET_ITEM(row, 1), &v->url, &v->url_size) ||
        (title != Py_None && !utf8_of(title, &v->title, &v->title_size)) ||
        (!v->stored_none && !int64_of(stored, &v->stored)) ||
        !utf8_of(*record, &v->record, &v->record_size))
        return 0;
    return key_text(PyTuple_GET_ITEM(row, 0), key);
}

/* The encoded tuple (ident, when, kind, parser, path, record, line) of one row. */
static PyObject *kept_entry(const char id[20], const values *v, PyObject *constants[3],
                            PyObject *record, const buffer *line) {
    PyObject *entry = PyTuple_New(7);
    if (entry == NULL) return NULL;
    PyObject *ident = PyUnicode_DecodeASCII(id, 20, NULL);
    PyObject *when = v->time_size ? PyUnicode_DecodeASCII(v->time, v->time_size, NULL)
                                  : Py_NewRef(Py_None);
    PyObject *text = PyUnicode_DecodeUTF8(line->data, (Py_ssize_t)line->size, NULL);
    PyTuple_SET_ITEM(entry, 0, ident);
    PyTuple_SET_ITEM(entry, 1, when);
    for (int i = 0; i < 3; i++) PyTuple_SET_ITEM(entry, 2 + i, Py_NewRef(constants[i]));
    PyTuple_SET_ITEM(entry, 5, Py_NewRef(record));
    PyTuple_SET_ITEM(entry, 6, text);
    if (ident == NULL || when == NULL || text == NULL) Py_CLEAR(entry);
    return entry;
}

PyDoc_STRVAR(kept_visit_lines_doc,
    "kept_visit_lines(rows, head, template, time_format, engines, kind, parser, path,\n"
    "search_template=None, search_kind=None) -> (entries: list, calls: list)\n\n"
    "The lines of visits kept one by one (browser_database._KeptVisitLines.write for each of\n"
    "`rows`, (key, url, title, stored time, record) tuples): entries are what it appends to\n"
    "mediator.encoded, (ident, when, kind, parser, path, record, line). template: the visit\n"
    "line's (bytes pieces, slot letters) with the database's constants in place; head: the\n"
    "bytes of StableIds' ids before 'visit\\x1f' and str(key). calls: (position in entries,\n"
    "row index, found) in order, where the caller acts: found None, the row is the Python\n"
    "writer's (a key str() cannot give as UTF-8, a URL that is no str, a BLOB title, a time\n"
    "that is not None or an int64, text with lone surrogates); (engine, term), the search the\n"
    "row's URL carries (read from `engines` by the C matcher); ..., the matcher is unsure\n"
    "(ask extract_search). search_template: the search_term line's (pieces, slots) with the\n"
    "constants in place; given it, a search the matcher reads is written here as its entry\n"
    "(kind search_kind, id from 'search\\x1f' and str(key)) right after its visit's, not left\n"
    "as a call.");

static PyObject *kept_visit_lines(PyObject *self, PyObject *args) {
    PyObject *rows, *head_obj, *template_t, *format_obj, *engines, *constants[3];
    PyObject *search_t = Py_None, *search_constants[3] = {NULL, NULL, NULL};
    if (!PyArg_ParseTuple(args, "O!SO!OOUUU|OU:kept_visit_lines", &PyList_Type, &rows, &head_obj,
                          &PyTuple_Type, &template_t, &format_obj, &engines, &constants[0],
                          &constants[1], &constants[2], &search_t, &search_constants[0]))
        return NULL;
    if (search_t != Py_None && search_constants[0] == NULL) {
        PyErr_SetString(PyExc_TypeError, "a search template needs the search kind");
        return NULL;
    }
    search_constants[1] = constants[1];
    search_constants[2] = constants[2];
    template line_template = {0}, search_template = {0};
    time_format format;
    const engine_table *table = NULL;
    PyObject *held = NULL, *entries = NULL, *calls = NULL, *result = NULL;
    buffer line = {0}, key = {0};
    char *term = NULL;
    if (template_from(template_t, &line_template) < 0 ||
        (search_t != Py_None && template_from(search_t, &search_template) < 0) ||
        time_format_from(format_obj, &format) < 0 ||
        (held = engine_table_of(engines, &table)) == NULL)
        goto done;
    if ((term = PyMem_Malloc(SEARCH_LONGEST_URL)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    sha1_ctx head, search_head;
    sha1_init(&head);
    sha1_update(&head, (const unsigned char *)PyBytes_AS_STRING(head_obj),
                (size_t)PyBytes_GET_SIZE(head_obj));
    search_head = head;
    sha1_update(&head, (const unsigned char *)"visit\x1f", 6);
    sha1_update(&search_head, (const unsigned char *)"search\x1f", 7);
    if ((entries = PyList_New(0)) == NULL || (calls = PyList_New(0)) == NULL) goto done;
    day_cache last_day = {0};
    for (Py_ssize_t index = 0; index < PyList_GET_SIZE(rows); index++) {
        /* the row and its texts stay ours even if str(key) runs Python code */
        PyObject *row = Py_NewRef(PyList_GET_ITEM(rows, index)), *record = NULL;
        values v = {0}; /* engine and term: "" (a visit template names neither) */
        int usual = kept_values(row, &v, &key, &record);
        if (usual <= 0) {
            Py_DECREF(row);
            if (usual < 0 || add_call(calls, PyList_GET_SIZE(entries), index, Py_None) < 0)
                goto done;
            continue;
        }
        char time[40], id[20];
        sha1_ctx ctx = head;
        sha1_update(&ctx, (const unsigned char *)key.data, key.size);
        sha1_hex20(&ctx, id);
        v.id = id;
        v.time = time;
        v.time_size = v.stored_none ? 0 : time_text(&format, v.stored, time, &last_day);
        line.size = 0;
        PyObject *entry = NULL;
        int rc = fill_line(&line, &line_template, &v, 0);
        if (rc == 0) entry = kept_entry(id, &v, constants, record, &line);
        rc = entry == NULL ? -1 : PyList_Append(entries, entry);
        Py_XDECREF(entry);
        Py_ssize_t term_size = 0, e = 0;
        int match = rc < 0 ? SEARCH_MISS
                           : search_match(&table->table, v.url, v.url_size, term, &term_size, &e);
        if (match == SEARCH_HIT && search_t != Py_None) { /* the search's line, written here */
            char search_id[20];
            ctx = search_head;
            sha1_update(&ctx, (const unsigned char *)key.data, key.size);
            sha1_hex20(&ctx, search_id);
            v.id = search_id;
            v.engine = table->table.engines[e].name.text;
            v.engine_size = table->table.engines[e].name.size;
            v.term = term;
            v.term_size = term_size;
            line.size = 0;
            entry = fill_line(&line, &search_template, &v, 0) < 0
                        ? NULL
                        : kept_entry(search_id, &v, search_constants, record, &line);
            rc = entry == NULL ? -1 : PyList_Append(entries, entry);
            Py_XDECREF(entry);
        } else if (match == SEARCH_HIT) {
            PyObject *found = PyUnicode_DecodeUTF8(term, term_size, NULL), *hit = NULL;
            if (found != NULL) hit = PyTuple_Pack(2, PyTuple_GET_ITEM(table->names, e), found);
            rc = hit == NULL ? -1 : add_call(calls, PyList_GET_SIZE(entries), index, hit);
            Py_XDECREF(found);
            Py_XDECREF(hit);
        } else if (match == SEARCH_UNSURE)
            rc = add_call(calls, PyList_GET_SIZE(entries), index, Py_Ellipsis);
        Py_DECREF(row);
        if (rc < 0) goto done;
    }
    result = PyTuple_Pack(2, entries, calls);
done:
    template_free(&line_template);
    template_free(&search_template);
    Py_XDECREF(held);
    Py_XDECREF(entries);
    Py_XDECREF(calls);
    PyMem_Free(line.data);
    PyMem_Free(key.data);
    PyMem_Free(term);
    return result;
}

/* ------------------------------------------------------------------ rows straight from SQLite */

#ifdef VISITLINES_HAVE_SQLITE

/* sqlite3.OperationalError with SQLite's message: the caller then reads the rows in Python. */
static void sqlite_error(sqlite3 *db, const char *what) {
    PyObject *module = PyImport_ImportModule("sqlite3");
    PyObject *kind = module ? PyObject_GetAttrString(module, "OperationalError") : NULL;
    Py_XDECREF(module);
    if (kind == NULL) return;
    PyErr_Format(kind, "%s: %s", what, db != NULL ? sqlite3_errmsg(db) : "out of memory");
    Py_DECREF(kind);
}

/* The code points of `size` bytes if they are UTF-8 as Python's strict decoder takes it (no
 * surrogates, overlong forms or values past U+10FFFF; sqlite3's fetch decodes so), else -1. */
static Py_ssize_t utf8_length(const unsigned char *p, Py_ssize_t size) {
    Py_ssize_t length = 0, i = 0;
    while (i < size) {
        unsigned char c = p[i];
        if (c < 0x80) {
            uint64_t word;
            for (; i + 8 <= size; i += 8, length += 8) { /* ASCII eight bytes at a time */
                memcpy(&word, p + i, 8);
                if (word & 0x8080808080808080ULL) break;
            }
            if (i < size && p[i] < 0x80) {
                i++;
                length++;
            }
            continue;
        }
        int more;
        unsigned char low = 0x80, high = 0xBF; /* the second byte's range */
        if (c >= 0xC2 && c <= 0xDF) more = 1;
        else if (c == 0xE0) more = 2, low = 0xA0;
        else if (c == 0xED) more = 2, high = 0x9F; /* not a surrogate */
        else if (c >= 0xE1 && c <= 0xEF) more = 2;
        else if (c == 0xF0) more = 3, low = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) more = 3;
        else if (c == 0xF4) more = 3, high = 0x8F;
        else return -1;
        if (size - i <= more || p[i + 1] < low || p[i + 1] > high) return -1;
        for (int k = 2; k <= more; k++)
            if ((p[i + k] & 0xC0) != 0x80) return -1;
        i += more + 1;
        length++;
    }
    return length;
}

/* A connection of its own to the database file the Python connection reads (`uri` as
 * sqlite_plugins.interface opens it: immutable=1 or mode=ro), read-only and query-only. */
static sqlite3 *open_read_only(const char *uri) {
    sqlite3 *db = NULL;
    /* NOMUTEX: the connection lives within one call of one thread */
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(uri, &db, flags, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA trusted_schema = OFF; PRAGMA query_only = ON", NULL, NULL,
                     NULL) != SQLITE_OK) {
        sqlite_error(db, "cannot open the database");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000); /* as sqlite3.connect's default timeout */
    return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, Py_ssize_t size) {
    sqlite3_stmt *stmt = NULL;
    if (size > INT_MAX || sqlite3_prepare_v2(db, sql, (int)size, &stmt, NULL) != SQLITE_OK) {
        sqlite_error(db, "cannot prepare the statement");
        sqlite3_finalize(stmt);
        return NULL;
    }
    return stmt;
}

/* --- a statement's rows: no Python object per row (the URL becomes a str only for extract) */

typedef struct {
    row_source base;
    sqlite3 *db;
    sqlite3_stmt *stmt;
    int not_utf8;          /* set: a text was not UTF-8, the rows stop (fetchall would raise) */
    Py_ssize_t url_length; /* code points of column 2 when it is text */
    /* the current row's column types, and texts (UTF-8 checked) with their sizes */
    int *types, *sizes;
    const unsigned char **texts;
} query_source;

static int query_next(row_source *source) {
    query_source *s = (query_source *)source;
    int rc = sqlite3_step(s->stmt);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) {
        sqlite_error(s->db, "cannot read the visits");
        return -1;
    }
    for (int i = 0; i < (int)source->width; i++) { /* every text, as fetchall decodes them */
        s->types[i] = sqlite3_column_type(s->stmt, i);
        if (s->types[i] != SQLITE_TEXT) continue;
        const unsigned char *text = s->texts[i] = sqlite3_column_text(s->stmt, i);
        if (text == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->sizes[i] = sqlite3_column_bytes(s->stmt, i);
        Py_ssize_t length = utf8_length(text, s->sizes[i]);
        if (length < 0) {
            s->not_utf8 = 1;
            return 0;
        }
        if (i == 2) s->url_length = length;
    }
    return 1;
}

static int query_integer(row_source *source, Py_ssize_t column, long long *out) {
    query_source *s = (query_source *)source;
    if (s->types[column] != SQLITE_INTEGER) return 0;
    *out = sqlite3_column_int64(s->stmt, (int)column);
    return 1;
}

static int query_text(row_source *source, Py_ssize_t column, const char **text, Py_ssize_t *size,
                      int *none) {
    query_source *s = (query_source *)source;
    *none = s->types[column] == SQLITE_NULL;
    if (*none) {
        *text = "";
        *size = 0;
        return 1;
    }
    if (s->types[column] != SQLITE_TEXT) return 0;
    *text = (const char *)s->texts[column];
    *size = s->sizes[column];
    return 1;
}

static Py_ssize_t query_length(row_source *source, Py_ssize_t column) {
    query_source *s = (query_source *)source;
    return column == 2 ? s->url_length : utf8_length(s->texts[column], s->sizes[column]);
}

static PyObject *query_object(row_source *source, Py_ssize_t column) {
    query_source *s = (query_source *)source;
    return PyUnicode_DecodeUTF8((const char *)s->texts[column], s->sizes[column], NULL);
}

PyDoc_STRVAR(query_visit_lines_doc,
    "query_visit_lines(uri, sql, head, visit, search, record, time_format, labels, engines,\n"
    "extract, fd=-1, offset=0)\n"
    "-> (lines: bytes | int, visits: int, searches: int, unusual: bool, hits: list, figures)\n"
    "| None\n\n"
    "As visit_lines, the rows read by SQLite itself: `sql` (id, stored, url, title, *further\n"
    "integer columns) stepped on a read-only connection of its own to the database `uri`.\n"
    "None: a text is not UTF-8 (sqlite3's fetchall would raise). sqlite3.OperationalError:\n"
    "SQLite could not open, prepare or step.\n"
    "fd, offset: the lines are written to the file `fd` from `offset` on as they are made,\n"
    "through a buffer of 1 MiB (no bytes object of them all), as compact records (see\n"
    "expand_lines: the templates' pieces left out, the visit template's tag '1', the search\n"
    "template's '2'), and `lines` is their size; OSError if a write fails (what was written\n"
    "before is left; nothing claims it).\n"
    VISIT_LINES_ARGS);

static PyObject *query_visit_lines(PyObject *self, PyObject *args) {
    const char *uri, *sql;
    Py_ssize_t sql_size;
    PyObject *head_obj, *visit_t, *search_t, *record, *format_obj, *labels, *engines, *extract;
    line_sink sink = {-1, 0, 0};
    if (!PyArg_ParseTuple(args, "ss#SOOO!O!O!OO|iL:query_visit_lines", &uri, &sql, &sql_size,
                          &head_obj, &visit_t, &search_t, &PyTuple_Type, &record, &PyTuple_Type,
                          &format_obj, &PySet_Type, &labels, &engines, &extract, &sink.fd,
                          &sink.offset))
        return NULL;
    if (sink.fd >= 0 && sink.offset < 0) {
        PyErr_SetString(PyExc_ValueError, "offset must not be negative");
        return NULL;
    }
    job j = {0};
    PyObject *result = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    if (job_from(&j, head_obj, visit_t, search_t, record, format_obj, labels, engines,
                 extract) < 0 ||
        (db = open_read_only(uri)) == NULL || (stmt = prepare(db, sql, sql_size)) == NULL)
        goto done;
    j.compact = sink.fd >= 0;
    int width = sqlite3_column_count(stmt);
    query_source source = {
        {query_next, width, query_integer, query_text, query_length, query_object}, db, stmt,
        0, 0, PyMem_Calloc((size_t)width + 1, sizeof(int)),
        PyMem_Calloc((size_t)width + 1, sizeof(int)),
        PyMem_Calloc((size_t)width + 1, sizeof(const unsigned char *))};
    if (source.types == NULL || source.sizes == NULL || source.texts == NULL) PyErr_NoMemory();
    else if (width < 4)
        PyErr_SetString(PyExc_ValueError, "the statement selects id, stored, url, title, ...");
    else {
        result = write_lines(&j, &source.base, (size_t)1 << 20, &sink);
        if (result != NULL && source.not_utf8) Py_SETREF(result, Py_NewRef(Py_None));
    }
    PyMem_Free(source.types);
    PyMem_Free(source.sizes);
    PyMem_Free(source.texts);
done:
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    job_free(&j);
    return result;
}

/* ------------------------------------------------------------------ visit ids' figures */

/* A stored value kept past the next step (text and BLOB bytes copied). */
typedef struct {
    int type;
    long long integer;
    double real;
    buffer bytes;
} stored_value;

/* 1 kept, 0 a text that is not UTF-8, -1 an exception. */
static int keep_value(sqlite3_stmt *stmt, int column, stored_value *v) {
    v->type = sqlite3_column_type(stmt, column);
    v->bytes.size = 0;
    if (v->type == SQLITE_INTEGER) v->integer = sqlite3_column_int64(stmt, column);
    else if (v->type == SQLITE_FLOAT) v->real = sqlite3_column_double(stmt, column);
    else if (v->type == SQLITE_TEXT || v->type == SQLITE_BLOB) {
        const void *data = v->type == SQLITE_TEXT ? (const void *)sqlite3_column_text(stmt, column)
                                                  : sqlite3_column_blob(stmt, column);
        Py_ssize_t size = sqlite3_column_bytes(stmt, column);
        if (data == NULL && size > 0) {
            PyErr_NoMemory();
            return -1;
        }
        if (v->type == SQLITE_TEXT && utf8_length(data, size) < 0) return 0;
        if (size > 0 && buf_put(&v->bytes, data, (size_t)size) < 0) return -1;
    }
    return 1;
}

/* The value as sqlite3 gives it: int, float, str, bytes or None. */
static PyObject *value_object(const stored_value *v) {
    switch (v->type) {
        case SQLITE_INTEGER: return PyLong_FromLongLong(v->integer);
        case SQLITE_FLOAT: return PyFloat_FromDouble(v->real);
        case SQLITE_TEXT:
            return PyUnicode_DecodeUTF8(v->bytes.data, (Py_ssize_t)v->bytes.size, NULL);
        case SQLITE_BLOB:
            return PyBytes_FromStringAndSize(v->bytes.data, (Py_ssize_t)v->bytes.size);
        default: return Py_NewRef(Py_None);
    }
}

/* -1, 0 or 1 as an int64 compares with a double, exactly (as Python compares int and float). */
static int compare_int_real(long long a, double b) {
    if (b != b) return 0; /* NaN: neither less nor greater (SQLite stores none) */
    if (b >= 9223372036854775808.0) return -1;
    if (b < -9223372036854775808.0) return 1;
    long long whole = (long long)b; /* exact: b truncated is a double within range */
    if (a != whole) return a < whole ? -1 : 1;
    double fraction = b - (double)whole;
    return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
}

/* -1, 0 or 1: two INTEGER or FLOAT values compared as Python compares them. */
static int compare_numbers(const stored_value *a, const stored_value *b) {
    if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER)
        return (a->integer > b->integer) - (a->integer < b->integer);
    if (a->type == SQLITE_FLOAT && b->type == SQLITE_FLOAT)
        return (a->real > b->real) - (a->real < b->real);
    if (a->type == SQLITE_INTEGER) return compare_int_real(a->integer, b->real);
    return -compare_int_real(b->integer, a->real);
}

static PyObject *number_object(const stored_value *v) {
    return v->type == 0 ? Py_NewRef(Py_None) : value_object(v);
}

/* (id, time) of a gap's edge as (before, before_time, after, after_time), appended to `gaps`. */
static int append_gap(PyObject *gaps, long long before, const stored_value *before_time,
                      long long after, const stored_value *after_time) {
    PyObject *one = value_object(before_time), *two = value_object(after_time), *gap = NULL;
    if (one != NULL && two != NULL) gap = Py_BuildValue("(LOLO)", before, one, after, two);
    int rc = gap == NULL ? -1 : PyList_Append(gaps, gap);
    Py_XDECREF(one);
    Py_XDECREF(two);
    Py_XDECREF(gap);
    return rc;
}

PyDoc_STRVAR(visit_figures_doc,
    "visit_figures(uri, sql) -> (first_id, last_id, oldest, newest, gaps) | None\n\n"
    "Steps `sql` (integer visit ids ascending and their stored times) on a read-only\n"
    "connection of its own to the database `uri`: the first and last id (None: no rows), the\n"
    "least and greatest int or float time above 0 (the first met of equals; None: no such\n"
    "time) and, for each pair of consecutive ids more than 1 apart, (before, before_time,\n"
    "after, after_time) with the times as stored. None: a time is text that is not UTF-8.\n"
    "sqlite3.OperationalError: SQLite could not open, prepare or step.");

static PyObject *visit_figures(PyObject *self, PyObject *args) {
    const char *uri, *sql;
    Py_ssize_t sql_size;
    if (!PyArg_ParseTuple(args, "ss#:visit_figures", &uri, &sql, &sql_size)) return NULL;
    PyObject *result = NULL, *gaps = PyList_New(0);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    stored_value previous = {0}, current = {0}, oldest = {0}, newest = {0}; /* type 0: none */
    if (gaps == NULL || (db = open_read_only(uri)) == NULL ||
        (stmt = prepare(db, sql, sql_size)) == NULL)
        goto done;
    if (sqlite3_column_count(stmt) != 2) {
        PyErr_SetString(PyExc_ValueError, "the statement selects (id, time)");
        goto done;
    }
    long long first = 0, before = 0;
    int any = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (sqlite3_column_type(stmt, 0) != SQLITE_INTEGER) {
            PyErr_SetString(PyExc_ValueError, "visit ids must be integers");
            goto done;
        }
        long long ident = sqlite3_column_int64(stmt, 0);
        int kept = keep_value(stmt, 1, &current);
        if (kept < 0) goto done;
        if (kept == 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        if ((current.type == SQLITE_INTEGER && current.integer > 0) ||
            (current.type == SQLITE_FLOAT && current.real > 0)) {
            if (oldest.type == 0 || compare_numbers(&current, &oldest) < 0) {
                oldest.type = current.type, oldest.integer = current.integer;
                oldest.real = current.real;
            }
            if (newest.type == 0 || compare_numbers(&current, &newest) > 0) {
                newest.type = current.type, newest.integer = current.integer;
                newest.real = current.real;
            }
        }
        /* ascending ids: the difference as unsigned cannot overflow */
        if (any && ident > before && (unsigned long long)ident - (unsigned long long)before > 1 &&
            append_gap(gaps, before, &previous, ident, &current) < 0)
            goto done;
        if (!any) first = ident;
        any = 1;
        before = ident;
        stored_value swap = previous;
        previous = current;
        current = swap;
    }
    if (rc != SQLITE_DONE) {
        sqlite_error(db, "cannot read the visit ids");
        goto done;
    }
    PyObject *first_obj = any ? PyLong_FromLongLong(first) : Py_NewRef(Py_None);
    PyObject *last_obj = any ? PyLong_FromLongLong(before) : Py_NewRef(Py_None);
    PyObject *oldest_obj = number_object(&oldest), *newest_obj = number_object(&newest);
    if (first_obj != NULL && last_obj != NULL && oldest_obj != NULL && newest_obj != NULL)
        result = PyTuple_Pack(5, first_obj, last_obj, oldest_obj, newest_obj, gaps);
    Py_XDECREF(first_obj);
    Py_XDECREF(last_obj);
    Py_XDECREF(oldest_obj);
    Py_XDECREF(newest_obj);
done:
    Py_XDECREF(gaps);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    PyMem_Free(previous.bytes.data);
    PyMem_Free(current.bytes.data);
    return result;
}

#endif /* VISITLINES_HAVE_SQLITE */


/* ------------------------------------------------------------------ compact records */

PyDoc_STRVAR(expand_lines_doc,
    "expand_lines(records, templates, first_separated=True, fd=-1) -> bytes | int\n\n"
    "The lines of compact records (what query_visit_lines writes to a file): each record is\n"
    "'\\x1e', a tag ('1' for templates[0], '2' for templates[1], ...), then its slots' texts\n"
    "parted by '\\x1f'; its line is ',\\n    ' (not before the first line when\n"
    "first_separated is false), then the template's pieces with the slots between them.\n"
    "templates: a tuple of tuples of bytes pieces. ValueError names the first record that\n"
    "does not fit its template. fd: the lines are written to the file `fd` at its position\n"
    "through a buffer of 1 MiB (no bytes object of them), and their size is returned; OSError\n"
    "if a write fails.");

static PyObject *expand_lines(PyObject *self, PyObject *args) {
    Py_buffer in;
    PyObject *templates;
    int first_separated = 1, fd = -1;
    long long written = 0;
    if (!PyArg_ParseTuple(args, "y*O!|pi:expand_lines", &in, &PyTuple_Type, &templates,
                          &first_separated, &fd))
        return NULL;
    PyObject *result = NULL;
    buffer out = {0};
    const char *p = in.buf, *end = p + in.len;
    Py_ssize_t count = PyTuple_GET_SIZE(templates), record = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *pieces = PyTuple_GET_ITEM(templates, i);
        int fits = PyTuple_Check(pieces) && PyTuple_GET_SIZE(pieces) > 0;
        for (Py_ssize_t k = 0; fits && k < PyTuple_GET_SIZE(pieces); k++)
            fits = PyBytes_Check(PyTuple_GET_ITEM(pieces, k));
        if (!fits) {
            PyErr_SetString(PyExc_TypeError, "templates are tuples of bytes pieces");
            goto done;
        }
    }
    if (fd >= 0) { /* through a buffer of SINK_CHUNK bytes, written out as it fills */
        if (buf_reserve(&out, SINK_CHUNK + SINK_CHUNK / 4) < 0) goto done;
    } else { /* the lines are longer than their records by the pieces: a first guess, grown if
              * need be; they go straight into the bytes object returned */
        size_t guess = (size_t)in.len * 3 + 64;
        if ((out.owner = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)guess)) == NULL) goto done;
        out.data = PyBytes_AS_STRING(out.owner);
        out.capacity = guess;
    }
    while (p < end) {
        Py_ssize_t at = (Py_ssize_t)(p - (const char *)in.buf);
        if (*p != RECORD_MARK || end - p < 2 || p[1] < '1' || p[1] - '1' >= count) {
            PyErr_Format(PyExc_ValueError, "compact record %zd (byte %zd) has no known tag",
                         record, at);
            goto done;
        }
        if (fd >= 0 && out.size >= SINK_CHUNK) {
            written += (long long)out.size;
            if (flush_to(fd, NULL, &out) < 0) goto done;
        }
        PyObject *pieces = PyTuple_GET_ITEM(templates, p[1] - '1');
        Py_ssize_t slots = PyTuple_GET_SIZE(pieces) - 1;
        const char *slot = p + 2;
        const char *stop = memchr(slot, RECORD_MARK, (size_t)(end - slot));
        if (stop == NULL) stop = end;
        if ((record > 0 || first_separated) &&
            buf_put(&out, line_separator, sizeof line_separator - 1) < 0)
            goto done;
        for (Py_ssize_t i = 0; i <= slots; i++) {
            PyObject *piece = PyTuple_GET_ITEM(pieces, i);
            if (buf_put(&out, PyBytes_AS_STRING(piece), (size_t)PyBytes_GET_SIZE(piece)) < 0)
                goto done;
            if (i == slots) break;
            const char *next = memchr(slot, SLOT_MARK, (size_t)(stop - slot));
            if ((next == NULL) != (i == slots - 1)) {
                PyErr_Format(PyExc_ValueError,
                             "compact record %zd (byte %zd) does not have its template's %zd "
                             "slots", record, at, slots);
                goto done;
            }
            if (next == NULL) next = stop;
            if (buf_put(&out, slot, (size_t)(next - slot)) < 0) goto done;
            slot = next + 1;
        }
        if (slots == 0 && stop != p + 2) {
            PyErr_Format(PyExc_ValueError,
                         "compact record %zd (byte %zd) has slots its template has not", record,
                         at);
            goto done;
        }
        p = stop;
        record++;
    }
    if (fd >= 0) {
        written += (long long)out.size;
        if (flush_to(fd, NULL, &out) == 0) result = PyLong_FromLongLong(written);
        goto done;
    }
    if (_PyBytes_Resize(&out.owner, (Py_ssize_t)out.size) < 0) goto done; /* freed on failure */
    result = out.owner;
    out.owner = NULL;
done:
    if (fd >= 0) PyMem_Free(out.data);
    else Py_XDECREF(out.owner);
    PyBuffer_Release(&in);
    return result;
}

static PyMethodDef methods[] = {
    {"visit_lines", visit_lines, METH_VARARGS, visit_lines_doc},
    {"kept_visit_lines", kept_visit_lines, METH_VARARGS, kept_visit_lines_doc},
    {"expand_lines", expand_lines, METH_VARARGS, expand_lines_doc},
#ifdef VISITLINES_HAVE_SQLITE
    {"query_visit_lines", query_visit_lines, METH_VARARGS, query_visit_lines_doc},
    {"visit_figures", visit_figures, METH_VARARGS, visit_figures_doc},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_visitlines",
    "A browser history's visits as report.json lines (the per-row loop of visit_lines.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

/* The SHA extensions are used when the CPU has them and they give the portable code's digest of
 * a test block (any disagreement keeps the portable code). */
static void choose_sha1(void) {
#ifdef SHA_BLOCKS_X86
    if (!sha_blocks_cpu_has_ni()) return;
    unsigned char block[64];
    for (int i = 0; i < 64; i++) block[i] = (unsigned char)(i * 37 + 11);
    uint32_t a[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0}, b[5];
    memcpy(b, a, sizeof a);
    for (int round = 0; round < 3; round++) {
        sha1_compress_portable(a, block);
        sha1_compress_ni(b, block);
    }
    if (memcmp(a, b, sizeof a) == 0) sha1_compress = sha1_compress_ni;
#endif
}

PyMODINIT_FUNC PyInit__visitlines(void) {
    choose_sha1();
    return PyModule_Create(&module);
}
