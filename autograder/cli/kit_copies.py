"""`python -m autograder.cli.kit_copies [--check]`: the kit's copies of grader facts, rewritten.

The student kit (assignments/cursocnn/) ships without the grader, so what it needs of it is
copied in, generated from the one source:

- cursocnn/allowlist.py's GUARDED: the objects the declarations mark `guarded=True`
  (autograder/suites/<id>/__init__.py), between its GENERATED markers;
- cursocnn/hint_texts.py: the misconception texts (autograder.text.feedback) of the keys the
  kit's hints can name.

--check writes nothing and exits 1 when a copy is stale (tests/kit/test_kit_hints.py and
tests/suites/test_trust_static.py check the same).
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from autograder import locations

KIT = os.path.join(locations.PACKAGE_PARENT, "assignments", "cursocnn")
ALLOWLIST = os.path.join(KIT, "allowlist.py")
HINT_TEXTS = os.path.join(KIT, "hint_texts.py")

BEGIN = "# BEGIN GENERATED: python -m autograder.cli.kit_copies (the declarations' guarded=True)\n"
END = "# END GENERATED\n"

HINT_TEXTS_HEADER = '''"""The grader's misconception texts (Spanish) for the keys the kit's hints can name.

A copy of autograder.text.feedback.misconception_text(key, "es") (the kit cannot import the grader).
Generated file: do not edit by hand; `python -m autograder.cli.kit_copies` rewrites it.
"""
'''


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def guarded_block() -> str:
    from autograder.grading.registry import guarded
    names = guarded()
    lines, line = [], "GUARDED = ("
    for name in names:
        item = f"{name!r}, ".replace("'", '"')
        if len(line) + len(item) > 100:
            lines.append(line.rstrip())
            line = " " * len("GUARDED = (")
        line += item
    lines.append(line.rstrip().rstrip(",") + ")")
    return BEGIN + "\n".join(lines) + "\n" + END


def allowlist_text() -> str:
    """allowlist.py with its GENERATED block made from the declarations."""
    text = _read(ALLOWLIST)
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{ALLOWLIST}: the GENERATED markers are missing")
    return pattern.sub(lambda _m: guarded_block(), text, count=1)


def hint_texts_text() -> str:
    if os.path.dirname(KIT) not in sys.path:
        sys.path.insert(0, os.path.dirname(KIT))
    from autograder.text.feedback import misconception_text
    from autograder.text.i18n import tr
    from cursocnn import hints
    lines = [HINT_TEXTS_HEADER, f"PREFIX = {tr('es', 'Posible causa: {cause}.')!r}", "", "TEXTS = {"]
    for key in sorted(hints.KEYS):
        lines.append(f"    {key!r}: {misconception_text(key, 'es')!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def stale() -> list[str]:
    """The kit files whose copy differs from what the grader says now."""
    return [path for path, want in ((ALLOWLIST, allowlist_text()), (HINT_TEXTS, hint_texts_text()))
            if _read(path) != want]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.cli.kit_copies", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a copy is stale")
    args = parser.parse_args(argv)
    if args.check:
        out = stale()
        for path in out:
            print(f"stale: {os.path.relpath(path)}")
        return 1 if out else 0
    for path, text in ((ALLOWLIST, allowlist_text()), (HINT_TEXTS, hint_texts_text())):
        if _read(path) != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
