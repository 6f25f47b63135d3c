"""`assistant eval`: the bundled test set with thresholds (as CI runs it), the report files, bad
lines, failing thresholds, and the metrics themselves."""
from __future__ import annotations

import json
from pathlib import Path

from .conftest import CORPUS, run_cli

SEED_EVAL = Path(__file__).parent / "data" / "seed_eval.jsonl"
# What the extractive assistant must keep on the bundled corpus (measured: README, "Evaluation").
THRESHOLDS = ["hits@5=1.0", "answer_recall=0.9", "claim_party_accuracy=0.9", "citation_validity=1.0",
              "citation_recall=0.95", "null_accuracy=0.8"]


def test_seed_test_set_passes_its_thresholds_and_writes_the_report(tmp_path):
    items = [json.loads(x) for x in SEED_EVAL.read_text(encoding="utf-8").splitlines() if x.strip()]
    tags = {t for i in items for t in i.get("tags", [])}
    assert len(items) >= 30 and {"contrast", "follow-up", "spelling", "null"} <= tags
    args = ["eval", str(SEED_EVAL), "--corpus", str(CORPUS), "--index-dir", str(tmp_path / "idx"),
            "--report", str(tmp_path / "report"), "--progress"]
    for t in THRESHOLDS:
        args += ["--min", t]
    result = run_cli(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| overall" in result.stdout and "tag:null" in result.stdout
    assert "eval" in result.stderr  # the progress bar
    data = json.loads((tmp_path / "report" / "results.json").read_text())
    assert len(data["items"]) == len(items) and data["overall"]["citation_validity"] == 1.0
    md = (tmp_path / "report" / "report.md").read_text()
    assert "## Per tag" in md and "## Failing items" in md
    assert (tmp_path / "report" / "metrics_by_tag.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failing_threshold_exits_non_zero_and_bad_lines_are_reported(tmp_path):
    testset = tmp_path / "t.jsonl"
    testset.write_text("\n".join([
        json.dumps({"question": "Who denied firing toward Azerbaijan?", "expect": [{"contains": "denied", "party": "azerbaijan"}]}),
        "{not json",
        json.dumps({"question": "x", "nul": True}),
        json.dumps({"question": "What is the recipe for banana bread?", "null": True}),
        json.dumps({"question": "Who fired this week?", "as_of": "last Friday"}),
    ]) + "\n")
    result = run_cli("eval", str(testset), "--corpus", str(CORPUS), "--index-dir", str(tmp_path / "idx"),
                     "--min", "claim_party_accuracy=0.5", "--min", "null_accuracy=1")
    assert result.returncode == 1
    assert "t.jsonl:2: not JSON" in result.stderr and "t.jsonl:3: nul: Extra inputs" in result.stderr
    assert "t.jsonl:5: as_of:" in result.stderr
    assert "threshold missed: claim_party_accuracy = 0.000, below 0.5" in result.stderr
    assert "null_accuracy" not in result.stderr.split("threshold missed")[-1]
    unknown = run_cli("eval", str(testset), "--min", "accuracy=1")
    assert unknown.returncode == 2 and "unknown metric 'accuracy'" in unknown.stderr


def test_api_reports_the_party_it_found(seed_assistant):
    from assistant.evaluation.testset import EvalItem

    run = seed_assistant.evaluate([
        EvalItem(question="Who denied firing toward Azerbaijan?", expect=[{"contains": "denied", "party": "azerbaijan"}],
                 tags=["denial"]),
        EvalItem(question="Who denied firing toward Azerbaijan?", expect=[{"contains": "denied", "party": ["armenia", "un"]}],
                 gold_article_ids=["5955795cbc8a8a5d"], tags=["denial"]),
        EvalItem(question="Who denied firing toward Azerbaijan this week?", gold_article_ids=["5955795cbc8a8a5d"],
                 as_of="2020-10-06"),
    ])
    first, second, dated = run.items
    assert dated.scores["hits@1"] == 1.0
    assert first.scores["claim_party_accuracy"] == 0.0 and "found it from armenia" in first.failures[0]
    assert second.scores == second.scores | {"claim_party_accuracy": 1.0, "hits@1": 1.0, "mrr": 1.0}
    assert run.per_tag["denial"]["claim_party_accuracy"] == 0.5


def test_citation_metrics():
    from assistant.evaluation.metrics import citation_recall_precision, citation_valid
    from assistant.schema import Claim, Source

    a = Source(1, "a", "t", "Armenia denied that it fired toward Azerbaijan.", 0, 47)
    b = Source(2, "b", "t", "The weather in Yerevan was mild.", 0, 32)
    claim = Claim("Armenia denied firing toward Azerbaijan.", "Armenia denied that it fired toward Azerbaijan",
                  "armenia", "Armenia", "Armenia", "denied", "indirect", (1, 2))
    recall, precise = citation_recall_precision(claim, [a, b])
    assert recall == 1.0 and precise == [True, False]  # [2] adds nothing
    assert citation_valid(claim, [a, b], extractive=False) and not citation_valid(claim, [a, b], extractive=True)
    wrong = Claim("7 civilians died in Ganja.", "The weather in Yerevan was mild.", "outlet", "Outlet", None, None,
                  "unattributed", (2,))
    assert citation_recall_precision(wrong, [a, b]) == (0.0, [False]) and not citation_valid(wrong, [a, b], False)
