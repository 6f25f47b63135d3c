"""The Python API: :class:`Assistant`, the one facade the CLI and the UI are thin shells over.

Example:
    >>> from assistant import Assistant
    >>> bot = Assistant(corpus="corpus")
    >>> report = bot.ingest()
    >>> answer = bot.ask("How many civilians were killed in Ganja?")
    >>> answer.claims[0].party, answer.sources[0].n
    ('azerbaijan', 1)
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from .errors import QuestionError
from .schema import Answer, Filters, IngestReport, Passage
from .settings import Settings, load_settings

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Assistant:
    """Question answering over a corpus folder, every claim with its passage and party.

    ``corpus`` and ``index_dir`` (and any other :class:`~assistant.settings.Settings` field
    given as a keyword) override the environment; or pass a ready ``settings`` object.
    ``llm`` is any LangChain chat model; without one, ``ASSISTANT_LLM`` names one, and without
    that the answers are extractive.
    """

    def __init__(self, corpus: Any = None, index_dir: Any = None, *, settings: Settings | None = None, llm: Any = None,
                 llm_name: str | None = None, **overrides: Any):
        if llm_name is not None:  # the setting ASSISTANT_LLM, named apart from the model object
            overrides["llm"] = llm_name
        if settings is None:
            settings = load_settings(corpus=corpus, index_dir=index_dir, **overrides)
        elif corpus is not None or index_dir is not None or overrides:
            settings = settings.model_copy(update={k: v for k, v in dict(corpus=corpus, index_dir=index_dir, **overrides).items() if v is not None})
        self.settings = settings
        self._llm = llm
        self._lock = threading.RLock()
        self._fresh = False
        self._uploaded = False  # files added through add_files, not yet ingested
        self.last_ingest: tuple[float, IngestReport] | None = None  # (unix time, report) of this process

    # ------------------------------------------------------------------ parts (loaded lazily, once)

    @cached_property
    def registry(self):
        from .attribution.parties import PartyRegistry

        return PartyRegistry.load(self.settings.corpus)

    @cached_property
    def embedder(self):
        from .embedding.model import load_embedder

        return load_embedder(self.settings)

    @cached_property
    def store(self):
        from .index.store import ChunkStore, collection_name

        return ChunkStore.open(self.settings, collection_name(self.settings), self.embedder.name, self.embedder.dimension)

    @cached_property
    def retriever(self):
        from .retrieval.retriever import Retriever, load_reranker

        reranker = load_reranker(self.settings.reranker_model, self.settings.cache_dir) if self.settings.reranker_model else None
        return Retriever(self.store, self.embedder, self.lexical, candidates=self.settings.candidates,
                         mmr_lambda=self.settings.mmr_lambda, reranker=reranker)

    @cached_property
    def lexical(self):
        from .index.lexical import LexicalIndex
        from .index.store import collection_name

        return LexicalIndex.for_settings(self.settings, collection_name(self.settings))

    @property
    def llm(self):
        """The chat model answers are written with, or None (extractive answers)."""
        if self._llm is None and self.settings.llm:
            from .llm.model import load_chat_model

            self._llm = load_chat_model(self.settings)
        return self._llm

    @cached_property
    def chain(self):
        from .answer.chain import build_chain

        return build_chain(self)

    # ------------------------------------------------------------------ ingest

    def ingest(self, progress: bool = False) -> IngestReport:
        """Bring the index up to date with the corpus folder (only changed articles are embedded)."""
        from .ingest.pipeline import refuse_in_starting_worker, run_ingest

        refuse_in_starting_worker()  # before loading the model or opening the index
        with self._lock:
            report = run_ingest(self.settings, self.store, self.embedder, self.registry, progress=progress,
                                lexical=self.lexical)
            self._fresh, self._uploaded = True, False
            self.last_ingest = (time.time(), report)
            return report

    def status(self) -> dict[str, Any]:
        """What the index holds: articles, chunks, where, and this process's last ingest."""
        with self._lock:
            out: dict[str, Any] = {"articles": self.store.article_count(), "chunks": self.store.count(),
                                   "index": self.store.where, "corpus": str(self.settings.corpus)}
        if self.last_ingest:
            at, report = self.last_ingest
            out["last_ingest"] = {"at": at, "added": report.added, "updated": report.updated, "removed": report.removed,
                                  "unchanged": report.unchanged, "issues": [str(i) for i in report.issues]}
        return out

    def add_files(self, files: Sequence[Any], folder: str = "uploads") -> tuple[list[str], list[str]]:
        """Copy article files into ``<corpus>/<folder>`` once the loader has read them (see
        :func:`assistant.ingest.upload.add_files`); the next question or :meth:`ingest` indexes them."""
        from .ingest.upload import add_files

        added, refused = add_files(self.settings.corpus, files, folder, self.settings.max_article_chars)
        with self._lock:
            self._fresh, self._uploaded = False, True  # the next question re-ingests
        return added, refused

    def ensure_index(self) -> IngestReport | None:
        """Ingest once per process before the first question, so answers match the corpus; with
        ``refresh_on_ask`` off, only when the index is empty or files were added through the API."""
        with self._lock:
            if not self._fresh:
                if self.settings.refresh_on_ask or self._uploaded or self.store.count() == 0:
                    return self.ingest()
                self._fresh = True
        return None

    # ------------------------------------------------------------------ ask

    def check_question(self, question: str) -> str:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        cleaned = _CONTROL.sub(" ", question).strip()
        if not cleaned:
            raise QuestionError("the question is empty; ask something about the corpus")
        if len(cleaned) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(cleaned)} characters long; the limit is {self.settings.max_question_chars} "
                "(setting ASSISTANT_MAX_QUESTION_CHARS)"
            )
        return cleaned

    def condense(self, question: str, history: Sequence[Any] | None = None) -> str:
        """The standalone retrieval query for a question in a conversation."""
        from .retrieval.followup import contextualize

        if self.llm is not None and history:
            from .prompts import load_prompt
            from .retrieval.condense import condense_with_llm

            return condense_with_llm(self.llm, question, history, load_prompt("condense", self.settings.prompts_dir))
        return contextualize(question, history)

    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        """The passages for ``query``: hybrid search, fused, diversified, within ``filters``."""
        return self.retriever.retrieve(query, k or self.settings.top_k, filters)

    def answer(
        self, question: str, passages: Sequence[Passage], query: str | None = None, filters: Filters | None = None
    ) -> Answer:
        """The answer from ``passages``: the model's, checked, when one is configured; else extractive."""
        if self.llm is None:
            return self.extract(question, passages, query, filters)
        *_, final = self._generate(question, passages, query, filters, stream=False)
        return final

    def extract(
        self, question: str, passages: Sequence[Passage], query: str | None = None, filters: Filters | None = None
    ) -> Answer:
        """The extractive answer: the passages' own sentences that answer the question."""
        from .answer.extractive import answer_extractively

        return answer_extractively(
            question,
            passages,
            self.registry,
            self.embedder,
            max_claims=self.settings.max_claims,
            min_score=self.settings.min_answer_score,
            retrieval_query=query,
            parties=filters.parties if filters else (),
        )

    def _generate(self, question: str, passages: Sequence[Passage], query: str | None, filters: Filters | None,
                  stream: bool) -> Iterator[str | Answer]:
        from .answer.generative import answer_with_llm
        from .prompts import load_prompt

        folder = self.settings.prompts_dir
        if filters and filters.parties:  # the model sees only what the reader asked for
            passages = [p for p in passages if any(a.party in filters.parties for s in p.chunk.sentences for a in s.attributions)]
        return answer_with_llm(
            self.llm, question, passages, self.registry,
            system=load_prompt("answer", folder), template=load_prompt("answer_input", folder),
            timeout=self.settings.llm_timeout, min_support=self.settings.min_support,
            fallback=lambda: self.extract(question, passages, query, filters), stream=stream,
        )

    def ask(
        self, question: str, history: Sequence[Any] | None = None, k: int | None = None, filters: Filters | None = None
    ) -> Answer:
        """Answer ``question``; ``history`` holds earlier (question, answer) turns; ``filters``
        keeps to some parties, outlets, articles or dates."""
        question = self.check_question(question)
        self.ensure_index()
        return self.chain.invoke({"question": question, "history": list(history or []), "k": k, "filters": filters})

    def stream(
        self, question: str, history: Sequence[Any] | None = None, k: int | None = None, filters: Filters | None = None
    ) -> Iterator[dict[str, Any]]:
        """``ask`` as events: ``{"event": "token", "text": ...}`` while a model writes, then
        ``{"event": "answer", "answer": Answer}`` with the checked claims and sources."""
        question = self.check_question(question)
        self.ensure_index()
        query = self.condense(question, history)
        passages = self.retrieve(query, k=k, filters=filters)
        if self.llm is None:
            yield {"event": "answer", "answer": self.extract(question, passages, query, filters)}
            return
        for item in self._generate(question, passages, query, filters, stream=True):
            if isinstance(item, str):
                yield {"event": "token", "text": item}
            else:
                yield {"event": "answer", "answer": item}

    def article_text(self, article_id: str) -> str:
        """An article's text as indexed (offsets as in its sources), to show a passage in place."""
        return self.store.article_text(article_id)

    def evaluate(self, testset: Any, report_dir: Any = None, progress: bool = False):
        """Score a test set (a JSONL path or :class:`~assistant.evaluation.testset.EvalItem` list);
        with ``report_dir``, write results.json, report.md and metrics_by_tag.png there.
        Returns the :class:`~assistant.evaluation.runner.EvalRun`; unusable lines are in
        ``run.problems``."""
        from dataclasses import replace

        from .evaluation.report import write_report
        from .evaluation.runner import run_eval
        from .evaluation.testset import load_testset

        items, problems = (load_testset(testset) if not isinstance(testset, (list, tuple)) else (list(testset), []))
        self.ensure_index()
        run = replace(run_eval(self, items, progress=progress, min_support=self.settings.min_support),
                      problems=tuple(problems))
        if report_dir is not None:
            write_report(run, report_dir, title=f"Evaluation of {getattr(testset, 'name', 'the test set')}")
        return run

    def as_retriever(self, k: int | None = None, filters: Filters | None = None):
        """This assistant's retrieval as a LangChain retriever."""
        from .retrieval.langchain import AssistantRetriever

        self.ensure_index()
        return AssistantRetriever(assistant=self, k=k or self.settings.top_k, filters=filters)
