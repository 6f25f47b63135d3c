"""The chat model named by ``ASSISTANT_LLM`` (``provider:model``), made by LangChain's own factory.

Provider packages are optional extras (``pip install 'assistant[ollama]'``, ``[openai]``); a
missing one, or a provider LangChain does not know, fails at once naming the setting and the fix.
Nothing is sent to the model here: a server that is down shows at the first question, whose
answer then falls back to the extractive one and says so.

Example:
    >>> from assistant.settings import Settings
    >>> load_chat_model(Settings()) is None   # no model configured: extractive answers
    True
"""
from __future__ import annotations

from typing import Any

from ..errors import ModelUnavailableError
from ..settings import Settings

# the extra that brings each provider's LangChain package
_EXTRAS = {"ollama": "ollama", "openai": "openai", "anthropic": "anthropic"}


def load_chat_model(settings: Settings) -> Any:
    """A LangChain chat model for ``settings.llm``, or None when none is configured."""
    if not settings.llm:
        return None
    from langchain.chat_models import init_chat_model

    provider, _, model = settings.llm.partition(":")
    kwargs: dict[str, Any] = {"temperature": 0}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    try:
        return init_chat_model(model, model_provider=provider, **kwargs)
    except ImportError as exc:
        extra = _EXTRAS.get(provider)
        fix = f"pip install 'assistant[{extra}]'" if extra else f"install LangChain's package for {provider!r}"
        raise ModelUnavailableError(f"ASSISTANT_LLM={settings.llm}: {exc}. Fix: {fix}, or unset ASSISTANT_LLM.") from None
    except Exception as exc:  # unknown provider, missing API key, bad argument
        raise ModelUnavailableError(
            f"ASSISTANT_LLM={settings.llm}: cannot make this chat model ({exc}). Fix the provider:model name, its "
            "credentials (the provider's own environment variable) or ASSISTANT_LLM_BASE_URL, or unset ASSISTANT_LLM."
        ) from None
