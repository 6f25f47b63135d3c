"""The prompt files a user can edit (``prompts/`` or ``ASSISTANT_PROMPTS_DIR``), read once each.

Placeholders are ``{name}``; only the names given are filled, so braces elsewhere in a prompt
(an example, a JSON snippet) stay as written.

Example:
    >>> fill("Question: {question} {kept}", question="Who?")
    'Question: Who? {kept}'
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .errors import SettingsError


@lru_cache(maxsize=32)
def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(
            f"{path}: cannot read the prompt ({exc.strerror}); restore it from the repository or fix ASSISTANT_PROMPTS_DIR"
        ) from None


def load_prompt(name: str, folder: Path | str | None = None) -> str:
    """The text of ``<folder>/<name>.md`` (the bundled ``prompts/`` by default), cached."""
    from .settings import BUNDLED_PROMPTS

    return _read((Path(folder) if folder else BUNDLED_PROMPTS).expanduser().resolve() / f"{name}.md")


def fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template
