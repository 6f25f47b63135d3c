"""The test-set format: one JSON object per line, checked item by item.

A line that is not a valid item is reported with its line number and the field at fault; the
other lines still load (bad input never loses other input).

Example:
    >>> item = EvalItem.model_validate({"question": "Who denied firing?", "expect": [{"contains": "denied", "party": "armenia"}]})
    >>> item.expect[0].parties
    ('armenia',)
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import CorpusError


class Expectation(BaseModel):
    """A claim that must appear: its text holds ``contains``, its party is one of ``party``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    contains: str = Field(min_length=1)
    party: str | list[str] | None = None

    @property
    def parties(self) -> tuple[str, ...]:
        if self.party is None:
            return ()
        return (self.party,) if isinstance(self.party, str) else tuple(self.party)


class Turn(BaseModel):
    """An earlier turn of a conversation; without ``answer`` the runner asks it first."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    question: str
    answer: Any = None


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str | None = None
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    answers: list[str] = Field(default_factory=list)  # accepted answer strings
    expect: list[Expectation] = Field(default_factory=list)
    gold_article_ids: list[str] = Field(default_factory=list)
    gold_passages: list[str] = Field(default_factory=list)  # text a retrieved passage must hold
    null: bool = False  # nothing in the corpus answers
    as_of: date | None = None  # the day the question is asked ("this week" is read against it)
    tags: list[str] = Field(default_factory=list)

    @field_validator("history", mode="before")
    @classmethod
    def _turns(cls, value: Any) -> Any:
        # a bare string is an earlier question whose answer the runner produces
        return [{"question": t} if isinstance(t, str) else t for t in value or []]

    @model_validator(mode="after")
    def _null_has_no_answers(self) -> "EvalItem":
        if self.null and (self.answers or self.expect):
            raise ValueError("a null item (nothing answers it) cannot also list answers or expect")
        return self


def load_testset(path: Path | str) -> tuple[list[EvalItem], list[str]]:
    """The items of a JSONL test set, and one message per line that could not be used."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(str(path), f"cannot read the test set ({exc}); give a UTF-8 JSONL file") from None
    items: list[EvalItem] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = EvalItem.model_validate(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not JSON ({exc.msg}); skipped")
            continue
        except ValidationError as exc:
            where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
            problems.append(f"{path}:{number}: {where}; skipped")
            continue
        items.append(item if item.id else item.model_copy(update={"id": f"{path.stem}:{number}"}))
    if not items:
        raise CorpusError(str(path), "no usable test item" + (f" ({problems[0]})" if problems else "; the file is empty"))
    return items, problems
