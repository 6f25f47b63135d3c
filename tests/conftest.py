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


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
