"""Compile the translation catalogues (``locale/*/LC_MESSAGES/*.po`` → ``.mo``) with polib.

Run by ``make install`` (``python -m peepers.i18n_compile``) so GNU gettext is not needed; the
``.mo`` files are build output and stay out of git. A catalogue is rebuilt only when its ``.po``
is newer than its ``.mo``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib  # type: ignore[import-untyped]  # polib ships no type hints

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogues_compile(*, locale_dir: Path = LOCALE_DIR, force: bool = False) -> list[Path]:
    """Compile every stale catalogue under ``locale_dir``; the ``.mo`` files written."""
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path))
        # Fuzzy entries are guesses a translator has not confirmed: gettext skips them too.
        for entry in catalogue.fuzzy_entries():
            catalogue.remove(entry)
        catalogue.save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def main() -> int:
    for path in catalogues_compile(force="--force" in sys.argv[1:]):
        print(f"compiled {path.relative_to(LOCALE_DIR.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
