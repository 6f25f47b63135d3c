"""Answers written by a language model (any LangChain chat model), checked in code.

The model sees the numbered passages, each sentence labelled with its speaker and party, and
returns claims with citations and quotes: structured output where the model supports it, a
strict tagged format otherwise (and when streaming). :func:`assistant.answer.verify.verify` then
decides what stands. A model that fails, times out or returns garbage gives way to the
extractive answer, which says so in ``notice``.

Passages are data: their text is put inside ``<passage>`` blocks with the characters that could
close or open a block replaced, the rules sit in the system message, and the answer the reader
sees is rendered by code from checked claims, so no passage can change its format or parties.

Example:
    >>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
    >>> from assistant import Assistant
    >>> bot = Assistant(corpus="corpus", llm=FakeListChatModel(responses=[
    ...     '<claim sources="1" party="azerbaijan"><text>Azerbaijan said Armenian forces fired missiles at Ganja.</text>'
    ...     '<quote>Armenian forces fired missiles at Ganja</quote></claim>']))
    >>> bot.ask("What happened in Ganja?").mode
    'llm'
"""
from __future__ import annotations

import html
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel, Field

from ..schema import OUTLET, Answer, Draft, Passage
from .verify import verify

_CLAIM = re.compile(r"<claim\b([^>]*)>(.*?)</claim>", re.S | re.I)
_ATTR = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
_FIELD = re.compile(r"<(text|quote)>(.*?)</\1>", re.S | re.I)
_NONE = re.compile(r"<none\s*/?>", re.I)


class ModelClaim(BaseModel):
    """One claim as the model must return it."""

    text: str = Field(description="The claim in neutral words, from the passages only.")
    quote: str = Field(description="The exact words of the cited passage that support the claim.")
    sources: list[int] = Field(description="The numbers of the passages the claim comes from.")
    party: str = Field(description="The party id of the quoted sentence, as labelled.")


class ModelAnswer(BaseModel):
    """The model's whole answer: its claims, or found=false when the passages do not answer."""

    found: bool = Field(description="False when the passages do not answer the question.")
    claims: list[ModelClaim] = Field(default_factory=list)


class ModelOutputError(Exception):
    """The model's reply holds neither claims nor ``<none/>``."""


def _data(text: str) -> str:
    """Passage text made inert inside the prompt's markup."""
    return text.replace("<", "‹").replace(">", "›")


def render_passages(passages: Sequence[Passage]) -> str:
    """The numbered passages, every sentence labelled with who says it."""
    blocks = []
    for n, p in enumerate(passages, 1):
        head = f'<passage n="{n}" title="{html.escape(_data(p.title or ""))}"'
        if p.source:
            head += f' outlet="{html.escape(_data(p.source))}"'
        if p.published:
            head += f' published="{p.published}"'
        lines = [head + ">"]
        c = p.chunk
        for s in c.sentences or ():
            text = _data(c.text[s.start - c.start:s.end - c.start])
            labels = []
            for a in s.attributions:
                who = f'speaker="{html.escape(_data(a.speaker))}" ' if a.speaker else ""
                labels.append(f'{who}party="{a.party}" kind="{a.kind}"')
            label = "; ".join(labels) or f'party="{OUTLET}" kind="unattributed"'
            lines.append(f"<s {label}>{text}</s>")
        if not c.sentences:
            lines.append(_data(c.text))
        lines.append("</passage>")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def messages(question: str, passages: Sequence[Passage], system: str, template: str) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    from ..prompts import fill

    return [SystemMessage(system), HumanMessage(fill(template, passages=render_passages(passages), question=_data(question)))]


def parse_tagged(reply: str) -> tuple[list[Draft], bool]:
    """(drafts, said_none) from the tagged format; :class:`ModelOutputError` when it holds neither."""
    drafts = []
    for attrs, body in _CLAIM.findall(reply):
        a = dict(_ATTR.findall(attrs))
        fields = {k.lower(): v for k, v in _FIELD.findall(body)}
        text = html.unescape(fields.get("text", "")).strip()
        if not text:
            continue
        sources = tuple(int(x) for x in re.findall(r"\d+", a.get("sources", "")))
        drafts.append(Draft(text=text, quote=html.unescape(fields.get("quote", "")).strip(), sources=sources,
                            party=a.get("party") or None))
    said_none = not drafts and bool(_NONE.search(reply))
    if not drafts and not said_none:
        raise ModelOutputError("the reply holds no <claim> block and no <none/>")
    return drafts, said_none


def from_structured(answer: ModelAnswer) -> tuple[list[Draft], bool]:
    drafts = [Draft(c.text, c.quote, tuple(c.sources), c.party or None) for c in answer.claims]
    if not drafts and answer.found:
        raise ModelOutputError("found=true with no claims")
    return drafts, not drafts


def structured(llm: Any) -> Any:
    """The model bound to :class:`ModelAnswer`, or None when it has no structured output."""
    try:
        return llm.with_structured_output(ModelAnswer)
    except NotImplementedError:
        return None


def within(items: Callable[[], Iterator[Any]], timeout: float) -> Iterator[Any]:
    """The items of ``items()``, produced on a worker thread, until ``timeout`` seconds in all have
    passed (then :class:`TimeoutError`). A hung model cannot hold the answer past its deadline."""
    box: queue.Queue = queue.Queue()
    done = object()

    def work() -> None:
        try:
            for item in items():
                box.put(("item", item))
            box.put(("end", done))
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(("error", exc))

    threading.Thread(target=work, daemon=True, name="llm-call").start()
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            kind, value = box.get(timeout=max(left, 0.0))
        except queue.Empty:
            raise TimeoutError(f"no complete answer within {timeout:g} s (ASSISTANT_LLM_TIMEOUT)") from None
        if kind == "item":
            yield value
        elif kind == "error":
            raise value
        else:
            return


def _token_text(chunk: Any) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def generate(
    llm: Any, question: str, passages: Sequence[Passage], system: str, template: str, timeout: float,
    stream: bool = False,
) -> Iterator[str | tuple[list[Draft], bool]]:
    """Yield the reply's tokens as they come (when ``stream``), then (drafts, said_none)."""
    msgs = messages(question, passages, system, template)
    bound = None if stream else structured(llm)
    if bound is not None:
        (reply,) = list(within(lambda: iter([bound.invoke(msgs)]), timeout))
        if not isinstance(reply, ModelAnswer):
            raise ModelOutputError(f"structured output of type {type(reply).__name__}")
        yield from_structured(reply)
        return
    parts: list[str] = []
    if stream:
        for chunk in within(lambda: llm.stream(msgs), timeout):
            token = _token_text(chunk)
            parts.append(token)
            if token:
                yield token
    else:
        (reply,) = list(within(lambda: iter([llm.invoke(msgs)]), timeout))
        parts.append(_token_text(reply))
    yield parse_tagged("".join(parts))


def answer_with_llm(
    llm: Any, question: str, passages: Sequence[Passage], registry: Any, *, system: str, template: str,
    timeout: float, min_support: float, fallback: Callable[[], Answer], stream: bool = False,
) -> Iterator[str | Answer]:
    """Tokens (when ``stream``), then the checked :class:`Answer`; the extractive ``fallback()``
    with a notice when the model fails."""
    if not passages:
        yield fallback()
        return
    try:
        for item in generate(llm, question, passages, system, template, timeout, stream):
            if isinstance(item, str):
                yield item
            else:
                drafts, said_none = item
    except Exception as exc:  # any failure of the model or its reply: the reader still gets an answer
        reason = "timed out" if isinstance(exc, TimeoutError) else f"failed ({type(exc).__name__}: {str(exc)[:200]})"
        yield _with_notice(fallback(), f"The language model {reason}; this is the extractive answer.")
        return
    if said_none:
        yield verify(question, [], passages, registry, min_support)
        return
    checked = verify(question, drafts, passages, registry, min_support)
    if not checked.found:
        yield _with_notice(fallback(), "No claim of the language model is supported by the passages; "
                                       "this is the extractive answer.")
        return
    yield checked


def _with_notice(answer: Answer, notice: str) -> Answer:
    from dataclasses import replace

    return replace(answer, notice=f"{notice} {answer.notice}" if answer.notice else notice)
