"""orderwatch: order-compliance monitoring and device triage for public-protection units."""

# The one place the version is written (pyproject.toml reads it from here): a constant, so that
# every process's start-up (the CLI, each triage worker) does without importlib.metadata.
__version__ = "0.1.0"

__all__ = ["__version__"]
