"""Check a language model's draft claims against the passages, in code: the model proposes, this
module decides what the reader sees.

- A citation to a passage that does not exist is dropped; a claim left with none, or whose cited
  passages do not support it, is re-cited to the passage that does, or removed.
- The quote must be words of the cited passage; one that is not (paraphrased, invented) is
  replaced by the passage's sentence that best supports the claim.
- Support is lexical: the share of the claim's key terms (stemmed, accents folded) found in the
  quote, and every number of the claim must be in it too, since figures are what sides dispute.
- The party, speaker, cue and kind come from the attribution of the quoted words, never from the
  model; where the model named another party, the claim is flagged.

Example:
    >>> support("Ganja was hit by missiles, the ministry said", "missiles hit Ganja, the ministry said")
    1.0
    >>> support("7 civilians were killed", "5 civilians were killed in Ganja")
    0.0
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from ..attribution.parties import PartyRegistry
from ..schema import OUTLET, Answer, Attribution, Claim, Draft, Passage, Source
from ..text import fold, numbers, terms
from .extractive import NOT_FOUND, party_name
from .render import finished

_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "‹": "<", "›": ">", "–": "-", "—": "-", "\u00a0": " "})
_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{0,200}>")


def support(claim: str, quote: str) -> float:
    """Share of the claim's key terms found in ``quote``; 0 when a figure of the claim is not there."""
    wanted = set(terms(claim))
    if not wanted or numbers(claim) - numbers(quote):
        return 0.0
    return len(wanted & set(terms(quote))) / len(wanted)


def clean_text(text: str) -> str:
    """A model's claim as plain text: no citation markers (code adds them), links or tags."""
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", _MARKERS.sub(" ", text))
    return re.sub(r"\s+", " ", text).strip()


def _normalised(text: str) -> tuple[str, list[int]]:
    """``text`` folded for matching (case, quotes, dashes, runs of space) and each character's
    offset in the original."""
    out: list[str] = []
    where: list[int] = []
    space = True
    for i, ch in enumerate(text.translate(_FOLD)):
        if ch.isspace():
            if space:
                continue
            ch, space = " ", True
        else:
            space = False
        for c in fold(ch):
            out.append(c)
            where.append(i)
    return "".join(out), where


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text`` (offsets into ``text``), forgiving case, quote marks,
    dashes and spacing; None when it is not there."""
    needle, _ = _normalised(quote.strip().strip("\"'“”‘’").strip(". …").strip())
    if len(needle) < 3:
        return None
    hay, where = _normalised(text)
    at = hay.find(needle.strip())
    if at < 0:
        return None
    return where[at], where[at + len(needle.strip()) - 1] + 1


def _candidate_spans(p: Passage) -> list[tuple[int, int]]:
    """What may stand as a quote, in chunk offsets: each attribution's own words (source, cue
    and content), then whole sentences; the narrower first, so that a sentence in which two
    parties speak is quoted by the part the claim rests on."""
    c = p.chunk
    regions = [(lo - c.start, hi - c.start) for s in c.sentences for lo, hi in (a.region for a in s.attributions)
               if c.start <= lo and hi <= c.end]
    sentences = [(s.start - c.start, s.end - c.start) for s in c.sentences]
    return regions + sentences or [(0, len(c.text))]


def _span_support(claim: str, p: Passage, span: tuple[int, int]) -> float:
    """Support of ``claim`` by the words at ``span`` together with who said them: "X said Y" is
    supported by Y and by the attribution of Y to X."""
    text = p.chunk.text[span[0]:span[1]]
    a = attribution_at(p, *span)
    if a is not None:
        text = " ".join(filter(None, [text, a.speaker, a.speaker_description, a.cue.text if a.cue else None]))
    return support(claim, text)


def _best_span(claim: str, p: Passage, quote: str, min_support: float) -> tuple[tuple[int, int], float, bool]:
    """The span of ``p`` that supports ``claim``: the model's quote when it is really there and
    supports the claim; else the passage's best sentence. Returns (span, support, quote_was_used)."""
    found = locate(quote, p.chunk.text) if quote else None
    if found:
        score = _span_support(claim, p, found)
        if score >= min_support:
            return found, score, True
    scored = [(_span_support(claim, p, s), s) for s in _candidate_spans(p)]
    best_score, best = max(scored, key=lambda x: x[0])
    return best, best_score, False


def attribution_at(p: Passage, start: int, end: int) -> Attribution | None:
    """The attribution that covers most of ``[start, end)`` (chunk offsets); None: the outlet's voice."""
    a0, a1 = start + p.chunk.start, end + p.chunk.start
    best, best_overlap = None, 0
    for s in p.chunk.sentences:
        if s.end <= a0 or s.start >= a1:
            continue
        for a in s.attributions:
            lo, hi = a.region
            overlap = min(hi, a1) - max(lo, a0)
            if overlap > best_overlap:
                best, best_overlap = a, overlap
    return best


def _same_party(said: str, party: str, name: str, registry: PartyRegistry) -> bool:
    said_f = fold(said).strip()
    return said_f in {fold(party), fold(name)} or registry.match(said) == party


def verify(
    question: str, drafts: Sequence[Draft], passages: Sequence[Passage], registry: PartyRegistry, min_support: float = 0.5
) -> Answer:
    """The model's drafts as checked claims with renumbered sources; ``found: false`` when none holds."""
    sources: dict[str, Source] = {}
    claims: list[Claim] = []
    removed: list[str] = []
    seen: set[tuple[str, int, int]] = set()
    for draft in drafts:
        text = clean_text(draft.text)
        if not text:
            continue
        flags: list[str] = []
        cited = []
        for n in dict.fromkeys(draft.sources):
            if 1 <= n <= len(passages):
                cited.append(n)
            else:
                flags.append(f"citation [{n}] names no passage; dropped")
        # each cited passage's best support for the claim
        checked = [(n, *_best_span(text, passages[n - 1], draft.quote, min_support)) for n in cited]
        good = [c for c in checked if c[2] >= min_support]
        if not good:  # re-cite to the passage that does support it, if any
            others = [(n, *_best_span(text, passages[n - 1], draft.quote, min_support)) for n in range(1, len(passages) + 1)
                      if n not in cited]
            repaired = [c for c in others if c[2] >= min_support]
            if not repaired:
                removed.append(text)
                continue
            good = [max(repaired, key=lambda c: c[2])]
            was = ", ".join(f"[{n}]" for n in cited) or "no passage"
            flags.append(f"citation {was} does not support the claim; re-cited to [{good[0][0]}]")
        good.sort(key=lambda c: (-c[3], -c[2]))  # the model's own quote first, then best support
        n, (start, end), score, used_quote = good[0]
        p = passages[n - 1]
        if not used_quote:
            flags.append("quote replaced by the passage's own words" if draft.quote else "quote added from the passage")
        key = (p.chunk.id, start, end)
        if key in seen:
            continue
        seen.add(key)
        a = attribution_at(p, start, end)
        party = a.party if a else OUTLET
        name = party_name(registry, a)
        if draft.party and not _same_party(draft.party, party, name, registry):
            flags.append(f"the model said party {draft.party!r}; the quoted words are {name}'s ({party})")
        numbers_cited = []
        for m, *_ in good:
            chunk = passages[m - 1].chunk
            if chunk.id not in sources:
                q = passages[m - 1]
                sources[chunk.id] = Source(len(sources) + 1, chunk.article_id, q.title, chunk.text, chunk.start,
                                           chunk.end, q.url, q.published, q.source)
            numbers_cited.append(sources[chunk.id].n)
        claims.append(Claim(
            text=text, quote=p.chunk.text[start:end], party=party, party_name=name,
            speaker=a.speaker if a else None, cue=a.cue.text if a and a.cue else None,
            kind=a.kind if a else "unattributed", sources=tuple(numbers_cited), support=round(score, 3),
            flags=tuple(flags),
        ))
    notice = None
    if removed:
        notice = (f"{len(removed)} claim{'s' if len(removed) > 1 else ''} of the language model "
                  f"{'were' if len(removed) > 1 else 'was'} removed: no passage supports "
                  f"{'them' if len(removed) > 1 else 'it'}.")
    if not claims:
        return Answer(question=question, answer=NOT_FOUND, found=False, mode="llm", notice=notice)
    return finished(question, claims, list(sources.values()), mode="llm", notice=notice)
