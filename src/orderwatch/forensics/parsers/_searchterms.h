/* Search terms from result-page URLs, in C: search_engines.extract_search for one engine table.
 *
 * search_table_build() reads the Python table (SearchEngine rows) once; search_match() then
 * judges a URL's UTF-8 bytes with no Python object, so a module may call it in a tight loop:
 *   SEARCH_HIT     the engine's index in the table and the term (UTF-8) in the caller's buffer;
 *   SEARCH_MISS    extract_search gives None;
 *   SEARCH_UNSURE  anything not judged here exactly as Python would (non-ASCII, escapes decoding
 *                  to invalid UTF-8 or to non-ASCII whitespace, the tab, CR, LF and brackets
 *                  urlsplit treats specially): ask extract_search.
 * Every function is static, so more than one module may include this file.
 */
#ifndef ORDERWATCH_SEARCHTERMS_H
#define ORDERWATCH_SEARCHTERMS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

enum { SEARCH_MISS = 0, SEARCH_HIT = 1, SEARCH_UNSURE = 2 };

/* search_engines._LONGEST_URL; a term is never longer than its URL, so a buffer of this many
 * bytes holds any term search_match writes. */
#define SEARCH_LONGEST_URL 16384

typedef struct {
    const char *text; /* UTF-8, kept alive by search_table.held */
    Py_ssize_t size;
} search_text;

typedef struct {
    search_text name;
    search_text *domains; /* "bing.com": the domain and its sub-domains */
    search_text *labels;  /* "google" of "google.*": the label before a country TLD */
    search_text *paths;   /* none: any path */
    search_text *params;
    Py_ssize_t n_domains, n_labels, n_paths, n_params;
    int has_path_term;
    search_text path_term;
    search_text *texts; /* the allocation the four lists above share */
} search_engine;

typedef struct {
    search_engine *engines;
    Py_ssize_t count;
    PyObject *held; /* the str objects the texts point into */
    /* The keys: a first label of each engine's domains and each name label, in an open-addressed
     * table of `key_slots` (a power of two) slots. An engine answers on a host only when one of
     * the host's labels is a key (see search_may_answer), so a host with none is a miss. */
    search_text *keys;
    Py_ssize_t key_slots;
} search_table;

/* ------------------------------------------------------------------ building (Python) */

static void search_table_free(search_table *table) {
    for (Py_ssize_t i = 0; table->engines != NULL && i < table->count; i++)
        PyMem_Free(table->engines[i].texts);
    PyMem_Free(table->engines);
    PyMem_Free(table->keys);
    Py_CLEAR(table->held);
    memset(table, 0, sizeof *table);
}

/* A str's UTF-8, kept alive in `held`; ascii: it must be ASCII (the matcher compares domains,
 * paths and params bytewise with the ASCII parts of a URL). */
static int search_text_of(PyObject *value, PyObject *held, int ascii, search_text *out) {
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "search engine fields must be str");
        return -1;
    }
    if (ascii && !PyUnicode_IS_ASCII(value)) {
        PyErr_SetString(PyExc_ValueError, "search engine domains, paths, params must be ASCII");
        return -1;
    }
    out->text = PyUnicode_AsUTF8AndSize(value, &out->size);
    return out->text == NULL ? -1 : PyList_Append(held, value);
}

/* The tuple attribute `name` of an engine (new reference). */
static PyObject *search_field(PyObject *engine, const char *name) {
    PyObject *value = PyObject_GetAttrString(engine, name);
    if (value != NULL && !PyTuple_Check(value)) {
        Py_DECREF(value);
        PyErr_Format(PyExc_TypeError, "SearchEngine.%s must be a tuple", name);
        return NULL;
    }
    return value;
}

static int search_is_label(search_text domain) { /* "google.*" */
    return domain.size >= 2 && memcmp(domain.text + domain.size - 2, ".*", 2) == 0;
}

static int search_engine_from(PyObject *row, search_engine *engine, PyObject *held) {
    int rc = -1;
    PyObject *name = PyObject_GetAttrString(row, "name");
    PyObject *domains = search_field(row, "domains"), *paths = search_field(row, "paths");
    PyObject *params = search_field(row, "params");
    PyObject *path_term = PyObject_GetAttrString(row, "path_term");
    if (!name || !domains || !paths || !params || !path_term) goto done;
    if (search_text_of(name, held, 0, &engine->name) < 0) goto done;
    Py_ssize_t n = PyTuple_GET_SIZE(domains), texts = n + PyTuple_GET_SIZE(paths);
    texts += PyTuple_GET_SIZE(params);
    if ((engine->texts = PyMem_Calloc((size_t)texts + 1, sizeof(search_text))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* the domains, then the name labels ("google.*" read as "google"), paths, params */
    search_text *next = engine->texts, label;
    engine->domains = next;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (search_text_of(PyTuple_GET_ITEM(domains, i), held, 1, next) < 0) goto done;
        if (!search_is_label(*next)) next++, engine->n_domains++;
    }
    engine->labels = next;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (search_text_of(PyTuple_GET_ITEM(domains, i), held, 1, &label) < 0) goto done;
        if (search_is_label(label)) label.size -= 2, *next++ = label, engine->n_labels++;
    }
    engine->paths = next;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(paths); i++, next++, engine->n_paths++)
        if (search_text_of(PyTuple_GET_ITEM(paths, i), held, 1, next) < 0) goto done;
    engine->params = next;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(params); i++, next++, engine->n_params++)
        if (search_text_of(PyTuple_GET_ITEM(params, i), held, 1, next) < 0) goto done;
    engine->has_path_term = path_term != Py_None;
    if (engine->has_path_term && search_text_of(path_term, held, 1, &engine->path_term) < 0)
        goto done;
    rc = 0;
done:
    Py_XDECREF(name);
    Py_XDECREF(domains);
    Py_XDECREF(paths);
    Py_XDECREF(params);
    Py_XDECREF(path_term);
    return rc;
}

static size_t search_key_hash(const char *text, Py_ssize_t size) { /* FNV-1a */
    size_t hash = 2166136261u;
    for (Py_ssize_t i = 0; i < size; i++) hash = (hash ^ (unsigned char)text[i]) * 16777619u;
    return hash;
}

/* Is `text` a key of the table? */
static int search_is_key(const search_table *table, const char *text, Py_ssize_t size) {
    size_t mask = (size_t)table->key_slots - 1;
    for (size_t at = search_key_hash(text, size) & mask;; at = (at + 1) & mask) {
        search_text key = table->keys[at];
        if (key.text == NULL) return 0;
        if (key.size == size && memcmp(key.text, text, (size_t)size) == 0) return 1;
    }
}

static void search_add_key(search_table *table, search_text key) {
    if (search_is_key(table, key.text, key.size)) return;
    size_t mask = (size_t)table->key_slots - 1, at = search_key_hash(key.text, key.size) & mask;
    while (table->keys[at].text != NULL) at = (at + 1) & mask;
    table->keys[at] = key;
}

/* The keys of the table's engines (their domains' first labels, their name labels). */
static int search_keys_build(search_table *table) {
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < table->count; i++)
        count += table->engines[i].n_domains + table->engines[i].n_labels;
    table->key_slots = 16;
    while (table->key_slots < 4 * count) table->key_slots *= 2; /* at most a quarter full */
    table->keys = PyMem_Calloc((size_t)table->key_slots, sizeof(search_text));
    if (table->keys == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < table->count; i++) {
        const search_engine *engine = &table->engines[i];
        for (Py_ssize_t d = 0; d < engine->n_domains; d++) {
            search_text first = engine->domains[d];
            const char *dot = memchr(first.text, '.', (size_t)first.size);
            if (dot != NULL) first.size = dot - first.text;
            search_add_key(table, first);
        }
        for (Py_ssize_t n = 0; n < engine->n_labels; n++) search_add_key(table, engine->labels[n]);
    }
    return 0;
}

/* The table of `engines` (a tuple of SearchEngine rows): 0, or -1 with an exception set. */
static int search_table_build(PyObject *engines, search_table *table) {
    memset(table, 0, sizeof *table);
    if (!PyTuple_Check(engines)) {
        PyErr_SetString(PyExc_TypeError, "engines must be a tuple of SearchEngine");
        return -1;
    }
    table->count = PyTuple_GET_SIZE(engines);
    table->held = PyList_New(0);
    table->engines = PyMem_Calloc((size_t)table->count + 1, sizeof(search_engine));
    if (table->held == NULL || table->engines == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        search_table_free(table);
        return -1;
    }
    for (Py_ssize_t i = 0; i < table->count; i++) {
        if (search_engine_from(PyTuple_GET_ITEM(engines, i), &table->engines[i], table->held) < 0) {
            search_table_free(table);
            return -1;
        }
    }
    if (search_keys_build(table) < 0) {
        search_table_free(table);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ matching (no Python) */

/* Python's str.isspace() for ASCII (also \s of _HOST and str.strip/split): \t \n \v \f \r,
 * the separators \x1c-\x1f and space. */
static int search_space(unsigned char c) {
    return (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= ' ');
}

static unsigned char search_lower(unsigned char c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* What a URL's byte ends, one table lookup a byte: the netloc's first part (/ ? # @), the host
 * (those and : [ ]), and a byte past ASCII (the matcher is then unsure). */
enum { SEARCH_ENDS_NETLOC = 1, SEARCH_ENDS_HOST = 2, SEARCH_NOT_ASCII = 4 };
#define SEARCH_CLASS(c)                                                                         \
    (((c) == '/' || (c) == '?' || (c) == '#' || (c) == '@')                                    \
         ? SEARCH_ENDS_NETLOC | SEARCH_ENDS_HOST                                                \
     : ((c) == ':' || (c) == '[' || (c) == ']') ? SEARCH_ENDS_HOST                              \
     : (c) >= 0x80                              ? SEARCH_NOT_ASCII                              \
                                                : 0)
#define SEARCH_CLASS4(c) SEARCH_CLASS(c), SEARCH_CLASS(c + 1), SEARCH_CLASS(c + 2), SEARCH_CLASS(c + 3)
#define SEARCH_CLASS16(c) SEARCH_CLASS4(c), SEARCH_CLASS4(c + 4), SEARCH_CLASS4(c + 8), SEARCH_CLASS4(c + 12)
#define SEARCH_CLASS64(c)                                                                       \
    SEARCH_CLASS16(c), SEARCH_CLASS16(c + 16), SEARCH_CLASS16(c + 32), SEARCH_CLASS16(c + 48)
static const unsigned char search_classes[256] = {SEARCH_CLASS64(0), SEARCH_CLASS64(64),
                                                  SEARCH_CLASS64(128), SEARCH_CLASS64(192)};

/* text.lower() == want (ASCII text) */
static int search_lower_equals(const char *text, Py_ssize_t size, search_text want) {
    if (size != want.size) return 0;
    for (Py_ssize_t i = 0; i < size; i++)
        if (search_lower((unsigned char)text[i]) != (unsigned char)want.text[i]) return 0;
    return 1;
}

/* _EngineIndex._candidates for one engine: `host` (lower case, trailing dots gone) is one of
 * its domains or under one, or holds a name label followed by a country TLD: one label, or
 * two with the first at most 3 long (google.de, google.co.uk). */
static int search_engine_answers(const search_engine *engine, const char *host, Py_ssize_t size) {
    for (Py_ssize_t d = 0; d < engine->n_domains; d++) {
        search_text domain = engine->domains[d];
        Py_ssize_t at = size - domain.size; /* the cheap tests first: most hosts fail them */
        if (at >= 0 && (at == 0 || host[at - 1] == '.') &&
            (domain.size == 0 || host[at] == domain.text[0]) &&
            memcmp(host + at, domain.text, (size_t)domain.size) == 0)
            return 1;
    }
    for (const char *label = host; engine->n_labels > 0;) {
        const char *dot = memchr(label, '.', (size_t)(host + size - label));
        if (dot == NULL) break; /* the last label has no TLD after it */
        const char *rest = dot + 1, *end = host + size;
        const char *second = memchr(rest, '.', (size_t)(end - rest));
        int tld = second == NULL || (second - rest <= 3 &&
                                     memchr(second + 1, '.', (size_t)(end - second - 1)) == NULL);
        for (Py_ssize_t n = 0; tld && n < engine->n_labels; n++)
            if (engine->labels[n].size == dot - label &&
                memcmp(label, engine->labels[n].text, (size_t)(dot - label)) == 0)
                return 1;
        label = rest;
    }
    return 0;
}

/* Can any engine answer on `host` (lower case)? Only if one of its labels is a key: a domain
 * it is or is under begins one of its labels (after a dot or at its start, up to a dot or its
 * end), and a name label is one of its labels. No key: no engine answers (a miss, cheaply). */
static int search_may_answer(const search_table *table, const char *host, Py_ssize_t size) {
    for (const char *label = host, *end = host + size;;) {
        const char *dot = memchr(label, '.', (size_t)(end - label));
        const char *stop = dot != NULL ? dot : end;
        if (search_is_key(table, label, stop - label)) return 1;
        if (dot == NULL) return 0;
        label = dot + 1;
    }
}

static int search_hex(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = search_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The next byte of unquote(text.replace("+", " ")) before its UTF-8 decoding, from text[*at]:
 * "+" is a space, "%" and two hex digits a byte, anything else itself ("%zz" stays). */
static unsigned char search_unquoted(const char *text, Py_ssize_t size, Py_ssize_t *at) {
    unsigned char c = (unsigned char)text[(*at)++];
    if (c == '+') return ' ';
    if (c == '%' && size - *at >= 2) {
        int high = search_hex((unsigned char)text[*at]);
        int low = search_hex((unsigned char)text[*at + 1]);
        if (high >= 0 && low >= 0) {
            *at += 2;
            return (unsigned char)(high * 16 + low);
        }
    }
    return c;
}

/* Does the unquoted name equal `want` (ASCII)? Byte by byte: a decoded byte of 0x80 or more
 * (part of a non-ASCII or replacement character) never equals an ASCII one. */
static int search_name_is(const char *name, Py_ssize_t size, search_text want) {
    Py_ssize_t at = 0, n = 0;
    while (at < size)
        if (n >= want.size || search_unquoted(name, size, &at) != (unsigned char)want.text[n++])
            return 0;
    return n == want.size;
}

/* The size of the valid UTF-8 sequence at p (as Python's strict decoder reads it), 0 if none. */
static int search_utf8(const unsigned char *p, Py_ssize_t left) {
    unsigned char c = p[0], low = 0x80, high = 0xBF;
    int size;
    if (c >= 0xC2 && c <= 0xDF) size = 2;
    else if (c >= 0xE0 && c <= 0xEF) size = 3, low = c == 0xE0 ? 0xA0 : low,
                                     high = c == 0xED ? 0x9F : high; /* no overlong, surrogate */
    else if (c >= 0xF0 && c <= 0xF4) size = 4, low = c == 0xF0 ? 0x90 : low,
                                     high = c == 0xF4 ? 0x8F : high; /* up to U+10FFFF */
    else return 0;
    if (left < size || p[1] < low || p[1] > high) return 0;
    for (int k = 2; k < size; k++)
        if (p[k] < 0x80 || p[k] > 0xBF) return 0;
    return size;
}

/* The non-ASCII characters str.isspace() takes: U+0085, U+00A0, U+1680, U+2000-U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000 (a test checks the list against Python's). */
static int search_wide_space(const unsigned char *p, int size) {
    if (size == 2) return p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0);
    if (size != 3) return 0;
    unsigned code = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    return code == 0x1680 || (code >= 0x2000 && code <= 0x200A) || code == 0x2028 ||
           code == 0x2029 || code == 0x202F || code == 0x205F || code == 0x3000;
}

/* _clean(unquote(raw.replace("+", " "))) into out: its size (0: no term), or -1 (UNSURE) when
 * the bytes are not UTF-8 (Python would put U+FFFD) or hold non-ASCII whitespace. */
static Py_ssize_t search_term(const char *raw, Py_ssize_t size, char *out) {
    Py_ssize_t n = 0, at = 0, kept = 0;
    while (at < size) out[n++] = (char)search_unquoted(raw, size, &at);
    /* " ".join(term.split()) in place: `kept` never passes `at`, as a gap ate a byte */
    int gap = 0;
    for (at = 0; at < n;) {
        const unsigned char *p = (const unsigned char *)out + at;
        int step = 1;
        if (*p < 0x80 && search_space(*p)) {
            gap = kept > 0, at++;
            continue;
        }
        if (*p >= 0x80 && ((step = search_utf8(p, n - at)) == 0 || search_wide_space(p, step)))
            return -1;
        if (gap) out[kept++] = ' ', gap = 0;
        memmove(out + kept, p, (size_t)step);
        kept += step, at += step;
    }
    return kept;
}

/* search_engines._term for one engine: the term's size in out, 0 for none, -1 for UNSURE. */
static Py_ssize_t search_engine_term(const search_engine *engine, const char *path,
                                     Py_ssize_t path_size, const char *parts[2],
                                     const Py_ssize_t part_sizes[2], char *out) {
    if (engine->has_path_term) {
        search_text prefix = engine->path_term;
        if (path_size < prefix.size || !search_lower_equals(path, prefix.size, prefix)) return 0;
        const char *segment = path + prefix.size, *end = path + path_size;
        const char *slash = memchr(segment, '/', (size_t)(end - segment));
        return search_term(segment, (slash ? slash : end) - segment, out);
    }
    Py_ssize_t trimmed = path_size;
    while (trimmed > 0 && path[trimmed - 1] == '/') trimmed--;
    const char *normalised = trimmed ? path : "/";
    trimmed = trimmed ? trimmed : 1;
    int listed = engine->n_paths == 0;
    for (Py_ssize_t i = 0; i < engine->n_paths && !listed; i++)
        listed = search_lower_equals(normalised, trimmed, engine->paths[i]);
    if (!listed) return 0;
    /* the query, then the fragment; in each the params in the engine's order, then the values
     * in the URL's order (parse_qs's lists); name=value pairs with a value only */
    for (int t = 0; t < 2; t++) {
        const char *text = parts[t], *end = parts[t] + part_sizes[t];
        for (Py_ssize_t i = 0; i < engine->n_params; i++) {
            for (const char *part = text; part < end;) {
                const char *amp = memchr(part, '&', (size_t)(end - part));
                const char *stop = amp ? amp : end;
                const char *equals = memchr(part, '=', (size_t)(stop - part));
                if (equals && equals + 1 < stop &&
                    search_name_is(part, equals - part, engine->params[i])) {
                    Py_ssize_t size = search_term(equals + 1, stop - equals - 1, out);
                    if (size != 0) return size;
                }
                part = stop + 1;
            }
        }
    }
    return 0;
}

static int search_host_char(unsigned char c) {
    return !(search_classes[c] & SEARCH_ENDS_HOST);
}

/* search_engines.extract_search(url) for `table`: SEARCH_HIT (*engine: its index, the term's
 * *term_size bytes in term, which holds SEARCH_LONGEST_URL bytes), SEARCH_MISS or
 * SEARCH_UNSURE. url: UTF-8 (as a str holds it), size bytes. Reads no Python object. */
static int search_match(const search_table *table, const char *url, Py_ssize_t size, char *term,
                        Py_ssize_t *term_size, Py_ssize_t *engine) {
    const unsigned char *u = (const unsigned char *)url;
    Py_ssize_t p = 0;
    if (size > SEARCH_LONGEST_URL) { /* len(url) counts characters: UTF-8's lead bytes */
        Py_ssize_t chars = 0;
        for (Py_ssize_t i = 0; i < size; i++) chars += (u[i] & 0xC0) != 0x80;
        return chars > SEARCH_LONGEST_URL ? SEARCH_MISS : SEARCH_UNSURE;
    }
    /* _HOST: \s*https?:// ignoring case; a non-ASCII byte here may be Unicode whitespace or the
     * long s (U+017F) that re.IGNORECASE matches with "s" */
    while (p < size && search_space(u[p])) p++;
    for (int k = 0; k < 5; k++, p++) {
        if (p < size && u[p] >= 0x80) return SEARCH_UNSURE;
        if (k == 4) {
            if (p < size && search_lower(u[p]) == 's') p++;
            break;
        }
        if (p >= size || search_lower(u[p]) != "http"[k]) return SEARCH_MISS;
    }
    if (size - p < 3 || memcmp(url + p, "://", 3) != 0) return SEARCH_MISS;
    Py_ssize_t netloc = p += 3, host = p, host_end;
    /* (?:[^/?#@]*@)?([^/?#:@\[\]]+): after the first "@" before any /?#, unless nothing is */
    while (p < size && !(search_classes[u[p]] & SEARCH_ENDS_NETLOC)) p++;
    if (p + 1 < size && u[p] == '@' && search_host_char(u[p + 1])) host = p + 1;
    host_end = host;
    while (host_end < size && !(search_classes[u[host_end]] & (SEARCH_ENDS_HOST | SEARCH_NOT_ASCII)))
        host_end++;
    if (host_end < size && u[host_end] >= 0x80) return SEARCH_UNSURE; /* str.lower() past ASCII */
    if (host_end == host) return SEARCH_MISS;
    while (host_end > host && u[host_end - 1] == '.') host_end--; /* .rstrip(".") */
    /* the engines answering on host.lower() (a longer host than this is asked of Python) */
    char lower[256];
    if (host_end - host > (Py_ssize_t)sizeof lower) return SEARCH_UNSURE;
    for (Py_ssize_t i = host; i < host_end; i++) lower[i - host] = (char)search_lower(u[i]);
    if (!search_may_answer(table, lower, host_end - host)) return SEARCH_MISS;
    Py_ssize_t first = 0;
    while (first < table->count && !search_engine_answers(&table->engines[first], lower,
                                                          host_end - host))
        first++;
    if (first == table->count) return SEARCH_MISS; /* most URLs: no engine's host */

    /* _extract: url.strip(), then _split's plain case (urlsplit's path, query, fragment) */
    for (Py_ssize_t i = 0; i < size; i++)
        if (u[i] >= 0x80) return SEARCH_UNSURE;
    Py_ssize_t begin = 0, end = size;
    while (begin < end && search_space(u[begin])) begin++;
    while (end > begin && search_space(u[end - 1])) end--;
    if (end < netloc) return SEARCH_UNSURE;
    for (Py_ssize_t i = begin; i < end; i++)
        if (u[i] == '\t' || u[i] == '\r' || u[i] == '\n' || u[i] == '[' || u[i] == ']')
            return SEARCH_UNSURE; /* urlsplit drops or checks these */
    for (p = netloc; p < end && u[p] != '/' && u[p] != '?' && u[p] != '#';) p++;
    const char *rest = url + p, *stop = url + end;
    const char *hash = memchr(rest, '#', (size_t)(stop - rest));
    const char *before = hash ? hash : stop;
    const char *question = memchr(rest, '?', (size_t)(before - rest));
    const char *parts[2] = {question ? question + 1 : before, hash ? hash + 1 : stop};
    const Py_ssize_t part_sizes[2] = {before - parts[0], hash ? stop - hash - 1 : 0};
    const char *path_end = question ? question : before;
    const char *semicolon = memchr(rest, ';', (size_t)(path_end - rest)); /* ;matrix parts */
    Py_ssize_t path_size = (semicolon ? semicolon : path_end) - rest;

    for (Py_ssize_t e = first; e < table->count; e++) {
        if (e > first && !search_engine_answers(&table->engines[e], lower, host_end - host))
            continue;
        Py_ssize_t found = search_engine_term(&table->engines[e], rest, path_size, parts,
                                              part_sizes, term);
        if (found < 0) return SEARCH_UNSURE;
        if (found > 0) {
            *term_size = found;
            *engine = e;
            return SEARCH_HIT;
        }
    }
    return SEARCH_MISS;
}

#endif /* ORDERWATCH_SEARCHTERMS_H */
