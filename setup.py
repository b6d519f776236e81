"""orderwatch's own C: the hot loops that Python cannot run fast enough.

Everything else about the package is in pyproject.toml. `pip install` builds these with gcc and the
Python headers (`make test` and `make demo` do it); after changing a .c or .h
file, run `make native`.
Each module is optional: where it cannot be built the install goes on with a warning and the code
uses its pure-Python path (slower, same results; the tests compare the two).
"""

from pathlib import Path

from setuptools import Extension, setup

_FLAGS = ["-O3", "-Wall", "-Wextra", "-Wno-unused-parameter"]

# (module, what it does and which Python falls back)
_MODULES = [
    # MD5 of many files at once in SIMD lanes, AVX2 when the CPU has it (hashing.py: hashlib).
    "orderwatch.forensics._md5lanes",
    # SHA-1 and SHA-256 of a file together, two files abreast, with SHA-NI (hashing.py: hashlib).
    "orderwatch.forensics._shalanes",
    # Byte histograms for a file's entropy (hashing.py: numpy).
    "orderwatch.forensics._bytecounts",
    # Keyword matching's fast key, windows and hits (textmatch.py's Python path).
    "orderwatch.domain._textkey",
    # A browser history's visits as report.json lines (parsers/sqlite_plugins/visit_lines.py).
    "orderwatch.forensics.parsers._visitlines",
    # Search terms from search-engine URLs (parsers/search_engines.py's Python path).
    "orderwatch.forensics.parsers._searchterms",
    # Deleted SQLite records carved around URLs in free space (parsers/sqlite_records.py).
    "orderwatch.forensics.parsers._sqlitecarve",
]


# Headers the modules include (a change rebuilds them all).
_HEADERS = [
    "src/orderwatch/forensics/_sha_blocks.h",
    "src/orderwatch/forensics/_hash_objects.h",
    "src/orderwatch/forensics/parsers/_searchterms.h",
]


# _visitlines also reads rows straight from SQLite where its header is (Debian libsqlite3-dev).
_SQLITE = any(Path(d, "sqlite3.h").is_file() for d in ("/usr/include", "/usr/local/include"))
_SQLITE_MODULES = {"orderwatch.forensics.parsers._visitlines"} if _SQLITE else set()


def _extension(module: str) -> Extension:
    source = "src/" + module.replace(".", "/") + ".c"
    sqlite = module in _SQLITE_MODULES
    return Extension(
        module,
        sources=[source],
        depends=_HEADERS,
        extra_compile_args=_FLAGS,
        optional=True,
        define_macros=[("VISITLINES_SQLITE", "1")] if sqlite else [],
        libraries=["sqlite3"] if sqlite else [],
    )


setup(ext_modules=[_extension(module) for module in _MODULES])
