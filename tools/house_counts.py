"""Print the house's counts (cycles, upward imports, long files and functions, in-function imports) for the
tree this file sits in, or for the folder given: ``python tools/house_counts.py [ROOT] [--list]``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataclasses import replace  # noqa: E402

from layers import MAX_FILE_LINES, MAX_FUNCTION_LINES, check, cycles, read_imports  # noqa: E402 - beside this script


def main(argv: list[str]) -> int:
    show = "--list" in argv
    args = [a for a in argv if a != "--list"]
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    report = check(root)
    every = cycles([replace(i, type_only=False) for i in read_imports(root)])  # type-only imports too
    rows = [
        ("import cycles (modules in a cycle)", [" <-> ".join(c) for c in report.cycles]),
        ("cycles counting type-only imports too", [" <-> ".join(c) for c in every]),
        ("upward imports", report.upward),
        (f"files > {MAX_FILE_LINES} lines", report.long_files),
        (f"functions > {MAX_FUNCTION_LINES} lines", report.long_functions),
        ("in-function imports of tutor/ui modules not marked heavy", report.lazy_imports),
    ]
    for label, items in rows:
        print(f"{len(items):5d}  {label}")
        if show:
            for item in items:
                print(f"         {item}")
    print(
        f"{report.in_function_imports:5d}  in-function imports of tutor/ui modules (of {report.internal_imports})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
