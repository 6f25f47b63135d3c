"""The metrics of an evaluation, as pure functions over passages, answers and test items; the
benchmarks use these same functions.

Example:
    >>> answer_hit(["“Squid Game”"], "Netflix renewed Squid Game.")
    True
    >>> reciprocal_rank(gold_rank(["a", "b", "c"], {"c"}))
    0.3333333333333333
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from ..answer.verify import support
from ..schema import Claim, Passage, Source
from ..text import fold


def normalise(text: str) -> str:
    """Lower case, accents folded, quote marks and full stops dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"[\"“”‘’'.,]", "", fold(text))).strip()


def answer_hit(answers: Iterable[str], text: str) -> bool:
    """Whether one of the accepted ``answers`` occurs in ``text``."""
    t = normalise(text)
    return any(normalise(a) and normalise(a) in t for a in answers)


def ranked_articles(passages: Sequence[Passage]) -> list[str]:
    """The distinct articles of ranked passages, in order."""
    return list(dict.fromkeys(p.chunk.article_id for p in passages))


def gold_rank(ranked: Sequence[str], gold: Iterable[str]) -> int | None:
    """The 0-based rank of the first gold item, None when none is there."""
    gold = set(gold)
    return next((i for i, x in enumerate(ranked) if x in gold), None)


def passage_rank(passages: Sequence[Passage], snippets: Iterable[str]) -> int | None:
    """The rank of the first passage that holds one of the gold ``snippets``."""
    wanted = [normalise(s) for s in snippets if normalise(s)]
    return next((i for i, p in enumerate(passages) if any(w in normalise(p.chunk.text) for w in wanted)), None)


def hit_at(rank: int | None, k: int) -> float:
    return float(rank is not None and rank < k)


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (rank + 1)


def expectation_met(contains: str, parties: Sequence[str], claims: Sequence[Claim]) -> tuple[bool, str | None]:
    """(met, party found): a claim holds ``contains`` (in its text or quote) with one of ``parties``."""
    want = normalise(contains)
    holding = [c for c in claims if want in normalise(c.text) or want in normalise(c.quote)]
    if not holding:
        return False, None
    right = [c for c in holding if not parties or c.party in parties]
    return bool(right), (right or holding)[0].party


def _cited(claim: Claim, sources: Sequence[Source]) -> list[Source]:
    by_n = {s.n: s for s in sources}
    return [by_n[n] for n in claim.sources if n in by_n]


def citation_valid(claim: Claim, sources: Sequence[Source], extractive: bool, min_support: float = 0.5) -> bool:
    """The claim is held by what it cites: its quote stands in a cited passage, and (extractive)
    the claim is that quote or (model) the quote supports the claim."""
    cited = _cited(claim, sources)
    if not cited or not claim.quote or not any(claim.quote in s.passage for s in cited):
        return False
    return claim.text == claim.quote if extractive else support(claim.text, claim.quote) >= min_support


def citation_recall_precision(claim: Claim, sources: Sequence[Source], min_support: float = 0.5) -> tuple[float, list[bool]]:
    """ALCE's citation recall (the cited passages together support the claim) and, per citation,
    whether it is precise (it supports the claim alone, or the others do not without it), with
    lexical support standing in for entailment."""
    cited = _cited(claim, sources)
    if not cited:
        return 0.0, []
    together = support(claim.text, " ".join(s.passage for s in cited)) >= min_support
    if not together:
        return 0.0, [False] * len(cited)
    precise = []
    for i, s in enumerate(cited):
        alone = support(claim.text, s.passage) >= min_support
        rest = " ".join(o.passage for j, o in enumerate(cited) if j != i)
        precise.append(alone or not (rest and support(claim.text, rest) >= min_support))
    return 1.0, precise


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def prf(hits: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``hits`` matches among ``predicted`` and ``gold`` items."""
    p = hits / predicted if predicted else 0.0
    r = hits / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def span_overlap(span: tuple[int, int], pieces: Iterable[Sequence[int]]) -> int:
    """Characters ``span`` shares with the (start, end) ``pieces``."""
    return sum(max(0, min(span[1], b) - max(span[0], a)) for a, b in pieces)
