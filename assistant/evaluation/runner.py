"""Run a test set through the assistant (or any system with the same ``condense``, ``retrieve``
and ``ask``) and score every item; aggregate overall and per tag.

Example:
    >>> from assistant import Assistant
    >>> from assistant.evaluation.testset import EvalItem
    >>> run = run_eval(Assistant(corpus="corpus"), [EvalItem(question="Who denied firing toward Azerbaijan?",
    ...                                                     expect=[{"contains": "denied", "party": "armenia"}])])
    >>> run.overall["claim_party_accuracy"]
    1.0
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..schema import Answer, Filters
from . import metrics as m
from .testset import EvalItem

RANK_K = 10  # passages retrieved for the ranking metrics
# every metric an aggregate can hold, in report order (latency ones are computed over items)
METRICS = ("hits@1", "hits@5", "hits@10", "mrr", "answer_recall", "claim_party_accuracy", "citation_validity",
           "citation_recall", "citation_precision", "null_accuracy", "latency_p50", "latency_p95")
LOWER_IS_BETTER = {"latency_p50", "latency_p95"}


@dataclass(frozen=True)
class ItemResult:
    id: str
    question: str
    tags: tuple[str, ...]
    scores: dict[str, float]  # only the metrics that apply to the item
    seconds: float
    answer: dict[str, Any]  # the answer's JSON contract
    expected: dict[str, Any]
    failures: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalRun:
    items: tuple[ItemResult, ...]
    overall: dict[str, float]
    per_tag: dict[str, dict[str, float]]
    counts: dict[str, int] = field(default_factory=dict)  # items each overall metric was computed over
    problems: tuple[str, ...] = ()  # test-set lines that could not be used

    def to_dict(self) -> dict[str, Any]:
        return {"overall": self.overall, "counts": self.counts, "per_tag": self.per_tag, "problems": list(self.problems),
                "items": [vars(i) | {"tags": list(i.tags), "failures": list(i.failures)} for i in self.items]}

    def below(self, minimums: dict[str, float]) -> list[str]:
        """The thresholds this run misses, as readable lines."""
        out = []
        for name, bound in minimums.items():
            value = self.overall.get(name)
            if value is None or math.isnan(value):
                out.append(f"{name}: no item measures it (threshold {bound})")
            elif (value > bound) if name in LOWER_IS_BETTER else (value < bound):
                out.append(f"{name} = {value:.3f}, {'above' if name in LOWER_IS_BETTER else 'below'} {bound}")
        return out


def _history(system: Any, item: EvalItem, filters: Filters | None) -> list[tuple[str, Any]]:
    turns: list[tuple[str, Any]] = []
    for t in item.history:
        answer = t.answer if t.answer is not None else system.ask(t.question, history=list(turns), filters=filters)
        turns.append((t.question, answer))
    return turns


def score_item(system: Any, item: EvalItem, min_support: float = 0.5) -> ItemResult:
    """Ask one item (after its earlier turns) and measure what applies to it."""
    filters = Filters(as_of=item.as_of.isoformat()) if item.as_of else None  # asked on that day
    history = _history(system, item, filters)
    started = time.perf_counter()
    answer: Answer = system.ask(item.question, history=history, filters=filters)
    seconds = time.perf_counter() - started
    scores: dict[str, float] = {}
    failures: list[str] = []
    if item.gold_article_ids or item.gold_passages:
        passages = system.retrieve(system.condense(item.question, history), k=RANK_K, filters=filters)
        if item.gold_article_ids:
            rank = m.gold_rank(m.ranked_articles(passages), item.gold_article_ids)
        else:
            rank = m.passage_rank(passages, item.gold_passages)
        for k in (1, 5, 10):
            scores[f"hits@{k}"] = m.hit_at(rank, k)
        scores["mrr"] = m.reciprocal_rank(rank)
        if rank is None or rank >= 5:
            failures.append(f"gold {'article' if item.gold_article_ids else 'passage'} "
                            + ("not retrieved" if rank is None else f"only at rank {rank + 1}"))
    if item.answers:
        scores["answer_recall"] = float(m.answer_hit(item.answers, answer.answer))
        if not scores["answer_recall"]:
            failures.append("no accepted answer in the answer text")
    if item.expect:
        met = 0
        for e in item.expect:
            ok, party = m.expectation_met(e.contains, e.parties, answer.claims)
            met += ok
            if not ok:
                failures.append(f"expected a claim holding {e.contains!r}" + (f" from {'/'.join(e.parties)}" if e.parties else "")
                                + (f"; found it from {party}" if party else "; no claim holds it"))
        scores["claim_party_accuracy"] = met / len(item.expect)
    if answer.claims:
        extractive = answer.mode == "extractive"
        valid = [m.citation_valid(c, answer.sources, extractive, min_support) for c in answer.claims]
        scores["citation_validity"] = sum(valid) / len(valid)
        recall, precise = 0.0, []
        for c in answer.claims:
            r, p = m.citation_recall_precision(c, answer.sources, min_support)
            recall += r
            precise += p
        scores["citation_recall"] = recall / len(answer.claims)
        scores["citation_precision"] = sum(precise) / len(precise) if precise else 0.0
        if not all(valid):
            failures.append(f"{len(valid) - sum(valid)} claim(s) not held by the passages they cite")
    if item.null:
        scores["null_accuracy"] = float(not answer.found and not answer.claims)
        if answer.found:
            failures.append("answered, though nothing in the corpus should answer it")
    elif not answer.found and (item.answers or item.expect):
        failures.append("answered 'nothing found'")
    expected = {k: v for k, v in item.model_dump(exclude={"id", "question", "tags"}).items() if v}
    return ItemResult(item.id or "", item.question, tuple(item.tags), scores, seconds, answer.to_dict(), expected,
                      tuple(failures))


def aggregate(results: Sequence[ItemResult]) -> tuple[dict[str, float], dict[str, int]]:
    """Each metric's mean over the items it applies to, and latency percentiles."""
    out: dict[str, float] = {}
    counts: dict[str, int] = {}
    for name in METRICS:
        values = [r.scores[name] for r in results if name in r.scores]
        if values:
            out[name], counts[name] = sum(values) / len(values), len(values)
    times = [r.seconds for r in results]
    if times:
        out["latency_p50"], out["latency_p95"] = m.percentile(times, 50), m.percentile(times, 95)
        counts["latency_p50"] = counts["latency_p95"] = len(times)
    return out, counts


def run_eval(system: Any, items: Sequence[EvalItem], progress: bool = False, min_support: float = 0.5) -> EvalRun:
    """Score every item; one that raises is recorded as a failure and the run goes on."""
    from tqdm import tqdm

    results = []
    for item in tqdm(items, desc="eval", unit=" items", disable=not progress, leave=False):
        try:
            results.append(score_item(system, item, min_support))
        except Exception as exc:  # an item that breaks the system is a finding, not the end of the run
            results.append(ItemResult(item.id or "", item.question, tuple(item.tags), {}, 0.0, {}, {},
                                      (f"error: {type(exc).__name__}: {exc}",)))
    overall, counts = aggregate(results)
    tags = sorted({t for r in results for t in r.tags})
    per_tag = {t: aggregate([r for r in results if t in r.tags])[0] for t in tags}
    return EvalRun(tuple(results), overall, per_tag, counts)
