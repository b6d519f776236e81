/* What orderwatch's hashlib-like C objects share (_md5lanes.c, _shalanes.c): taking a context's
 * lock without blocking other threads, hex digests, and the buffers of a list of chunks with
 * errors that name the item. Include after <Python.h> and <pythread.h>.
 */
#ifndef ORDERWATCH_HASH_OBJECTS_H
#define ORDERWATCH_HASH_OBJECTS_H

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

#endif /* ORDERWATCH_HASH_OBJECTS_H */
