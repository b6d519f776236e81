"""orderwatch's own C: the hot loops that Python cannot run fast enough.

Everything else about the package is in pyproject.toml. `pip install` builds these with gcc and the
Python headers (`make test` and `make demo` do it); after changing a .c file, run
`make native`.
"""

from setuptools import Extension, setup

_FLAGS = ["-O3", "-Wall", "-Wextra", "-Wno-unused-parameter"]

setup(
    ext_modules=[
        # MD5 of many files at once in SIMD lanes (AVX2 when the CPU has it).
        Extension(
            "orderwatch.forensics._md5lanes",
            sources=["src/orderwatch/forensics/_md5lanes.c"],
            extra_compile_args=_FLAGS,
        ),
        # Byte histograms for a file's entropy (hashing.py falls back to numpy).
        Extension(
            "orderwatch.forensics._bytecounts",
            sources=["src/orderwatch/forensics/_bytecounts.c"],
            extra_compile_args=_FLAGS,
        ),
        # Keyword matching's fast key, windows and hits (textmatch.py falls back to Python).
        Extension(
            "orderwatch.domain._textkey",
            sources=["src/orderwatch/domain/_textkey.c"],
            extra_compile_args=_FLAGS,
        ),
        # A browser history's visits as report.json lines (forensics/parsers/visit_lines.py).
        Extension(
            "orderwatch.forensics.parsers._visitlines",
            sources=["src/orderwatch/forensics/parsers/_visitlines.c"],
            extra_compile_args=_FLAGS,
        ),
    ]
)
