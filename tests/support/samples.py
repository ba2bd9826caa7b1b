"""The sample export that ships with the repository (samples/README.md)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# 105 real books, CC0: the README's first command runs it too.
CC0_EXPORT = REPO_ROOT / "samples" / "goodreads_library_export_cc0_2024.csv"
