"""The command's entry point (``dailydiff``, ``python -m dailydiff``): `--version` answered without importing
the command line (bench/startup.py measures it); everything else goes to dailydiff.cli."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # the one answer that needs no parser
        from dailydiff import __version__

        print(f"dailydiff {__version__}")
        return
    from dailydiff.cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
