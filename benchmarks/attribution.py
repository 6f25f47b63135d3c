"""Attribution benchmark on PolNeAR (content, source and cue spans).

    .venv/bin/python benchmarks/attribution.py ../shared/data/polnear/dev.jsonl [--limit N]

A predicted attribution matches a gold one when their content spans overlap (one-to-one,
largest overlap first). Reports content precision, recall and F1 at overlap and at exact match
(span ends compared after trimming spaces, quote marks and final punctuation), and on matched
pairs the share whose source span overlaps the gold source, and cue accuracy (cue spans overlap).
The outlet's own voice (kind "unattributed") is not an attribution in PolNeAR and is left out.
The data stays in ../shared: nothing here is derived from it.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.attribution.engine import attribute_text  # noqa: E402
from assistant.evaluation.metrics import prf, span_overlap  # noqa: E402

_TRIM = " \t\n\"'“”‘’.,;:"


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in _TRIM:
        a += 1
    while b > a and text[b - 1] in _TRIM:
        b -= 1
    return a, b


def _bounds(spans: list[list[int]]) -> tuple[int, int]:
    return min(s[0] for s in spans), max(s[1] for s in spans)


def evaluate(docs) -> dict[str, float]:
    tp = n_pred = n_gold = exact = 0
    src_ok = src_total = cue_ok = cue_total = 0
    for doc in docs:
        text = doc["text"]
        gold = [g for g in doc["attributions"] if g.get("content", {}).get("spans")]
        pred = [p for p in attribute_text(text) if p.kind != "unattributed"]
        n_pred += len(pred)
        n_gold += len(gold)
        pairs = []
        for i, p in enumerate(pred):
            for j, g in enumerate(gold):
                ov = span_overlap((p.content.start, p.content.end), g["content"]["spans"])
                if ov > 0:
                    pairs.append((ov, i, j))
        used_p, used_g = set(), set()
        for ov, i, j in sorted(pairs, reverse=True):
            if i in used_p or j in used_g:
                continue
            used_p.add(i)
            used_g.add(j)
            tp += 1
            p, g = pred[i], gold[j]
            if _trim(text, p.content.start, p.content.end) == _trim(text, *_bounds(g["content"]["spans"])):
                exact += 1
            if g.get("source"):
                src_total += 1
                if p.source and span_overlap((p.source.start, p.source.end), g["source"]["spans"]) > 0:
                    src_ok += 1
            if g.get("cue"):
                cue_total += 1
                if p.cue and span_overlap((p.cue.start, p.cue.end), g["cue"]["spans"]) > 0:
                    cue_ok += 1

    (po, ro, fo), (pe, re_, fe) = prf(tp, n_pred, n_gold), prf(exact, n_pred, n_gold)
    return {"docs": len(docs), "gold": n_gold, "predicted": n_pred,
            "overlap_p": po, "overlap_r": ro, "overlap_f1": fo,
            "exact_p": pe, "exact_r": re_, "exact_f1": fe,
            "source_acc": src_ok / src_total if src_total else 0.0,
            "cue_acc": cue_ok / cue_total if cue_total else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    docs = [json.loads(line) for line in args.path.open(encoding="utf-8") if line.strip()]
    docs = docs[: args.limit] if args.limit else docs
    t = time.perf_counter()
    result = evaluate(docs)
    result["seconds"] = time.perf_counter() - t
    for key, value in result.items():
        print(f"{key:>12}: {value:.3f}" if isinstance(value, float) else f"{key:>12}: {value}")


if __name__ == "__main__":
    main()
