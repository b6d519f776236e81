/* Deleted SQLite records found around URLs in free space, in C
 * (orderwatch.forensics.parsers._sqlitecarve).
 *
 * carve_regions() does what sqlite_records.python_carve_regions does: every "http://" or
 * "https://" in each region's [start, end) is tried as the URL column of each shape in turn (the first that
 * fits wins); the record header before it is cut into varints walking backwards and must agree
 * with the shape's columns, types and the URL's place; the values of a record that fits are
 * decoded as sqlite_records.record_values decodes them. Tests compare both paths on real and
 * damaged databases.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_COLUMNS 2000       /* SQLite's default SQLITE_MAX_COLUMN */
#define OVERFLOW_EVIDENCE 200  /* sqlite_records._OVERFLOW_EVIDENCE */
#define FAR ((uint64_t)1 << 62) /* offsets past any file: sums saturate here */

typedef struct {
    Py_ssize_t columns, url_column, rowid_alias, min_columns; /* rowid_alias -1: none */
    int index;
    const char *kinds;    /* per column: 'I' INTEGER, 'T' TEXT, 'O' any other affinity */
    const char *not_null; /* per column 0/1, or NULL when unknown */
} shape;

typedef struct {
    const unsigned char *data;
    Py_ssize_t size;
} bytes_view;

typedef struct {
    uint64_t value;
    Py_ssize_t start;
} varint;

enum { NO_FIT = 0, FITS = 1, OVERFLOWS = 2 };

/* A varint at `at` ending before `limit`: its length, 0 when none (sqlite_records._varint). */
static int read_varint(const unsigned char *data, Py_ssize_t at, Py_ssize_t limit, uint64_t *out) {
    uint64_t value = 0;
    for (int index = 0; index < 9; index++) {
        if (at + index >= limit) return 0;
        unsigned char byte = data[at + index];
        if (index == 0 && byte == 0x80) return 0;
        if (index == 8) {
            *out = (value << 8) | byte;
            return 9;
        }
        value = (value << 7) | (byte & 0x7F);
        if (byte < 0x80) {
            *out = value;
            return index + 1;
        }
    }
    return 0;
}

/* Up to `limit` varints ending at `end`, nearest first (sqlite_records._varints_before). */
static Py_ssize_t varints_before(const unsigned char *data, Py_ssize_t end, Py_ssize_t low,
                                 Py_ssize_t limit, varint *found) {
    Py_ssize_t count = 0;
    while (count < limit && end > low && data[end - 1] < 0x80) {
        Py_ssize_t start = end - 1;
        while (start > low && end - start < 9 && data[start - 1] >= 0x80) start--;
        uint64_t value;
        int length = read_varint(data, start, end, &value);
        if (length == 0 || length != end - start) break;
        found[count].value = value;
        found[count].start = start;
        count++;
        end = start;
    }
    return count;
}

static uint64_t serial_size(uint64_t serial) {
    static const uint64_t sizes[12] = {0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0};
    return serial < 12 ? sizes[serial] : (serial - 12) / 2;
}

static int allowed(uint64_t serial, Py_ssize_t column, const shape *s) {
    if (serial == 10 || serial == 11) return 0;
    if (column == s->rowid_alias) return serial == 0;
    if (serial == 0) return !(s->not_null && s->not_null[column]);
    if (s->kinds[column] == 'I') return serial <= 9;
    if (s->kinds[column] == 'T') return serial >= 13 && serial % 2 == 1;
    return 1;
}

/* One code point of strict UTF-8 (as bytes.decode("utf-8") accepts it) at text[*i]; -1 when
 * the bytes are not valid UTF-8. */
static long utf8_next(const unsigned char *text, Py_ssize_t size, Py_ssize_t *i) {
    unsigned char c = text[*i];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    int more;
    long cp, least;
    if (c >= 0xC2 && c <= 0xDF) more = 1, cp = c & 0x1F, least = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) more = 2, cp = c & 0x0F, least = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) more = 3, cp = c & 0x07, least = 0x10000;
    else return -1;
    if (*i + more >= size) return -1;
    for (int k = 1; k <= more; k++) {
        unsigned char next = text[*i + k];
        if ((next & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    *i += more + 1;
    return cp;
}

/* The URL column's text decodes as UTF-8 and matches https?://[^\s\x00-\x1f\x7f]+ whole (it
 * starts with the scheme found, so only its characters are judged). */
static int url_text_ok(const unsigned char *text, Py_ssize_t size) {
    Py_ssize_t i = 0;
    while (i < size) {
        long cp = utf8_next(text, size, &i);
        if (cp < 0) return 0;
        if (cp <= 0x20 || cp == 0x7F || Py_UNICODE_ISSPACE((Py_UCS4)cp)) return 0;
    }
    return 1;
}

/* The header's serial types fit the shape and put a whole URL at `at`
 * (sqlite_records._fits: FITS, NO_FIT, or OVERFLOWS for a URL running past the page). */
static int fits(const unsigned char *data, const uint64_t *serials, Py_ssize_t count,
                Py_ssize_t body, Py_ssize_t at, Py_ssize_t end, const shape *s) {
    Py_ssize_t url_column = s->url_column;
    Py_ssize_t fewest = s->index ? s->columns : s->min_columns;
    Py_ssize_t least = url_column + 1 > fewest ? url_column + 1 : fewest;
    if (count < least || count > s->columns) return NO_FIT;
    for (Py_ssize_t i = 0; i < count; i++)
        if (!allowed(serials[i], i, s)) return NO_FIT;
    uint64_t url_serial = serials[url_column];
    if (url_serial < 33 || url_serial % 2 == 0) return NO_FIT;
    uint64_t position = (uint64_t)body, url_offset = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i == url_column) url_offset = position;
        uint64_t size = serial_size(serials[i]);
        position = size >= FAR - position ? FAR : position + size;
    }
    if (url_offset != (uint64_t)at) return NO_FIT;
    uint64_t url_size = serial_size(url_serial);
    if (position > (uint64_t)end) {
        uint64_t length = url_size;
        if ((uint64_t)(end - at) < length) length = (uint64_t)(end - at);
        if (length > OVERFLOW_EVIDENCE) length = OVERFLOW_EVIDENCE;
        for (uint64_t k = 0; k < length; k++) {
            unsigned char c = data[at + (Py_ssize_t)k];
            if (c < 0x21 || c > 0x7E) return NO_FIT;
        }
        return length > 0 ? OVERFLOWS : NO_FIT;
    }
    return url_text_ok(data + at, (Py_ssize_t)url_size) ? FITS : NO_FIT;
}

typedef struct {
    Py_ssize_t header_start, body, count;
    int complete;
    uint64_t serials[MAX_COLUMNS + 1];
} carved;

/* The second reading of chain[index]: its last byte alone (sqlite_records._readings). */
static int second_reading(const unsigned char *data, const varint *chain, Py_ssize_t index,
                          Py_ssize_t at, varint *out) {
    Py_ssize_t end = index ? chain[index - 1].start : at;
    if (end - chain[index].start <= 1) return 0;
    out->value = data[end - 1];
    out->start = end - 1;
    return 1;
}

/* sqlite_records._carve_at: FITS (into *out), NO_FIT or OVERFLOWS. */
static int carve_at(const unsigned char *data, Py_ssize_t at, Py_ssize_t body, Py_ssize_t low,
                    Py_ssize_t end, const shape *s, varint *chain, carved *out) {
    Py_ssize_t columns = s->columns;
    Py_ssize_t links = varints_before(data, body, low, columns + 1, chain);
    Py_ssize_t top = links - 1 < columns ? links - 1 : columns;
    for (Py_ssize_t count = top; count > s->url_column; count--) {
        varint readings[2] = {chain[count], {0, 0}};
        int many = 1 + second_reading(data, chain, count, body, &readings[1]);
        for (int r = 0; r < many; r++) {
            if (readings[r].value != (uint64_t)(body - readings[r].start)) continue;
            for (Py_ssize_t i = 0; i < count; i++) out->serials[i] = chain[count - 1 - i].value;
            int fit = fits(data, out->serials, count, body, at, end, s);
            if (fit == FITS) {
                out->header_start = readings[r].start;
                out->body = body;
                out->count = count;
                out->complete = 1;
            }
            if (fit != NO_FIT) return fit;
            break; /* the other reading checks the same serial types */
        }
    }
    if (s->index || body != at) return NO_FIT;
    int implicit_null = s->rowid_alias == 0 && s->url_column == 1;
    for (int pass = 0; pass < 2; pass++) {
        Py_ssize_t count = pass == 0 ? columns : columns - 1;
        if ((pass == 1 && !implicit_null) || links < count || count < 1) continue;
        Py_ssize_t prefix = pass == 1 ? 1 : 0;
        varint readings[2] = {chain[count - 1], {0, 0}};
        int many = 1 + second_reading(data, chain, count - 1, at, &readings[1]);
        for (int r = 0; r < many; r++) {
            Py_ssize_t n = 0;
            if (prefix) out->serials[n++] = 0;
            out->serials[n++] = readings[r].value;
            for (Py_ssize_t i = count - 2; i >= 0; i--) out->serials[n++] = chain[i].value;
            int fit = fits(data, out->serials, n, at, at, end, s);
            if (fit == FITS) {
                out->header_start = readings[r].start;
                out->body = at;
                out->count = n;
                out->complete = 0;
            }
            if (fit != NO_FIT) return fit;
        }
    }
    return NO_FIT;
}

/* sqlite_records.carve_record without the values: FITS into *out, else NO_FIT (an overflowing
 * URL stops this shape's attempts at this place). */
static int carve_record(const unsigned char *data, Py_ssize_t at, Py_ssize_t low, Py_ssize_t end,
                        const shape *s, varint *chain, carved *out) {
    static const Py_ssize_t integer_first[] = {0, 1, 2, 3, 4, 6, 8};
    const Py_ssize_t *befores = integer_first;
    Py_ssize_t many = 0;
    if (s->url_column == 0 || (s->url_column == 1 && s->rowid_alias == 0)) many = 1;
    else if (s->url_column == 1 && s->kinds[0] == 'I') many = 7;
    for (Py_ssize_t k = 0; k < many; k++) {
        int fit = carve_at(data, at, at - befores[k], low, end, s, chain, out);
        if (fit == FITS) return FITS;
        if (fit == OVERFLOWS) return NO_FIT;
    }
    return NO_FIT;
}

static int shape_from(PyObject *spec, shape *out) {
    PyObject *kinds, *not_null;
    int index;
    if (!PyTuple_Check(spec) ||
        !PyArg_ParseTuple(spec, "nnnpnO!O!", &out->columns, &out->url_column, &out->rowid_alias,
                          &index, &out->min_columns, &PyBytes_Type, &kinds, &PyBytes_Type,
                          &not_null)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a shape is (columns, url_column, rowid_alias, "
                                             "index, min_columns, kinds, not_null)");
        return -1;
    }
    out->index = index;
    if (out->columns < 1 || out->columns > MAX_COLUMNS || out->url_column < 0 ||
        out->url_column >= out->columns || out->rowid_alias < -1 ||
        out->rowid_alias >= out->columns || PyBytes_GET_SIZE(kinds) != out->columns ||
        (PyBytes_GET_SIZE(not_null) != 0 && PyBytes_GET_SIZE(not_null) != out->columns)) {
        PyErr_SetString(PyExc_ValueError, "a shape's sizes do not agree");
        return -1;
    }
    out->kinds = PyBytes_AS_STRING(kinds);
    out->not_null = PyBytes_GET_SIZE(not_null) ? PyBytes_AS_STRING(not_null) : NULL;
    return 0;
}

/* Every shape of a tuple of specs, in a PyMem array (free with PyMem_Free), and the most columns
 * any has in `widest` (left as it is when larger); NULL with an exception set. */
static shape *shapes_from(PyObject *specs, Py_ssize_t *widest) {
    Py_ssize_t count = PyTuple_GET_SIZE(specs);
    shape *shapes = PyMem_Calloc((size_t)(count ? count : 1), sizeof(shape));
    if (shapes == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (shape_from(PyTuple_GET_ITEM(specs, i), &shapes[i]) < 0) {
            PyMem_Free(shapes);
            return NULL;
        }
        if (shapes[i].columns > *widest) *widest = shapes[i].columns;
    }
    return shapes;
}

/* One column's value (sqlite_records._decode): None, int, float, bytes, or text decoded as
 * UTF-8 with replacement characters. */
static PyObject *decode_value(const unsigned char *at, uint64_t serial) {
    if (serial == 0) return Py_NewRef(Py_None);
    if (serial == 8 || serial == 9) return PyLong_FromLong((long)(serial - 8));
    uint64_t size = serial_size(serial);
    if (serial <= 6) {
        uint64_t bits = 0;
        for (uint64_t k = 0; k < size; k++) bits = (bits << 8) | at[k];
        if (size < 8 && (at[0] & 0x80)) bits |= ~(uint64_t)0 << (8 * size); /* sign */
        return PyLong_FromLongLong((long long)bits);
    }
    if (serial == 7) {
        uint64_t bits = 0;
        for (int k = 0; k < 8; k++) bits = (bits << 8) | at[k];
        double number;
        memcpy(&number, &bits, sizeof number);
        return PyFloat_FromDouble(number);
    }
    if (serial % 2) return PyUnicode_DecodeUTF8((const char *)at, (Py_ssize_t)size, "replace");
    return PyBytes_FromStringAndSize((const char *)at, (Py_ssize_t)size);
}

/* A text holding control characters or replacement characters (sqlite_records._CONTROL). */
static int damaged_text(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if ((c <= 0x1F && c != 0x09 && c != 0x0A && c != 0x0D) || c == 0x7F || c == 0xFFFD)
            return 1;
    }
    return 0;
}

/* The record's values (sqlite_records.record_values): every column's, or, when a text value
 * is damaged, the columns up to the URL's (those from the damaged one on as None). */
static PyObject *record_values(const unsigned char *data, const carved *c, Py_ssize_t url_column,
                               int *damaged) {
    PyObject *values = PyTuple_New(c->count);
    if (values == NULL) return NULL;
    Py_ssize_t position = c->body;
    *damaged = 0;
    for (Py_ssize_t i = 0; i < c->count; i++) {
        PyObject *value = decode_value(data + position, c->serials[i]);
        if (value == NULL) {
            Py_DECREF(values);
            return NULL;
        }
        position += (Py_ssize_t)serial_size(c->serials[i]);
        if (PyUnicode_Check(value) && damaged_text(value)) {
            Py_DECREF(value);
            *damaged = 1;
            PyObject *kept = PyTuple_New(url_column + 1);
            if (kept == NULL) {
                Py_DECREF(values);
                return NULL;
            }
            for (Py_ssize_t j = 0; j <= url_column; j++)
                PyTuple_SET_ITEM(kept, j, Py_NewRef(j < i ? PyTuple_GET_ITEM(values, j) : Py_None));
            for (Py_ssize_t j = i; j < c->count; j++) PyTuple_SET_ITEM(values, j, Py_NewRef(Py_None));
            Py_DECREF(values);
            return kept;
        }
        PyTuple_SET_ITEM(values, i, value);
    }
    return values;
}

static PyObject *found_tuple(const unsigned char *data, Py_ssize_t region, Py_ssize_t at,
                             Py_ssize_t which, const carved *c, Py_ssize_t url_column) {
    int damaged;
    PyObject *values = record_values(data, c, url_column, &damaged);
    if (values == NULL) return NULL;
    return Py_BuildValue("(nnnnONO)", region, at, which, c->header_start,
                         c->complete ? Py_True : Py_False, values,
                         damaged ? Py_True : Py_False);
}

/* Every URL start in [start, end) tried against the shapes; what fits appended to `result`. */
static int carve_one(const unsigned char *data, Py_ssize_t region, Py_ssize_t low,
                     Py_ssize_t start, Py_ssize_t end, const shape *shapes, Py_ssize_t count,
                     varint *chain, carved *out, PyObject *result) {
    Py_ssize_t at = start;
    while (end - at >= 7) {
        const unsigned char *hit = memmem(data + at, (size_t)(end - at), "http", 4);
        if (hit == NULL) break;
        at = hit - data;
        Py_ssize_t scheme = 4 + (at + 4 < end && data[at + 4] == 's');
        if (end - at < scheme + 3 || memcmp(data + at + scheme, "://", 3) != 0) {
            at += 1;
            continue;
        }
        for (Py_ssize_t which = 0; which < count; which++) {
            if (carve_record(data, at, low, end, &shapes[which], chain, out) != FITS) continue;
            PyObject *item = found_tuple(data, region, at, which, out, shapes[which].url_column);
            if (item == NULL) return -1;
            int rc = PyList_Append(result, item);
            Py_DECREF(item);
            if (rc < 0) return -1;
            break;
        }
        at += scheme + 3;
    }
    return 0;
}

PyDoc_STRVAR(carve_regions_doc,
    "carve_regions(data, regions, shapes)\n"
    "-> list of (region index, at, shape index, header start, complete, values, damaged)\n\n"
    "Every http:// or https:// in data[start:end] of each region (low, start, end) tried as the\n"
    "URL of each shape in turn (the first that fits wins), headers not read before `low`. A\n"
    "shape is (columns, url_column, rowid_alias or -1, index, min_columns, kinds: bytes of\n"
    "I/T/O, not_null: bytes of 0/1 or b\"\").");

static PyObject *carve_regions(PyObject *self, PyObject *args) {
    PyObject *data_obj, *regions, *shapes_obj;
    if (!PyArg_ParseTuple(args, "OO!O!:carve_regions", &data_obj, &PyList_Type, &regions,
                          &PyTuple_Type, &shapes_obj))
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(data_obj, &view, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *result = NULL;
    shape *shapes = NULL;
    varint *chain = NULL;
    carved *out = NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(shapes_obj), widest = 1;
    shapes = shapes_from(shapes_obj, &widest);
    if (shapes == NULL) goto done;
    chain = PyMem_Malloc((size_t)(widest + 1) * sizeof(varint));
    out = PyMem_Malloc(sizeof(carved));
    if (chain == NULL || out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyList_New(0);
    if (result == NULL) goto done;
    for (Py_ssize_t n = 0; n < PyList_GET_SIZE(regions); n++) {
        Py_ssize_t low, start, end;
        PyObject *region = PyList_GET_ITEM(regions, n);
        if (!PyTuple_Check(region) || !PyArg_ParseTuple(region, "nnn", &low, &start, &end)) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "a region is (low, start, end)");
            Py_CLEAR(result);
            goto done;
        }
        if (low < 0 || start < low || end < start || end > view.len) {
            PyErr_SetString(PyExc_ValueError, "need 0 <= low <= start <= end <= len(data)");
            Py_CLEAR(result);
            goto done;
        }
        if (carve_one(view.buf, n, low, start, end, shapes, count, chain, out, result) < 0) {
            Py_CLEAR(result);
            goto done;
        }
    }
done:
    PyMem_Free(out);
    PyMem_Free(chain);
    PyMem_Free(shapes);
    PyBuffer_Release(&view);
    return result;
}

/* ------------------------------------------------------------------ where free space is */

enum { FREELIST_PAGE = 0, SUPERSEDED_PAGE = 1, UNALLOCATED = 2, FREEBLOCK = 3 };

static unsigned read16(const unsigned char *p) { return ((unsigned)p[0] << 8) | p[1]; }

/* Where the areas found go: listed (page_regions), or carved at once (carve_pages), in file
 * order, a byte two areas claim belonging to the first (sqlite_recovery._collect). */
typedef struct {
    PyObject *list;
    const unsigned char *data;
    const shape *shapes;
    Py_ssize_t count, covered;
    varint *chain;
    carved *out;
} emitter;

static int add_area(emitter *e, int kind, Py_ssize_t page, Py_ssize_t start, Py_ssize_t end) {
    if (e->shapes != NULL) {
        Py_ssize_t low = start, from = start > e->covered ? start : e->covered;
        if (end > e->covered) e->covered = end;
        if (from >= end) return 0;
        return carve_one(e->data, page * 4 + kind, low, from, end, e->shapes, e->count, e->chain,
                         e->out, e->list);
    }
    PyObject *item = Py_BuildValue("(innn)", kind, page, start, end);
    if (item == NULL) return -1;
    int rc = PyList_Append(e->list, item);
    Py_DECREF(item);
    return rc;
}

/* One whole page's areas (sqlite_recovery._DatabaseLayout._page_regions). */
static int page_areas(const unsigned char *data, Py_ssize_t page, Py_ssize_t page_size,
                      Py_ssize_t usable, PyObject *free_pages, PyObject *wal_pages,
                      emitter *out) {
    Py_ssize_t start = (page - 1) * page_size, end = start + usable;
    PyObject *key = PyLong_FromSsize_t(page);
    if (key == NULL) return -1;
    PyObject *first_free = PyDict_GetItemWithError(free_pages, key); /* borrowed */
    int superseded = first_free == NULL && !PyErr_Occurred() ? PySet_Contains(wal_pages, key) : 0;
    Py_DECREF(key);
    if (PyErr_Occurred()) return -1;
    if (first_free != NULL) {
        Py_ssize_t offset = PyLong_AsSsize_t(first_free);
        if (offset == -1 && PyErr_Occurred()) return -1;
        return add_area(out, FREELIST_PAGE, page, start + offset, end);
    }
    if (superseded) return add_area(out, SUPERSEDED_PAGE, page, start, end);
    Py_ssize_t header = start + (page == 1 ? 100 : 0);
    unsigned char type = data[header];
    Py_ssize_t header_size = type == 2 || type == 5 ? 12 : type == 10 || type == 13 ? 8 : 0;
    if (header_size == 0) return 0;
    Py_ssize_t block = read16(data + header + 1), cells = read16(data + header + 3);
    Py_ssize_t content = read16(data + header + 5);
    if (content == 0) content = 65536;
    Py_ssize_t pointers_end = header + header_size + 2 * cells;
    if (!(pointers_end <= start + content && start + content <= end)) return 0;
    if (add_area(out, UNALLOCATED, page, pointers_end, start + content) < 0) return -1;
    Py_ssize_t hops = 0;
    while (block && hops < page_size / 4) {
        hops++;
        if (!(content <= block && block <= usable - 4)) break;
        Py_ssize_t next = read16(data + start + block), size = read16(data + start + block + 2);
        if (size < 4 || block + size > usable) break;
        if (add_area(out, FREEBLOCK, page, start + block, start + block + size) < 0) return -1;
        if (next && next <= block) break;
        block = next;
    }
    return 0;
}

PyDoc_STRVAR(page_regions_doc,
    "page_regions(data, page_size, usable, pages, free_pages, wal_pages)\n"
    "-> list of (kind, page, start, end)\n\n"
    "The recoverable areas of whole pages 1..pages in file order (sqlite_recovery's\n"
    "_DatabaseLayout._page_regions): kind 0 a free-list page (free_pages: page -> its first\n"
    "free byte), 1 a page the WAL supersedes (wal_pages), 2 a b-tree page's unallocated space,\n"
    "3 a freeblock.");

/* page_regions() and carve_pages(): `shapes_obj` NULL lists the areas, else carves them. */
static PyObject *walk_pages(PyObject *args, int carve) {
    PyObject *data_obj, *free_pages, *wal_pages, *shapes_obj = NULL;
    Py_ssize_t page_size, usable, pages;
    if (carve ? !PyArg_ParseTuple(args, "OnnnO!O!O!:carve_pages", &data_obj, &page_size, &usable,
                                  &pages, &PyDict_Type, &free_pages, &PySet_Type, &wal_pages,
                                  &PyTuple_Type, &shapes_obj)
              : !PyArg_ParseTuple(args, "OnnnO!O!:page_regions", &data_obj, &page_size, &usable,
                                  &pages, &PyDict_Type, &free_pages, &PySet_Type, &wal_pages))
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(data_obj, &view, PyBUF_SIMPLE) < 0) return NULL;
    emitter e = {NULL, view.buf, NULL, 0, 0, NULL, NULL};
    shape *shapes = NULL;
    if (page_size < 512 || page_size > 65536 || usable < 1 || usable > page_size || pages < 0 ||
        pages > view.len / page_size) {
        PyErr_SetString(PyExc_ValueError, "page geometry does not fit the data");
        goto done;
    }
    if (carve) {
        Py_ssize_t count = PyTuple_GET_SIZE(shapes_obj), widest = 1;
        shapes = shapes_from(shapes_obj, &widest);
        if (shapes == NULL) goto done;
        e.shapes = shapes;
        e.count = count;
        e.chain = PyMem_Malloc((size_t)(widest + 1) * sizeof(varint));
        e.out = PyMem_Malloc(sizeof(carved));
        if (e.chain == NULL || e.out == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    e.list = PyList_New(0);
    if (e.list == NULL) goto done;
    for (Py_ssize_t page = 1; page <= pages; page++) {
        if (page_areas(view.buf, page, page_size, usable, free_pages, wal_pages, &e) < 0) {
            Py_CLEAR(e.list);
            goto done;
        }
    }
done:
    PyMem_Free(e.out);
    PyMem_Free(e.chain);
    PyMem_Free(shapes);
    PyBuffer_Release(&view);
    return e.list;
}

static PyObject *page_regions(PyObject *self, PyObject *args) { return walk_pages(args, 0); }

PyDoc_STRVAR(carve_pages_doc,
    "carve_pages(data, page_size, usable, pages, free_pages, wal_pages, shapes)\n"
    "-> list of (page * 4 + kind, at, shape index, header start, complete, values, damaged)\n\n"
    "page_regions' areas carved as carve_regions carves them, without listing them (a byte two\n"
    "areas claim belongs to the first).");

static PyObject *carve_pages(PyObject *self, PyObject *args) { return walk_pages(args, 1); }

static PyMethodDef methods[] = {
    {"carve_regions", carve_regions, METH_VARARGS, carve_regions_doc},
    {"page_regions", page_regions, METH_VARARGS, page_regions_doc},
    {"carve_pages", carve_pages, METH_VARARGS, carve_pages_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sqlitecarve",
    "Deleted SQLite records carved around URLs in free space (sqlite_records.py's loop).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__sqlitecarve(void) { return PyModule_Create(&module); }
