"""The domain core: pure Python, no framework imports (tests/test_import_boundaries.py)."""
