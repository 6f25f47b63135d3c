"""HTML for the chat page: party badges, claims, contrasting accounts side by side, and each cited
passage highlighted inside its article. Every piece of article text, title and metadata goes
through :func:`html.escape`, so an article holding ``<script>`` or markup shows it as text.

Example:
    >>> palette = PartyPalette(["azerbaijan", "armenia"])
    >>> palette.colour("armenia") != palette.colour("azerbaijan")
    True
    >>> "&lt;b&gt;" in badge(palette, "x", "<b>X</b>")
    True
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from html import escape

from ..schema import OUTLET, Answer, Claim, Source

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies; each party
# also has its own symbol, and the badge names it, so colour is never the only cue.
_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#332288"]
_DARK = {"#0072B2", "#D55E00", "#332288", "#009E73"}
_SYMBOLS = ["●", "■", "▲", "◆", "★", "✚", "⬟", "▼"]
_OUTLET = ("#FFFFFF", "○")
CONTEXT_CHARS = 700  # article text shown on each side of a passage


class PartyPalette:
    """One stable colour and symbol per party: the registry's parties in its order, any other
    party by a hash of its id, the outlet's voice in white with a dashed border."""

    def __init__(self, configured: Sequence[str] = ()):
        self._fixed = {p: i for i, p in enumerate(p for p in configured if p != OUTLET)}

    def _index(self, party: str) -> int:
        if party in self._fixed:
            return self._fixed[party] % len(_COLOURS)
        return int(hashlib.sha1(party.encode()).hexdigest(), 16) % len(_COLOURS)

    def colour(self, party: str) -> str:
        return _OUTLET[0] if party == OUTLET else _COLOURS[self._index(party)]

    def symbol(self, party: str) -> str:
        return _OUTLET[1] if party == OUTLET else _SYMBOLS[self._index(party) % len(_SYMBOLS)]

    def text_colour(self, party: str) -> str:
        return "#FFFFFF" if self.colour(party) in _DARK else "#000000"


def badge(palette: PartyPalette, party: str, name: str) -> str:
    style = f"background:{palette.colour(party)};color:{palette.text_colour(party)}"
    if party == OUTLET:
        style += ";border:1px dashed #444"
    return (f'<span class="party-badge" data-party="{escape(party)}" style="{style}" title="{escape(name)} ({escape(party)})">'
            f'<span aria-hidden="true">{palette.symbol(party)}</span> {escape(name)}</span>')


def _cites(c: Claim) -> str:
    return "".join(f'<a class="cite" href="#source-{n}">[{n}]</a>' for n in c.sources)


def _who(c: Claim) -> str:
    bits = [b for b in (c.speaker, c.cue, c.kind) if b]
    return f'<span class="who">{escape(" · ".join(bits))}</span>' if bits else ""


def answer_html(answer: Answer, palette: PartyPalette) -> str:
    """The answer: notice, each party's claims under its badge, contrasts side by side, legend."""
    parts = ['<div class="answer">']
    if answer.notice:
        parts.append(f'<p class="notice">⚠ {escape(answer.notice)}</p>')
    if not answer.found:
        parts.append(f'<p class="not-found">{escape(answer.answer)}</p></div>')
        return "".join(parts)
    groups: dict[str, list[Claim]] = {}
    for c in answer.claims:
        groups.setdefault(c.party, []).append(c)
    for party, claims in groups.items():
        parts.append(f'<div class="party-group">{badge(palette, party, claims[0].party_name)}<ul>')
        for c in claims:
            flags = "".join(f'<li class="flag">{escape(f)}</li>' for f in c.flags)
            parts.append(f'<li class="claim"><span class="claim-text">{escape(c.text)}</span> {_cites(c)} {_who(c)}'
                         + (f'<ul class="flags">{flags}</ul>' if flags else "") + "</li>")
        parts.append("</ul></div>")
    if answer.contrasts:
        parts.append('<div class="contrasts"><h4>Where accounts differ</h4>')
        for k in answer.contrasts:
            a, b = answer.claims[k.first], answer.claims[k.second]
            parts.append(f'<div class="contrast" data-reason="{escape(k.reason)}">')
            for c in (a, b):
                parts.append(f'<div class="side">{badge(palette, c.party, c.party_name)}'
                             f'<p>{escape(c.text)} {_cites(c)}</p></div>')
            parts.append("</div>")
        parts.append("</div>")
    seen = dict.fromkeys((c.party, c.party_name) for c in answer.claims)
    parts.append('<div class="legend">Parties: ' + " ".join(badge(palette, p, n) for p, n in seen) + "</div></div>")
    return "".join(parts)


def _highlight(text: str, start: int, end: int, quotes: Sequence[tuple[int, int]]) -> str:
    """``text[start:end]`` marked as the passage, the quoted spans inside it marked again, with
    up to CONTEXT_CHARS of the article on each side."""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    cuts = sorted({start, end, *[x for q in quotes for x in q if start <= x <= end]})
    inner = []
    for a, b in zip(cuts, cuts[1:]):
        piece = escape(text[a:b])
        inner.append(f'<mark class="quote">{piece}</mark>' if any(q0 <= a and b <= q1 for q0, q1 in quotes) else piece)
    return ((("…" if lo else "") + escape(text[lo:start])) + f'<mark class="passage">{"".join(inner)}</mark>'
            + escape(text[end:hi]) + ("…" if hi < len(text) else ""))


def sources_html(answer: Answer, palette: PartyPalette, article_text) -> str:
    """Each cited source: title, outlet, date, the claims that cite it (badge, speaker, cue) and the
    passage highlighted in its article. ``article_text(article_id)`` gives the article's text."""
    if not answer.sources:
        return '<div class="sources"><p>No sources.</p></div>'
    out = ['<div class="sources">']
    for s in answer.sources:
        citing = [c for c in answer.claims if s.n in c.sources]
        text = article_text(s.article_id) or ""
        if text[s.start:s.end] != s.passage:  # the index changed since: show the passage alone
            text, start, end = s.passage, 0, len(s.passage)
        else:
            start, end = s.start, s.end
        quotes = []
        for c in citing:
            at = text.find(c.quote, start, end) if c.quote else -1
            if at >= 0:
                quotes.append((at, at + len(c.quote)))
        meta = " · ".join(escape(x) for x in (s.outlet, s.published, s.article_id) if x)
        link = f' <a href="{escape(s.url)}" rel="noopener noreferrer" target="_blank">link</a>' if s.url and s.url.startswith(("http://", "https://")) else ""
        out.append(f'<details open class="source" id="source-{s.n}"><summary><b>[{s.n}] {escape(s.title or s.article_id)}</b>'
                   f' <span class="meta">{meta}</span>{link}</summary><ul class="citing">')
        for c in citing:
            who = f"{escape(c.speaker)} ({escape(c.cue)})" if c.speaker and c.cue else escape(c.kind)
            out.append(f"<li>{badge(palette, c.party, c.party_name)} {who}</li>")
        out.append(f'</ul><div class="article-text">{_highlight(text, start, end, quotes)}</div></details>')
    out.append("</div>")
    return "".join(out)


def inert_markdown(text: str) -> str:
    """Article text made inert in Markdown: no link, image, emphasis, heading or HTML from it."""
    out = escape(text, quote=False)
    for ch in "\\`*_{}[]()#+-!|~>":
        out = out.replace(ch, "\\" + ch)
    return out


def chat_markdown(answer: Answer) -> str:
    """The answer as the chat shows it: each claim with its party and citations, inert."""
    if not answer.found:
        return inert_markdown(answer.answer) + (f"\n\n⚠ {inert_markdown(answer.notice)}" if answer.notice else "")
    lines = [f"⚠ {inert_markdown(answer.notice)}\n"] if answer.notice else []
    for c in answer.claims:
        lines.append(f"- **{inert_markdown(c.party_name)}**: {inert_markdown(c.text)} " + "".join(f"\\[{n}\\]" for n in c.sources))
    return "\n".join(lines)
