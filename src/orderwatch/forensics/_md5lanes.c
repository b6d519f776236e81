#define PY_SSIZE_T_CLEAN
#include <Python.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_md5lanes", "placeholder", -1, NULL};

PyMODINIT_FUNC PyInit__md5lanes(void) { return PyModule_Create(&module); }
