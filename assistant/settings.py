"""The one settings object: environment variables (``ASSISTANT_*``) over an optional file.

The file is ``assistant.toml`` in the working directory, or the path in
``ASSISTANT_CONFIG``. Read once with :func:`load_settings` and passed down.

Example:
    >>> from assistant.settings import Settings
    >>> Settings(corpus="corpus", chunk_size=600).chunk_size
    600
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from .errors import SettingsError

DEFAULT_EMBEDDING_MODEL = "wordllama-l2-supercat-256"
BUNDLED_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "assistant"


class Settings(BaseSettings):
    """Every knob of the assistant; environment variable = ``ASSISTANT_`` + field name, upper case."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", frozen=True)

    corpus: Path = Field(Path("corpus"), description="Folder of articles to answer from.")
    index_dir: Path = Field(Path(".assistant/index"), description="Folder of the embedded Chroma index.")
    chroma_url: str | None = Field(None, description="host:port of a Chroma server; replaces index_dir's embedded Chroma.")
    collection: str | None = Field(None, description="Chroma collection name; derived from the corpus folder when unset.")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Where built models are kept.")
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="Sentence-transformers model name or path; the default is built offline from wordllama.",
    )
    chunk_size: int = Field(800, ge=50, le=20000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(0, ge=0, le=5, description="Sentences repeated between neighbouring chunks.")
    max_article_chars: int = Field(
        2_000_000, ge=1000, description="Longest article indexed; a longer one (a dump, not an article) is reported and skipped."
    )
    ingest_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=0, le=64,
        description="Processes that split and attribute articles while ingest embeds and writes; 0 = none.",
    )
    ingest_start: Literal["fork", "spawn"] | None = Field(
        None, description="How ingest workers start: fork (the default on Linux: in milliseconds, sharing the loaded "
        "model) or spawn (elsewhere: a new interpreter each; a script that ingests then needs a main guard).",
    )
    batch_size: int = Field(256, ge=1, le=5461, description="Chunks per embedding and Chroma add batch.")
    refresh_on_ask: bool = Field(
        True, description="Bring the index up to date with the corpus before a process's first question; false for "
        "a large archive ingested on its own schedule (`assistant ingest`), whose check would delay that answer."
    )
    reranker_model: str | None = Field(
        None, description="A cross-encoder (sentence-transformers name or folder) to re-rank passages; off when unset."
    )
    candidates: int = Field(50, ge=1, le=1000, description="Candidates each of dense and BM25 search hand to fusion.")
    mmr_lambda: float = Field(0.75, ge=0.0, le=1.0, description="Relevance against diversity when picking passages (1 = relevance only).")
    top_k: int = Field(5, ge=1, le=100, description="Passages retrieved per question.")
    max_claims: int = Field(6, ge=1, le=50, description="Most claims in an extractive answer.")
    min_answer_score: float = Field(
        0.34, ge=0.0, le=1.0, description="Least share of the question's key terms a sentence must hold to be an answer."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with a clear message.")
    llm: str | None = Field(
        None, description="A chat model as provider:model (ollama:llama3.1, openai:gpt-4o-mini); unset = extractive answers."
    )
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible or Ollama server for ASSISTANT_LLM.")
    llm_timeout: float = Field(60.0, gt=0, le=3600, description="Seconds a model answer may take before the extractive answer is used.")
    min_support: float = Field(
        0.5, ge=0.0, le=1.0, description="Least share of a model claim's key terms its quoted passage text must hold."
    )
    ui_auth: str | None = Field(None, description="user:password the chat page asks for; required to bind beyond 127.0.0.1.")
    prompts_dir: Path = Field(BUNDLED_PROMPTS, description="Folder of the prompt files (answer.md, condense.md).")

    @field_validator("llm")
    @classmethod
    def _check_llm(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        provider, _, model = value.partition(":")
        if not provider or not model:
            raise ValueError("must be provider:model, for example ollama:llama3.1 or openai:gpt-4o-mini")
        return value

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        host, _, port = value.removeprefix("http://").partition(":")
        if not host or not port.isdigit():
            raise ValueError("must be host:port, for example 127.0.0.1:8000")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get("ASSISTANT_CONFIG", "assistant.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def chroma_host_port(self) -> tuple[str, int]:
        host, _, port = (self.chroma_url or "").removeprefix("http://").partition(":")
        return host, int(port)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings once; a bad value raises :class:`SettingsError` naming the variable."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "?"
            problems.append(f"ASSISTANT_{field.upper()} ({field}): {err['msg']}")
        source = os.environ.get("ASSISTANT_CONFIG", "assistant.toml")
        raise SettingsError(
            "invalid settings: " + "; ".join(problems) + f". Fix the environment variable or {source}."
        ) from None
    except Exception as exc:  # a malformed TOML file
        source = os.environ.get("ASSISTANT_CONFIG", "assistant.toml")
        raise SettingsError(f"{source}: cannot read settings file ({exc}). Fix or remove the file.") from None
