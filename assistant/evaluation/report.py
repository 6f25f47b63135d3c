"""What an evaluation writes: a table for the terminal, ``results.json``, ``report.md`` with the
failing items (question, expected, got) and ``metrics_by_tag.png``.

Example:
    >>> from assistant.evaluation.runner import EvalRun
    >>> print(table({"all": {"hits@5": 0.5}}))
    |     | hits@5 |
    | --- | --- |
    | all | 0.500 |
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .runner import METRICS, EvalRun


def _fmt(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def table(rows: dict[str, dict[str, float]]) -> str:
    """A markdown table: one row per name, one column per metric any row has."""
    cols = [c for c in METRICS if any(c in r for r in rows.values())]
    width = max([len(n) for n in rows] + [3])
    lines = [f"| {'':<{width}} | " + " | ".join(cols) + " |", "| " + " | ".join(["---"] * (len(cols) + 1)) + " |"]
    for name, r in rows.items():
        lines.append(f"| {name:<{width}} | " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
    return "\n".join(lines)


def terminal(run: EvalRun) -> str:
    failing = sum(bool(i.failures) for i in run.items)
    parts = [table({"overall": run.overall} | {f"tag:{t}": v for t, v in run.per_tag.items()}),
             f"\n{len(run.items)} items, {failing} with a failure"]
    return "\n".join(parts)


def _answer_lines(answer: dict) -> list[str]:
    if not answer:
        return ["(no answer)"]
    out = [f"found: {answer.get('found')}, mode: {answer.get('mode')}"]
    if answer.get("notice"):
        out.append(f"notice: {answer['notice']}")
    for c in answer.get("claims", []):
        out.append(f"- [{c['party']}] {c['text']} {''.join(f'[{n}]' for n in c['sources'])}")
    return out


def markdown(run: EvalRun, title: str = "Evaluation") -> str:
    lines = [f"# {title}", "", f"{len(run.items)} items.", "", "## Overall", "", table({"overall": run.overall}), ""]
    lines += ["Items measured per metric: " + ", ".join(f"{k} {v}" for k, v in run.counts.items()), ""]
    if run.per_tag:
        lines += ["## Per tag", "", table(run.per_tag), "", "![metrics per tag](metrics_by_tag.png)", ""]
    failing = [i for i in run.items if i.failures]
    lines += [f"## Failing items ({len(failing)})", ""]
    for i in failing:
        lines += [f"### {i.id}: {i.question}", ""]
        if i.tags:
            lines.append(f"Tags: {', '.join(i.tags)}")
            lines.append("")
        lines += ["Failures:", *[f"- {f}" for f in i.failures], ""]
        lines += ["Expected:", "", "```json", json.dumps(i.expected, ensure_ascii=False, indent=1), "```", ""]
        lines += ["Got:", "", "```", *_answer_lines(i.answer), "```", ""]
    return "\n".join(lines)


def chart(run: EvalRun, path: Path) -> Path:
    """A heat map of the quality metrics (0-1): one row per tag plus overall, one column per
    metric, each cell labelled with its value (blank where no item of the tag measures it)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file only
    import matplotlib.pyplot as plt
    import numpy as np

    groups = {"overall": run.overall} | run.per_tag
    cols = [c for c in METRICS if not c.startswith("latency") and any(c in g for g in groups.values())]
    values = np.array([[g.get(c, np.nan) for c in cols] for g in groups.values()], dtype=float)
    fig, ax = plt.subplots(figsize=(1.5 + 0.85 * len(cols), 1.4 + 0.42 * len(groups)), dpi=110)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(groups)), list(groups), fontsize=8)
    for (r, c), v in np.ndenumerate(values):
        if not np.isnan(v):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    ax.set_title("Metrics per tag", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(run: EvalRun, folder: Path | str, title: str = "Evaluation") -> dict[str, Path]:
    """results.json, report.md and metrics_by_tag.png in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "results.json", "markdown": folder / "report.md", "chart": folder / "metrics_by_tag.png"}
    paths["json"].write_text(json.dumps(run.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    paths["markdown"].write_text(markdown(run, title), encoding="utf-8")
    chart(run, paths["chart"])
    return paths
