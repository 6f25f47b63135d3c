"""An answer's markdown, rendered by code from its checked claims: each party's claims under its
own heading, then the accounts that differ side by side.

Example:
    >>> from assistant.schema import Claim
    >>> c = Claim("Armenia denied it.", "Armenia denied it.", "armenia", "Government of Armenia", "Armenia", "denied", "indirect", (1,))
    >>> print(render_markdown([c]))
    **Government of Armenia**
    - Armenia denied it. [1] (Armenia, denied)
"""
from __future__ import annotations

from collections.abc import Sequence

from ..schema import Answer, Claim, Contrast, Mode, Source
from .contrast import find_contrasts


def _marks(c: Claim) -> str:
    return "".join(f"[{n}]" for n in c.sources)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(claims: Sequence[Claim], contrasts: Sequence[Contrast] = ()) -> str:
    """Claims grouped by party in order of first appearance; contrasting pairs as a table."""
    groups: dict[str, list[Claim]] = {}
    for c in claims:
        groups.setdefault(c.party, []).append(c)
    lines: list[str] = []
    for items in groups.values():
        lines.append(f"**{items[0].party_name}**")
        for c in items:
            who = f" ({c.speaker}, {c.cue})" if c.speaker and c.cue else ""
            lines.append(f"- {c.text} {_marks(c)}{who}")
        lines.append("")
    if contrasts:
        lines.append("**Where accounts differ**")
        lines.append("")
        for k in contrasts:
            a, b = claims[k.first], claims[k.second]
            lines += [f"| {_cell(a.party_name)} | {_cell(b.party_name)} |", "| --- | --- |",
                      f"| {_cell(a.text)} {_marks(a)} | {_cell(b.text)} {_marks(b)} |", ""]
    return "\n".join(lines).strip()


def finished(question: str, claims: Sequence[Claim], sources: Sequence[Source], mode: Mode = "extractive",
             notice: str | None = None) -> Answer:
    """The found answer of ``claims``: contrasts found, markdown rendered."""
    contrasts = find_contrasts(claims)
    return Answer(question=question, answer=render_markdown(claims, contrasts), found=True, claims=tuple(claims),
                  sources=tuple(sources), contrasts=contrasts, mode=mode, notice=notice)


def export_markdown(answer: Answer) -> str:
    """The answer with its citations, as a Markdown document to keep or share."""
    lines = [f"# {answer.question}", ""]
    if answer.notice:
        lines += [f"> Note: {answer.notice}", ""]
    lines += [answer.answer, ""]
    if answer.sources:
        lines += ["## Sources", ""]
        for s in answer.sources:
            meta = ", ".join(x for x in (s.outlet, s.published) if x)
            lines.append(f"[{s.n}] {s.title or s.article_id}" + (f" ({meta})" if meta else "")
                         + (f" <{s.url}>" if s.url else "") + f", article `{s.article_id}`, characters {s.start}-{s.end}:")
            lines += ["", *[f"> {line}" if line else ">" for line in s.passage.splitlines()], ""]
    lines.append(f"_Answered by the {'language model, checked' if answer.mode == 'llm' else 'extractive answerer'};"
                 " every claim names the party that made it._")
    return "\n".join(lines) + "\n"
