"""dailydiff: a day of commits, explained."""

__version__ = "0.1.0"
