"""Uploaded files into the corpus folder, through the same loader as ingest.

A file the loader cannot use is refused with its reason and the others are still added; names
are reduced to their last part, so nothing lands outside ``<corpus>/<folder>``; a name already
taken gets a number.

Example:
    >>> import tempfile, pathlib
    >>> corpus, up = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp()) / "note.md"
    >>> _ = up.write_text("Officials said the road was open.")
    >>> add_files(corpus, [up])
    (['uploads/note.md'], [])
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..schema import Article, LoadIssue
from .loader import DEFAULT_MAX_CHARS, SUPPORTED, load_file


def _name(item: Any) -> tuple[Path, str]:
    """The uploaded file and the safe name to keep it under (Gradio hands over a temp file and
    the name the browser sent)."""
    src = Path(item) if isinstance(item, (str, os.PathLike)) else Path(str(item.name))
    sent = Path(str(getattr(item, "orig_name", None) or src.name)).name
    return src, re.sub(r"[^\w.\-]+", "_", sent).lstrip(".")


def add_files(corpus: Path | str, files: Sequence[Any], folder: str = "uploads",
              max_chars: int = DEFAULT_MAX_CHARS) -> tuple[list[str], list[str]]:
    """(corpus paths added, one message per refused file or bad line)."""
    target = Path(corpus) / folder
    added: list[str] = []
    refused: list[str] = []
    for item in files:
        src, name = _name(item)
        if not name or Path(name).suffix.lower() not in SUPPORTED:
            refused.append(f"{name or src.name}: not an article file; use one of {', '.join(sorted(SUPPORTED))}")
            continue
        with tempfile.TemporaryDirectory() as tmp:  # read under its final name, as ingest will
            probe = Path(tmp) / name
            try:
                shutil.copyfile(src, probe)
            except OSError as exc:
                refused.append(f"{name}: cannot read the upload ({exc.strerror})")
                continue
            results = list(load_file(probe, Path(tmp), max_chars))
            errors = [str(r).replace(tmp + "/", "") for r in results if isinstance(r, LoadIssue) and r.level == "error"]
        if not any(isinstance(r, Article) for r in results):
            refused.append("; ".join(errors) or f"{name}: no article in the file")
            continue
        target.mkdir(parents=True, exist_ok=True)
        dest, n = target / name, 1
        while dest.exists():
            dest, n = target / f"{Path(name).stem}-{n}{Path(name).suffix}", n + 1
        shutil.copyfile(src, dest)
        added.append(str(dest.relative_to(corpus)))
        refused += errors  # a JSON Lines file's bad lines are reported; its good lines load
    return added, refused
