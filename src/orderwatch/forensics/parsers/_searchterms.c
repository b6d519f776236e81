/* Search terms from result-page URLs, in C (orderwatch.forensics.parsers._searchterms).
 *
 * Table(engines, hit).extract(url) gives what search_engines.extract_search(url, engines) gives:
 * hit(engine, term) (a NamedTuple class) or None; or ... (Ellipsis) for a URL the matcher in
 * _searchterms.h cannot judge exactly (non-ASCII, odd escapes, characters urlsplit treats
 * specially), which the caller then reads with the Python path. About 10x cheaper than that
 * path on a search URL read for the first time (a triage reads each history once).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_searchterms.h"

typedef struct {
    PyObject_HEAD
    search_table table;
    PyObject *names; /* the engines' names (str), as the rows hold them */
    PyObject *hit;   /* the results' tuple class: SearchHit */
} Table;

static void Table_dealloc(Table *self) {
    search_table_free(&self->table);
    Py_XDECREF(self->names);
    Py_XDECREF(self->hit);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Table_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *engines, *hit;
    if (!PyArg_ParseTuple(args, "O!O!:Table", &PyTuple_Type, &engines, &PyType_Type, &hit))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)hit, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "hit must be a tuple class (a NamedTuple)");
        return NULL;
    }
    Table *self = (Table *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    if (search_table_build(engines, &self->table) < 0) goto fail;
    self->names = PyTuple_New(self->table.count);
    if (self->names == NULL) goto fail;
    for (Py_ssize_t i = 0; i < self->table.count; i++) {
        search_text name = self->table.engines[i].name;
        PyObject *text = PyUnicode_DecodeUTF8(name.text, name.size, NULL);
        if (text == NULL) goto fail;
        PyTuple_SET_ITEM(self->names, i, text);
    }
    self->hit = Py_NewRef(hit);
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyObject *Table_extract(Table *self, PyObject *url) {
    Py_ssize_t size, term_size = 0, engine = 0;
    const char *text = PyUnicode_AsUTF8AndSize(url, &size);
    if (text == NULL) return NULL;
    char term[SEARCH_LONGEST_URL];
    switch (search_match(&self->table, text, size, term, &term_size, &engine)) {
    case SEARCH_MISS:
        Py_RETURN_NONE;
    case SEARCH_UNSURE:
        return Py_NewRef(Py_Ellipsis);
    }
    PyObject *found = PyUnicode_DecodeUTF8(term, term_size, NULL);
    if (found == NULL) return NULL;
    /* tuple.__new__(hit, (engine, term)), as a NamedTuple's __new__ makes it, without the
     * Python call (half the cost of a hit) */
    PyObject *hit = ((PyTypeObject *)self->hit)->tp_alloc((PyTypeObject *)self->hit, 2);
    if (hit == NULL) {
        Py_DECREF(found);
        return NULL;
    }
    PyTuple_SET_ITEM(hit, 0, Py_NewRef(PyTuple_GET_ITEM(self->names, engine)));
    PyTuple_SET_ITEM(hit, 1, found);
    return hit;
}

static PyMethodDef Table_methods[] = {
    {"extract", (PyCFunction)Table_extract, METH_O,
     "extract(url) -> hit(engine, term), None (no search), or ... (ask the Python path)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orderwatch.forensics.parsers._searchterms.Table",
    .tp_basicsize = sizeof(Table),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Table(engines, hit): search_engines' table (SearchEngine rows), read once; "
              "hit: the results' NamedTuple class",
    .tp_new = Table_new,
    .tp_dealloc = (destructor)Table_dealloc,
    .tp_methods = Table_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_searchterms",
    .m_doc = "Search terms from result-page URLs, in C.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__searchterms(void) {
    if (PyType_Ready(&TableType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Table", (PyObject *)&TableType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
