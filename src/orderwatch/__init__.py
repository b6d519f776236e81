"""orderwatch: order-compliance monitoring and device triage for public-protection units."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orderwatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
