/* What orderwatch's hashlib-like C objects share (_md5lanes.c, _shalanes.c): their first fields,
 * making, copying and freeing them, taking a context's lock without blocking other threads, hex
 * digests, and the buffers of a list of chunks with errors that name the item. Include after
 * <Python.h>, <pythread.h> and <stdint.h>.
 */
#ifndef ORDERWATCH_HASH_OBJECTS_H
#define ORDERWATCH_HASH_OBJECTS_H

#include <stddef.h> /* offsetof */
#include <string.h> /* memcpy */

/* Updates at least this long run with the GIL released. */
#define GIL_RELEASE_BYTES 2048

/* Takes a context's lock; if another thread holds it, waits with the GIL released. */
static void
lock_context(PyThread_type_lock lock)
{
    if (!PyThread_acquire_lock(lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

/* A digest as lower-case hex text (at most 64 bytes). */
static PyObject *
hex_digest(const unsigned char *digest, int size)
{
    static const char hex[] = "0123456789abcdef";
    char text[128];
    for (int i = 0; i < size; i++) {
        text[2 * i] = hex[digest[i] >> 4];
        text[2 * i + 1] = hex[digest[i] & 15];
    }
    return PyUnicode_FromStringAndSize(text, 2 * size);
}

/* Gets buffer `item` of `name`[index] into view, or sets TypeError/BufferError naming it. */
static int
get_indexed_buffer(PyObject *item, const char *name, Py_ssize_t index, Py_buffer *view)
{
    if (!PyObject_CheckBuffer(item)) {
        PyErr_Format(PyExc_TypeError, "%s[%zd] is not a bytes-like object (got %.100s)", name,
                     index, Py_TYPE(item)->tp_name);
        return -1;
    }
    if (PyObject_GetBuffer(item, view, PyBUF_SIMPLE) < 0) {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        PyErr_NormalizeException(&type, &value, &traceback);
        PyObject *exc_type = type != NULL && PyErr_GivenExceptionMatches(type, PyExc_BufferError)
                                 ? PyExc_BufferError
                                 : PyExc_TypeError;
        PyErr_Format(exc_type, "%s[%zd] cannot be hashed: %S", name, index,
                     value != NULL ? value : Py_None);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
        return -1;
    }
    return 0;
}

/* The fields every hash object starts with; its algorithm's state follows (plain data only:
 * hash_object_copy copies everything after `lock` as bytes). */
#define HASH_OBJECT_HEAD                                                                         \
    PyObject_HEAD                                                                                \
    PyThread_type_lock lock; /* held while the state changes with the GIL released */           \
    uint64_t length;         /* bytes hashed so far; length % 64 of them wait in pending */     \
    unsigned char pending[64];

typedef struct {
    HASH_OBJECT_HEAD
} HashObject;

/* A module's own maker (the object with its algorithm's initial state) and buffer update. */
typedef HashObject *(*hash_alloc_fn)(PyTypeObject *type);
typedef int (*hash_update_fn)(HashObject *self, PyObject *data);

/* A new object of `type` with its lock and nothing hashed (the caller sets the state); NULL with
 * an exception set. `what` names the context in the error ("MD5"). */
static HashObject *
hash_object_alloc(PyTypeObject *type, const char *what)
{
    HashObject *self = (HashObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        Py_DECREF(self);
        PyErr_Format(PyExc_MemoryError, "cannot allocate the %s context's lock", what);
        return NULL;
    }
    self->length = 0;
    return self;
}

/* tp_new as hashlib's constructors: an optional `data` argument is hashed at once (`format` is
 * the argument format, e.g. "|O:MD5"). */
static PyObject *
hash_object_new(PyTypeObject *type, PyObject *args, PyObject *kwargs, const char *format,
                hash_alloc_fn alloc, hash_update_fn update)
{
    static char *keywords[] = {"data", NULL};
    PyObject *data = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, keywords, &data)) {
        return NULL;
    }
    HashObject *self = alloc(type);
    if (self == NULL) {
        return NULL;
    }
    if (data != NULL && update(self, data) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* copy(): a new object of the same type with everything after the lock as it stands. */
static PyObject *
hash_object_copy(HashObject *self, hash_alloc_fn alloc)
{
    HashObject *other = alloc(Py_TYPE(self));
    if (other == NULL) {
        return NULL;
    }
    size_t start = offsetof(HashObject, length);
    lock_context(self->lock);
    memcpy((char *)other + start, (char *)self + start, (size_t)Py_TYPE(self)->tp_basicsize - start);
    PyThread_release_lock(self->lock);
    return (PyObject *)other;
}

static void
hash_object_dealloc(HashObject *self)
{
    if (self->lock != NULL) {
        PyThread_free_lock(self->lock);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

#endif /* ORDERWATCH_HASH_OBJECTS_H */
