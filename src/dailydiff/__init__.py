"""dailydiff: a day of commits, explained."""

from importlib import metadata as _metadata

try:
    # The installed distribution's version (pyproject.toml is its only source): what `--version`, feeds,
    # footers and the workflows `init` writes show.
    __version__ = _metadata.version("dailydiff")
except _metadata.PackageNotFoundError:  # a source tree on PYTHONPATH that was never installed
    __version__ = "0+unknown"
