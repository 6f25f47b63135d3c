"""Load a corpus folder into :class:`~assistant.schema.Article` objects, one file at a time.

Reads ``.md``/``.markdown``/``.txt`` (YAML front matter optional), ``.html``/``.htm`` (main
text by trafilatura) and ``.json``/``.jsonl`` (one article per object). A file that cannot be
read yields a :class:`~assistant.schema.LoadIssue` naming it and the reason; the others load.

Example:
    >>> from pathlib import Path
    >>> items = list(iter_corpus(Path("corpus")))
    >>> [a.id for a in items if isinstance(a, Article)]
    ['5955795cbc8a8a5d']
"""
from __future__ import annotations

import datetime as dt
import re
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..schema import Article, LoadIssue
from ..settings import Settings

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
# Files that live in a corpus folder but are not articles.
IGNORED_NAMES = {"parties.yaml", "parties.yml", "readme.md", "license", "license.md"}
IGNORED_SUFFIXES = {".yaml", ".yml"}

# Field aliases accepted in front matter and JSON objects.
_TITLE = ("title", "headline")
_TEXT = ("text", "body", "content")
_DATE = ("published", "date", "published_at", "publication_date")
_SOURCE = ("source", "outlet", "publisher")
_BAD_DATE = "published_unparsed"  # metadata key keeping a date that could not be read


class _Skip(Exception):
    """A file (or line) to report and skip."""


DEFAULT_MAX_CHARS = Settings.model_fields["max_article_chars"].default  # one default, the setting's
_BINARY = "binary file (NUL bytes), not text; remove it from the corpus"


def iter_corpus(folder: Path, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Article | LoadIssue]:
    """Yield every article of ``folder`` (recursively, sorted), and an issue for each bad file;
    an article over ``max_chars`` characters is reported, not indexed."""
    folder = Path(folder)
    if not folder.is_dir():
        yield LoadIssue(str(folder), "corpus folder not found; create it or set ASSISTANT_CORPUS / --corpus")
        return
    for path in _walk(folder):
        yield from load_file(path, folder, max_chars)


def _walk(folder: Path) -> Iterator[Path]:
    seen_dirs: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        st = os.stat(root)
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:  # a symlink loop or a second link to the same folder
            dirs[:] = []
            continue
        seen_dirs.add(key)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def _too_long(size: float, unit: str, max_chars: int) -> str:
    return (f"{size:,.0f} {unit}, more than an article may hold ({max_chars:,} characters, ASSISTANT_MAX_ARTICLE_CHARS); "
            "split it into articles or raise the limit")


def load_file(path: Path, root: Path | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Article | LoadIssue]:
    """Load one file; yields its articles and any issues (never raises for bad input)."""
    rel = _relative(path, root)
    suffix = path.suffix.lower()
    if path.name.lower() in IGNORED_NAMES or suffix in IGNORED_SUFFIXES:
        return
    if suffix not in SUPPORTED:
        yield LoadIssue(str(path), f"unsupported file type {suffix or '(none)'}; use .md, .txt, .html, .json or .jsonl", "warning")
        return
    if suffix == ".jsonl":
        # JSON Lines can be a whole archive: read line by line, never the file at once
        items: Iterator[Article | LoadIssue] = _jsonl_articles(path, rel)
    else:
        try:
            # a dump is not an article: refuse it before reading it into memory
            size = path.stat().st_size
            if size > 4 * max_chars + 65536:
                yield LoadIssue(str(path), "file is " + _too_long(size / 1e6, "MB", max_chars))
                return
            raw = path.read_bytes()
        except OSError as exc:
            yield _unreadable(path, exc)
            return
        try:
            text, warning = _decode(raw)
        except _Skip as exc:
            yield LoadIssue(str(path), str(exc))
            return
        if warning:
            yield LoadIssue(str(path), warning, "warning")
        if not text.strip():
            yield LoadIssue(str(path), "file is empty")
            return
        try:
            if suffix in TEXT_SUFFIXES:
                items = iter([_text_article(text, path, rel)])
            elif suffix in HTML_SUFFIXES:
                items = iter([_html_article(text, path, rel)])
            else:
                items = _json_articles(text, path, rel)
        except _Skip as exc:
            yield LoadIssue(str(path), str(exc))
            return
    try:
        for item in items:
            if isinstance(item, Article) and len(item.text) > max_chars:
                yield LoadIssue(f"{path}" + (f"[{item.id}]" if suffix in JSON_SUFFIXES else ""),
                                f"article {item.id!r} is " + _too_long(len(item.text), "characters", max_chars))
                continue
            if isinstance(item, Article) and _BAD_DATE in item.metadata:
                yield LoadIssue(str(path), f"article {item.id!r}: published {item.metadata[_BAD_DATE]!r} is not a date "
                                "(use YYYY-MM-DD); indexed without a date", "warning")
            yield item
    except _Skip as exc:
        yield LoadIssue(str(path), str(exc))


def _relative(path: Path, root: Path | None) -> str:
    try:
        return path.relative_to(root).as_posix() if root else path.name
    except ValueError:
        return path.name


def _unreadable(path: Path, exc: OSError) -> LoadIssue:
    return LoadIssue(str(path), f"cannot read file ({exc.strerror or exc})")


def _legacy(where: str) -> str:
    return f"not valid UTF-8 ({where}); read as Windows-1252/Latin-1, re-save as UTF-8 to silence this"


def _decode(raw: bytes) -> tuple[str, str | None]:
    if b"\x00" in raw[:8192]:
        raise _Skip(_BINARY)
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        # Legacy single-byte text is common in old archives: keep it, but say so.
        return raw.decode("cp1252", errors="replace"), _legacy(f"byte {exc.start}")


def _derived_id(rel: str) -> str:
    stem = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1] else rel
    return stem


_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b")


def _iso_date(value: Any) -> str | None:
    """YYYY-MM-DD of a date value, or None when there is none or it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            pass
    # "2022/06/12", "October 4, 2020", "Sun, 04 Oct 2020": unambiguous forms only; "04/10/2020"
    # could be either day first or month first, so it stays unread (and the loader says so)
    if ymd := _YMD.fullmatch(text):  # what dateutil makes of it, at a fiftieth of its cost
        try:
            return dt.date(*map(int, ymd.groups())).isoformat()
        except ValueError:
            return None
    if _YMD.match(text) or re.search(r"[A-Za-z]{3,}", text):
        from dateutil import parser

        try:
            return parser.parse(text, fuzzy=False).date().isoformat()
        except (ValueError, OverflowError):
            return None
    return None


def _pick(meta: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if meta.get(name) not in (None, ""):
            return meta[name]
    return None


def _article(meta: dict[str, Any], text: str, path: Path, default_id: str, default_title: str) -> Article:
    known = set(_TITLE + _TEXT + _DATE + _SOURCE + ("id", "url", "language", "lang"))
    text = text.strip()
    if not text:
        raise _Skip("article has no text")
    title = _pick(meta, _TITLE)
    extra = {k: _plain(v) for k, v in meta.items() if k not in known}
    raw_date = _pick(meta, _DATE)
    published = _iso_date(raw_date)
    if raw_date is not None and published is None:  # a bad date must not cost the article: keep it undated, and say so
        extra[_BAD_DATE] = str(raw_date)
    return Article(
        id=str(meta.get("id") or default_id),
        title=str(title).strip() if title else default_title,
        text=text,
        published=published,
        source=(str(s) if (s := _pick(meta, _SOURCE)) else None),
        url=(str(meta["url"]) if meta.get("url") else None),
        language=(str(lang) if (lang := _pick(meta, ("language", "lang"))) else None),
        path=str(path),
        metadata=extra,
    )


def _plain(value: Any) -> Any:
    """Metadata as JSON-safe values (YAML gives dates)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _first_line_title(body: str) -> tuple[str, str]:
    body = body.strip()
    first, _, rest = body.partition("\n")
    return first.strip().lstrip("#").strip(), rest


def _text_article(text: str, path: Path, rel: str) -> Article:
    import frontmatter
    import yaml

    if text.lstrip().startswith("---"):
        try:
            post = frontmatter.loads(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise _Skip(f"malformed YAML front matter{where}; fix it or remove the --- block") from None
        meta, body = dict(post.metadata), post.content
        if not isinstance(post.metadata, dict):
            raise _Skip("front matter is not a mapping of fields")
    else:
        meta, body = {}, text
    if _pick(meta, _TITLE):
        return _article(meta, body, path, _derived_id(rel), "")
    title, rest = _first_line_title(body)
    if not rest.strip():  # a one-line file: the line is both title and text
        rest = body
    return _article(meta, rest, path, _derived_id(rel), title)


def _html_article(text: str, path: Path, rel: str) -> Article:
    import trafilatura

    body = trafilatura.extract(text, include_comments=False, include_tables=False, favor_precision=True)
    if not body or not body.strip():
        raise _Skip("no main text found in the HTML page")
    meta_doc = trafilatura.extract_metadata(text)
    meta: dict[str, Any] = {}
    if meta_doc is not None:
        for key, value in (("title", meta_doc.title), ("published", meta_doc.date), ("url", meta_doc.url),
                           ("source", meta_doc.sitename), ("author", meta_doc.author)):
            if value:
                meta[key] = value
    default_title = _first_line_title(body)[0][:120]
    return _article(meta, body, path, _derived_id(rel), default_title)


def _object_article(obj: Any, path: Path, default_id: str) -> Article:
    if not isinstance(obj, dict):
        raise _Skip("expected a JSON object with at least a 'text' (or 'body') field")
    text = _pick(obj, _TEXT)
    if not isinstance(text, str) or not text.strip():
        raise _Skip("missing field 'text' (or 'body')")
    title = _pick(obj, _TITLE)
    default_title = "" if title else _first_line_title(text)[0][:120]
    return _article(obj, text, path, default_id, default_title)


def _json_articles(text: str, path: Path, rel: str) -> Iterator[Article | LoadIssue]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Skip(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    items = data if isinstance(data, list) else [data]
    for i, obj in enumerate(items):
        default_id = _derived_id(rel) if len(items) == 1 else f"{_derived_id(rel)}#{i}"
        try:
            yield _object_article(obj, path, default_id)
        except _Skip as exc:
            yield LoadIssue(f"{path}[{i}]", str(exc))


def _jsonl_articles(path: Path, rel: str) -> Iterator[Article | LoadIssue]:
    """One article per line, read as a stream; the same checks as a whole file (binary, empty,
    not UTF-8), a bad line reported and skipped."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield _unreadable(path, exc)
        return
    with fh:
        if b"\x00" in fh.peek(8192)[:8192]:
            yield LoadIssue(str(path), _BINARY)
            return
        legacy = empty = True
        try:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    line = raw.decode("cp1252", errors="replace")
                    if legacy:  # said once per file, as for a whole file
                        legacy = False
                        yield LoadIssue(str(path), _legacy(f"line {lineno}, byte {exc.start}"), "warning")
                if not line.strip():
                    continue
                empty = False
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as err:
                    yield LoadIssue(f"{path}:{lineno}", f"invalid JSON ({err.msg} at column {err.colno}); line skipped")
                    continue
                try:
                    yield _object_article(obj, path, f"{_derived_id(rel)}#{lineno}")
                except _Skip as err:
                    yield LoadIssue(f"{path}:{lineno}", str(err))
        except OSError as exc:
            yield _unreadable(path, exc)
            return
    if empty:
        yield LoadIssue(str(path), "file is empty")
