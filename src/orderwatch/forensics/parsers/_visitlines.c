/* A browser history's visits as report.json lines, in C (orderwatch.forensics.parsers._visitlines).
 *
 * visit_lines() takes the rows SQLite gave (id, stored time, url, title, further integer columns)
 * and writes each visit's line, and the line of the search term its URL carries, from the kind's
 * line template: the same sha1 ids as StableIds, the time as format_time(to_datetime()) writes it,
 * every text quoted as json.encoder.encode_basestring quotes it (non-ASCII kept). The pure-Python
 * loop in visit_lines.py makes the same bytes (tests compare them).
 *
 * Only hosts that may be a search engine's go to the Python extract_search (a label of the host
 * is a first label of an engine's domain); any URL this code cannot judge exactly (non-ASCII
 * before the host ends, odd leading characters) goes to it too.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../_sha_blocks.h" /* SHA-1's block functions, shared with forensics/_shalanes.c */

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

/* Decimal digits of `value` at the end of `text` (at least `width` digits); their count. */
static int decimal(long long value, char *end, int width) {
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    int size = 0;
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

/* A JSON string as json.encoder.encode_basestring writes it (UTF-8, non-ASCII kept). */
static int buf_json(buffer *b, const char *text, size_t size) {
    static const char hex[] = "0123456789abcdef";
    if (buf_reserve(b, size * 6 + 2) < 0) return -1;
    char *out = b->data + b->size;
    *out++ = '"';
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)text[i];
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

/* The time text (no quotes) into `out`; 0 when the value is out of range (JSON null). */
static int time_text(const time_format *format, long long stored, char out[40]) {
    if (stored < format->earliest || stored >= format->latest) return 0;
    long long seconds = (stored - format->epoch) / format->per_second;
    long long fraction = stored % format->per_second;
    long long days = seconds / 86400, rest = seconds % 86400, year;
    int month, day;
    civil(days, &year, &month, &day);
    if (year < 0 || year > 9999) return 0; /* not reached: the range ends in 2100 */
    char *p = out;
    decimal(year, p + 4, 4), p += 4;
    *p++ = '-';
    decimal(month, p + 2, 2), p += 2;
    *p++ = '-';
    decimal(day, p + 2, 2), p += 2;
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

static int host_char(unsigned char c) {
    return !(c == '/' || c == '?' || c == '#' || c == ':' || c == '@' || c == '[' || c == ']');
}

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
        while (q < end && host_char((unsigned char)*q)) q++;
        host = q > after ? after : start;
    }
    const char *host_end = host;
    while (host_end < end && host_char((unsigned char)*host_end)) host_end++;
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
 * i id, t time, u url, T title, e engine, m term, r record, s stored time. */
typedef struct {
    Py_ssize_t count;
    const char *slots;
    const char **pieces;
    Py_ssize_t *sizes;
} template;

static int template_from(PyObject *pieces, PyObject *slots, template *out) {
    if (!PyTuple_Check(pieces) || !PyUnicode_Check(slots)) {
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
        if (strchr("itTumers", out->slots[i]) == NULL) {
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
} values;

static int fill(buffer *b, const template *t, const values *v) {
    static const char separator[] = ",\n    ";
    if (buf_put(b, separator, sizeof separator - 1) < 0) return -1;
    for (Py_ssize_t i = 0; i <= t->count; i++) {
        if (buf_put(b, t->pieces[i], (size_t)t->sizes[i]) < 0) return -1;
        if (i == t->count) break;
        int rc = 0;
        switch (t->slots[i]) {
            case 'i': rc = buf_put(b, v->id, 20); break;
            case 't':
                if (v->time_size == 0) rc = buf_put(b, "null", 4);
                else {
                    rc = buf_put(b, "\"", 1);
                    if (rc == 0) rc = buf_put(b, v->time, (size_t)v->time_size);
                    if (rc == 0) rc = buf_put(b, "\"", 1);
                }
                break;
            case 'u': rc = buf_json(b, v->url, (size_t)v->url_size); break;
            case 'T':
                rc = v->title_size ? buf_json(b, v->title, (size_t)v->title_size)
                                   : buf_put(b, "null", 4);
                break;
            case 'e': rc = buf_json(b, v->engine, (size_t)v->engine_size); break;
            case 'm': rc = buf_json(b, v->term, (size_t)v->term_size); break;
            case 'r': rc = buf_json(b, v->record, (size_t)v->record_size); break;
            case 's': rc = buf_int(b, v->stored); break;
        }
        if (rc < 0) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ visit_lines */

static int exact_int(PyObject *value, long long *out) {
    if (!PyLong_CheckExact(value)) return 0;
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || (*out == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* The text of a str or None (size 0 for None); 0 when it is neither or holds lone surrogates. */
static int text_of(PyObject *value, const char **text, Py_ssize_t *size) {
    if (value == Py_None) {
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

PyDoc_STRVAR(visit_lines_doc,
    "visit_lines(rows, head, visit, search, record, time_format, labels, extract)\n"
    "-> (lines: bytes, visits: int, searches: int, unusual: bool, hits: list)\n\n"
    "rows: a list of tuples (id, stored, url, title, *further integer columns). head: the\n"
    "bytes the ids' sha1 starts with. visit, search: templates (bytes pieces, slot letters);\n"
    "search None: each search hit is returned in hits as (id, stored, url, record, engine,\n"
    "term) instead. record: bytes literals and int column indexes. time_format: (units a\n"
    "second, epoch, earliest, latest). labels: a set of bytes (hosts with such a label are\n"
    "asked of `extract`). Each line is preceded by ',\\n    '. Rows of other types are skipped\n"
    "(unusual True).");

static PyObject *visit_lines(PyObject *self, PyObject *args) {
    PyObject *rows, *head_obj, *visit_t, *search_t, *record, *format_obj, *labels, *extract;
    if (!PyArg_ParseTuple(args, "O!SOOO!O!O!O:visit_lines", &PyList_Type, &rows, &head_obj,
                          &visit_t, &search_t, &PyTuple_Type, &record, &PyTuple_Type,
                          &format_obj, &PySet_Type, &labels, &extract))
        return NULL;
    if (!PyCallable_Check(extract)) {
        PyErr_SetString(PyExc_TypeError, "extract must be callable");
        return NULL;
    }
    time_format format;
    if (!PyArg_ParseTuple(format_obj, "LLLL", &format.per_second, &format.epoch, &format.earliest,
                          &format.latest))
        return NULL;
    if (format.per_second <= 0 || format.per_second > 1000000 ||
        1000000 % format.per_second != 0 || format.earliest <= format.epoch) {
        PyErr_SetString(PyExc_ValueError, "time_format: (units a second dividing 1000000, "
                                          "epoch, earliest > epoch, latest)");
        return NULL;
    }
    Py_ssize_t record_parts = PyTuple_GET_SIZE(record);
    for (Py_ssize_t i = 0; i < record_parts; i++) {
        PyObject *part = PyTuple_GET_ITEM(record, i);
        if (!PyBytes_Check(part) && !PyLong_CheckExact(part)) {
            PyErr_SetString(PyExc_TypeError, "record parts are bytes or column indexes");
            return NULL;
        }
        if (PyLong_CheckExact(part)) {
            Py_ssize_t column = PyLong_AsSsize_t(part);
            if (column < 0) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "record column indexes are >= 0");
                return NULL;
            }
        }
    }
    template visit = {0}, search = {0};
    int has_search = search_t != Py_None;
    PyObject *result = NULL, *hits = NULL;
    buffer out = {0}, rec = {0};
    label_list engine_labels = {0};
    if (!PyTuple_Check(visit_t) || PyTuple_GET_SIZE(visit_t) != 2 ||
        (has_search && (!PyTuple_Check(search_t) || PyTuple_GET_SIZE(search_t) != 2))) {
        PyErr_SetString(PyExc_TypeError, "templates are (pieces, slots) pairs");
        return NULL;
    }
    if (template_from(PyTuple_GET_ITEM(visit_t, 0), PyTuple_GET_ITEM(visit_t, 1), &visit) < 0)
        goto done;
    if (has_search &&
        template_from(PyTuple_GET_ITEM(search_t, 0), PyTuple_GET_ITEM(search_t, 1), &search) < 0)
        goto done;
    if (labels_from(labels, &engine_labels) < 0) goto done;
    /* the lines go straight into the bytes object returned, sized for a typical line */
    size_t per_line = 192;
    for (Py_ssize_t i = 0; i <= visit.count; i++) per_line += (size_t)visit.sizes[i];
    size_t expected = (size_t)PyList_GET_SIZE(rows) * per_line + 4096;
    if (expected > ((size_t)1 << 28)) expected = (size_t)1 << 28; /* grows past this if need be */
    out.owner = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)expected);
    if (out.owner == NULL) goto done;
    out.data = PyBytes_AS_STRING(out.owner);
    out.capacity = expected;
    hits = PyList_New(0);
    if (hits == NULL) goto done;
    sha1_ctx head;
    sha1_init(&head);
    sha1_update(&head, (const unsigned char *)PyBytes_AS_STRING(head_obj),
                (size_t)PyBytes_GET_SIZE(head_obj));
    long long visits = 0, searches = 0;
    int unusual = 0;
    Py_ssize_t count = PyList_GET_SIZE(rows);
    for (Py_ssize_t n = 0; n < count; n++) {
        PyObject *row = PyList_GET_ITEM(rows, n);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) < 4) {
            PyErr_SetString(PyExc_TypeError, "rows are tuples (id, stored, url, title, ...)");
            goto done;
        }
        Py_ssize_t width = PyTuple_GET_SIZE(row);
        values v = {0}; /* a template may name engine and term: "" until a search sets them */
        long long ident;
        PyObject *url_obj = PyTuple_GET_ITEM(row, 2);
        if (!exact_int(PyTuple_GET_ITEM(row, 0), &ident) ||
            !exact_int(PyTuple_GET_ITEM(row, 1), &v.stored) ||
            !text_of(url_obj, &v.url, &v.url_size) ||
            !text_of(PyTuple_GET_ITEM(row, 3), &v.title, &v.title_size)) {
            unusual = 1;
            continue;
        }
        /* the record text: literals and integer columns */
        rec.size = 0;
        int usual = 1;
        for (Py_ssize_t i = 0; i < record_parts && usual; i++) {
            PyObject *part = PyTuple_GET_ITEM(record, i);
            if (PyBytes_Check(part)) {
                if (buf_put(&rec, PyBytes_AS_STRING(part), (size_t)PyBytes_GET_SIZE(part)) < 0)
                    goto done;
                continue;
            }
            Py_ssize_t column = PyLong_AsSsize_t(part);
            long long number;
            if (column >= width) {
                PyErr_SetString(PyExc_ValueError, "a record column index is past the row");
                goto done;
            }
            if (!exact_int(PyTuple_GET_ITEM(row, column), &number)) usual = 0;
            else if (buf_int(&rec, number) < 0) goto done;
        }
        if (!usual) {
            unusual = 1;
            continue;
        }
        v.record = rec.data;
        v.record_size = (Py_ssize_t)rec.size;
        char time[40], id[20], number[32];
        v.time = time;
        v.time_size = time_text(&format, v.stored, time);
        v.id = id;
        int digits = decimal(ident, number + sizeof number, 1);
        memmove(number, number + sizeof number - digits, (size_t)digits);
        sha1_ctx ctx = head;
        sha1_update(&ctx, (const unsigned char *)"visit\x1f", 6);
        sha1_update(&ctx, (const unsigned char *)number, (size_t)digits);
        sha1_hex20(&ctx, id);
        if (fill(&out, &visit, &v) < 0) goto done;
        visits++;
        if (url_obj == Py_None) continue; /* its URL is "": no search */
        int maybe = may_search(v.url, v.url_size, PyUnicode_GET_LENGTH(url_obj), &engine_labels);
        if (maybe < 0) goto done;
        if (!maybe) continue;
        PyObject *hit = PyObject_CallOneArg(extract, url_obj);
        if (hit == NULL) goto done;
        if (hit == Py_None) {
            Py_DECREF(hit);
            continue;
        }
        PyObject *engine = PySequence_GetItem(hit, 0), *term = PySequence_GetItem(hit, 1);
        Py_DECREF(hit);
        if (engine == NULL || term == NULL || !PyUnicode_Check(engine) || !PyUnicode_Check(term)) {
            Py_XDECREF(engine);
            Py_XDECREF(term);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "extract gives None or (engine, term) texts");
            goto done;
        }
        int rc = 0;
        if (has_search) {
            v.engine = PyUnicode_AsUTF8AndSize(engine, &v.engine_size);
            v.term = PyUnicode_AsUTF8AndSize(term, &v.term_size);
            if (v.engine == NULL || v.term == NULL) rc = -1;
            if (rc == 0) {
                sha1_ctx again = head;
                sha1_update(&again, (const unsigned char *)"search\x1f", 7);
                sha1_update(&again, (const unsigned char *)number, (size_t)digits);
                sha1_hex20(&again, id);
                rc = fill(&out, &search, &v);
            }
            if (rc == 0) searches++;
        } else {
            PyObject *item = Py_BuildValue("(LLOs#OO)", ident, v.stored, url_obj, v.record,
                                           v.record_size, engine, term);
            if (item == NULL) rc = -1;
            else {
                rc = PyList_Append(hits, item);
                Py_DECREF(item);
            }
        }
        Py_DECREF(engine);
        Py_DECREF(term);
        if (rc < 0) goto done;
    }
    if (_PyBytes_Resize(&out.owner, (Py_ssize_t)out.size) < 0) goto done; /* frees it on failure */
    result = Py_BuildValue("(OLLOO)", out.owner, visits, searches, unusual ? Py_True : Py_False,
                           hits);
done:
    Py_XDECREF(hits);
    Py_XDECREF(out.owner);
    labels_free(&engine_labels);
    template_free(&visit);
    template_free(&search);
    PyMem_Free(rec.data);
    return result;
}

static PyMethodDef methods[] = {
    {"visit_lines", visit_lines, METH_VARARGS, visit_lines_doc},
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
