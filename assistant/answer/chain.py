"""The answer chain as a LangChain (LCEL) runnable: condense -> retrieve -> answer.

Input ``{"question": str, "history": [...], "k": int | None, "filters": Filters | None}``, output an :class:`~assistant.schema.Answer`.

Example:
    >>> from assistant import Assistant
    >>> chain = Assistant(corpus="corpus").chain
    >>> chain.invoke({"question": "Who denied firing toward Azerbaijan?"}).found
    True
"""
from __future__ import annotations

from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough


def build_chain(assistant: Any) -> Runnable:
    condense = RunnablePassthrough.assign(query=RunnableLambda(lambda x: assistant.condense(x["question"], x.get("history"))))
    retrieve = RunnablePassthrough.assign(passages=RunnableLambda(
        lambda x: assistant.retrieve(x["query"], k=x.get("k"), filters=x.get("filters"))))
    answer = RunnableLambda(lambda x: assistant.answer(x["question"], x["passages"], x["query"], filters=x.get("filters")))
    return (condense | retrieve | answer).with_config(run_name="assistant")
