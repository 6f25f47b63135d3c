"""The value objects that flow one way through the assistant.

Article -> Chunk (with sentence attributions) -> Passage (retrieved) -> Answer (claims, sources).
All are frozen dataclasses; ``Answer.to_dict()`` is the JSON contract printed by ``ask --json``.

Example:
    >>> a = Article(id="a1", title="T", text="Hello there. Bye.")
    >>> Span("Bye.", 13, 17).text == a.text[13:17]
    True
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["direct", "indirect", "unattributed"]
Mode = Literal["extractive", "llm"]
OUTLET = "outlet"


@dataclass(frozen=True)
class Span:
    """A piece of a text with its ``[start, end)`` character offsets into that text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Article:
    """One article of the corpus; ``text`` is the body the offsets point into."""

    id: str
    title: str
    text: str
    published: str | None = None  # ISO date, YYYY-MM-DD
    source: str | None = None  # the publishing outlet
    url: str | None = None
    language: str | None = None
    path: str | None = None  # the corpus file it came from
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Attribution:
    """Who said what: a content span, its source mention and cue, the resolved speaker and party."""

    content: Span
    kind: Kind
    party: str
    speaker: str | None = None
    source: Span | None = None
    cue: Span | None = None
    speaker_description: str | None = None

    @property
    def region(self) -> tuple[int, int]:
        """From the first of source, cue and content to the last (the offsets of the spans)."""
        parts = [self.content] + [x for x in (self.source, self.cue) if x]
        return min(x.start for x in parts), max(x.end for x in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": asdict(self.source) if self.source else None,
            "cue": asdict(self.cue) if self.cue else None,
            "content": asdict(self.content),
            "speaker": self.speaker,
            "speaker_description": self.speaker_description,
            "party": self.party,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article (article offsets) with the attributions that cover it."""

    start: int
    end: int
    attributions: tuple[Attribution, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article; ``article.text[start:end] == text``."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...] = ()

    def sentence_rows(self) -> list:
        """The sentences and their attributions as compact JSON-ready rows: spans are offsets into
        the article, and a span's text is left out when the chunk's own text holds it (it always
        should), and a sentence that is all the outlet's own voice is just its offsets. Every
        chunk stores this in Chroma, whose writes cost in proportion to it (the span texts had
        tripled them)."""
        def span(x: Span | None) -> list | None:
            if x is None:
                return None
            inside = x.start >= self.start and self.text[x.start - self.start:x.end - self.start] == x.text
            return [x.start, x.end] if inside else [x.start, x.end, x.text]

        def attribution(a: Attribution) -> list:
            row = [a.kind, a.party, span(a.content), span(a.source), span(a.cue), a.speaker, a.speaker_description]
            while row[-1] is None:  # an outlet's own sentence is just kind, party and content
                row.pop()
            return row

        return [[s.start, s.end] if s.attributions == (outlet_voice(self.text, self.start, s.start, s.end),)
                else [s.start, s.end, [attribution(a) for a in s.attributions]] for s in self.sentences]

    @staticmethod
    def sentences_from_rows(rows: list, text: str, start: int) -> tuple[Sentence, ...]:
        """``sentence_rows`` read back, with ``text`` and ``start`` the chunk's."""
        def span(x: list | None) -> Span | None:
            if not x:
                return None
            return Span(x[2] if len(x) > 2 else text[x[0] - start:x[1] - start], x[0], x[1])

        def attribution(row: list) -> Attribution:
            kind, party, content, source, cue, speaker, description = row + [None] * (7 - len(row))
            return Attribution(content=span(content), kind=kind, party=party, speaker=speaker, source=span(source),
                               cue=span(cue), speaker_description=description)

        return tuple(Sentence(row[0], row[1], tuple(attribution(a) for a in row[2]) if len(row) > 2 else
                              (outlet_voice(text, start, row[0], row[1]),)) for row in rows)

    @staticmethod
    def parties_of_rows(rows: list) -> list[str]:
        """The parties speaking in ``sentence_rows``, sorted."""
        parties: set[str] = set()
        for row in rows:
            parties.update([a[1] for a in row[2]] if len(row) > 2 else [OUTLET])
        return sorted(parties)


def outlet_voice(text: str, start: int, s: int, e: int) -> Attribution:
    """The outlet's own voice over ``s``..``e`` (``text`` starts at offset ``start``): what the
    attribution rules give a sentence, or lead, that nobody is said to say."""
    return Attribution(content=Span(text[s - start:e - start], s, e), kind="unattributed", party=OUTLET)


@dataclass(frozen=True)
class Prepared:
    """An article ready to write: everything but the vectors, unless a worker made those. An
    ingest worker makes it and the ingest process unpickles it on its critical path, so it holds
    plain values only (no Chunk objects, not the article's text)."""

    article_id: str
    path: str | None
    title: str
    fingerprint: str
    existed: bool
    ids: list[str]  # the chunks'
    metadatas: list[dict[str, Any]]  # as stored in Chroma
    fields: list[dict[str, Any]]  # what filters read, for the lexical index's arrays
    terms: list[list[str]]  # as BM25 reads them
    # the chunks' vectors, when the model is a static embedding (Embedder.static_parts)
    vectors: Any = None


@dataclass(frozen=True)
class Filters:
    """What a search may return: chunks where one of ``parties`` speaks, from one of ``outlets``
    or ``articles``, published between ``since`` and ``until`` (ISO dates, both included).
    Empty means no restriction."""

    parties: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    # The day the question is asked: "this week" and the latest news are read against it. A
    # preference for what was published shortly before, not a restriction.
    as_of: str | None = None

    def __bool__(self) -> bool:
        """Whether anything is excluded (``as_of`` alone excludes nothing)."""
        return bool(self.parties or self.outlets or self.articles or self.since or self.until)

    def within(self, frame: "Timeframe") -> "Filters | None":
        """These filters narrowed to ``frame``'s days; None when nothing can pass both."""
        since = max(filter(None, (self.since, frame.since)))
        until = min(filter(None, (self.until, frame.until)))
        if since > until:
            return None
        return Filters(self.parties, self.outlets, self.articles, since, until)

    @classmethod
    def build(cls, parties=(), outlets=(), articles=(), since: str | None = None, until: str | None = None,
              as_of: str | None = None) -> "Filters":
        """Checked filters: dates must be ISO (2020-10-04) and ``since`` not after ``until``."""
        from datetime import date

        from .errors import QuestionError

        for name, value in (("since", since), ("until", until), ("as_of", as_of)):
            if value is not None:
                try:
                    date.fromisoformat(str(value)[:10])
                except ValueError:
                    raise QuestionError(f"filter {name}={value!r} is not a date; write it as YYYY-MM-DD") from None
        if since and until and day_number(since) > day_number(until):
            raise QuestionError(f"filter since={since} is after until={until}; swap them")
        return cls(tuple(parties), tuple(outlets), tuple(articles), since and str(since)[:10], until and str(until)[:10],
                   as_of and str(as_of)[:10])


@dataclass(frozen=True)
class Timeframe:
    """The days a question is about (ISO dates, both included) and the words that said so
    (None when only the day it was asked is known)."""

    since: str
    until: str
    phrase: str | None = None


def day_number(iso: str) -> int:
    """'2020-10-04' -> 20201004: Chroma compares only numbers with $gte/$lte."""
    return int(iso[:10].replace("-", ""))


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what the answer needs to cite it."""

    chunk: Chunk
    score: float
    title: str
    published: str | None = None
    source: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Claim:
    """One statement of an answer, the party that made it, and the sources that hold it."""

    text: str
    quote: str
    party: str
    party_name: str
    speaker: str | None
    cue: str | None
    kind: Kind
    sources: tuple[int, ...]
    # how much of the claim's key terms its quote holds (1.0 for an extractive claim)
    support: float = 1.0
    # what code changed or doubted in a model's claim (a repaired citation, a corrected party)
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sources"] = list(self.sources)
        d["flags"] = list(self.flags)
        return d


@dataclass(frozen=True)
class Contrast:
    """Two claims of one answer (indexes into its claims) that tell one event differently."""

    first: int
    second: int
    reason: Literal["figures differ", "denial"]


@dataclass(frozen=True)
class Source:
    """A cited passage: ``article.text[start:end] == passage``."""

    n: int
    article_id: str
    title: str
    passage: str
    start: int
    end: int
    url: str | None = None
    published: str | None = None
    outlet: str | None = None  # the publishing outlet (the article's `source`)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """An answer: markdown with ``[n]`` markers, its claims and its sources."""

    question: str
    answer: str
    found: bool
    claims: tuple[Claim, ...] = ()
    sources: tuple[Source, ...] = ()
    contrasts: tuple[Contrast, ...] = ()  # claims that differ, to read side by side
    mode: Mode = "extractive"  # who wrote the claims: the extractive answerer or a language model
    notice: str | None = None  # what the reader must know: a model that failed, claims removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "claims": [c.to_dict() for c in self.claims],
            "sources": [s.to_dict() for s in self.sources],
            "contrasts": [asdict(c) for c in self.contrasts],
            "mode": self.mode,
            "notice": self.notice,
        }


@dataclass(frozen=True)
class Draft:
    """A claim as a language model proposed it, before code checks it: its citations may not
    exist, its quote may not be in the passage, its party is only the model's word."""

    text: str
    quote: str = ""
    sources: tuple[int, ...] = ()
    party: str | None = None


@dataclass(frozen=True)
class LoadIssue:
    """A corpus file (or a line of one) that could not be ingested, and why."""

    path: str
    reason: str
    level: Literal["error", "warning"] = "error"  # error: skipped; warning: ingested anyway

    def __str__(self) -> str:
        return f"{self.level}: {self.path}: {self.reason}"


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_written: int = 0
    issues: tuple[LoadIssue, ...] = ()
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)
