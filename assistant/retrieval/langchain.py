"""LangChain interop: the assistant's retrieval as a LangChain ``BaseRetriever``.

Example:
    >>> from assistant import Assistant
    >>> docs = Assistant(corpus="corpus").as_retriever(k=2).invoke("Ganja")
    >>> sorted(docs[0].metadata)[:3]
    ['article_id', 'end', 'published']
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from ..schema import Passage


def passage_document(p: Passage) -> Document:
    meta = {
        "article_id": p.chunk.article_id,
        "chunk_id": p.chunk.id,
        "title": p.title,
        "start": p.chunk.start,
        "end": p.chunk.end,
        "score": p.score,
        "published": p.published,
        "url": p.url,
        "parties": sorted({a.party for s in p.chunk.sentences for a in s.attributions}),
    }
    return Document(page_content=p.chunk.text, metadata=meta)


class AssistantRetriever(BaseRetriever):
    """Wraps :class:`assistant.Assistant` retrieval; ``k`` passages per query."""

    assistant: Any
    k: int = 5
    filters: Any = None  # an assistant.schema.Filters

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_document(p) for p in self.assistant.retrieve(query, k=self.k, filters=self.filters)]
