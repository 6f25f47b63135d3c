"""Shared fixtures: a private copy of the bundled corpus and a fresh index per test module."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEED = CORPUS / "2020-10-04-ganja-missile-attacks.md"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def make_assistant(tmp_path: Path):
    from assistant import Assistant

    def make(corpus: Path, **overrides):
        overrides.setdefault("index_dir", tmp_path / "index")
        return Assistant(corpus=corpus, **overrides)

    return make


@pytest.fixture(scope="module")
def seed_assistant(tmp_path_factory):
    """The bundled corpus, ingested once for the module's read-only questions."""
    from assistant import Assistant

    index = tmp_path_factory.mktemp("seed-index")
    bot = Assistant(corpus=CORPUS, index_dir=index)
    bot.ingest()
    return bot


CONTRACT_KEYS = {"question", "answer", "found", "claims", "sources", "contrasts", "mode", "notice"}
CLAIM_KEYS = {"text", "quote", "party", "party_name", "speaker", "cue", "kind", "sources", "support", "flags"}
SOURCE_KEYS = {"n", "article_id", "title", "passage", "start", "end", "url", "published", "outlet"}


def check_contract(d: dict, corpus: Path = CORPUS) -> None:
    """The JSON contract of the README holds for an answer's ``to_dict()``."""
    from assistant.ingest.loader import iter_corpus
    from assistant.schema import Article

    articles = {a.id: a for a in iter_corpus(corpus) if isinstance(a, Article)}
    assert set(d) == CONTRACT_KEYS
    numbers = {s["n"] for s in d["sources"]}
    for s in d["sources"]:
        assert set(s) == SOURCE_KEYS
        assert articles[s["article_id"]].text[s["start"]:s["end"]] == s["passage"]
    for c in d["claims"]:
        assert set(c) == CLAIM_KEYS
        assert c["kind"] in {"direct", "indirect", "unattributed"}
        assert c["sources"] and set(c["sources"]) <= numbers
        assert any(c["quote"] in s["passage"] for s in d["sources"] if s["n"] in c["sources"])
        if d["mode"] == "extractive":
            assert c["quote"] == c["text"]
        else:
            assert c["support"] >= 0.5
        for n in c["sources"]:
            assert f"[{n}]" in d["answer"]
    if not d["found"]:
        assert d["claims"] == [] and d["sources"] == []


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
