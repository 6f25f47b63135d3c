"""Embedding models: the offline default is real; a model that cannot be had fails fast and clearly."""
from __future__ import annotations

import time

import numpy as np
import pytest

from assistant.embedding.model import default_model_dir, load_embedder
from assistant.errors import ModelUnavailableError
from assistant.settings import Settings

from .conftest import CORPUS, run_cli


def test_default_model_is_built_once_and_embeds_meaningfully(tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    emb = load_embedder(settings)
    assert (default_model_dir(tmp_path / "cache") / "modules.json").is_file()
    v = emb.encode(["Missiles hit the city of Ganja.", "Rockets struck Ganja.", "The recipe needs two eggs."])
    assert v.shape == (3, 256) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2  # related sentences are closer than unrelated ones


@pytest.mark.parametrize("offline", [True, False])
def test_unavailable_named_model_fails_within_seconds(tmp_path, monkeypatch, offline):
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    settings = Settings(cache_dir=tmp_path / "cache", embedding_model="sentence-transformers/all-MiniLM-L6-v2")
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError) as info:
        load_embedder(settings)
    assert time.monotonic() - started < 20  # the hub client alone would retry for about 70 s
    message = str(info.value)
    assert "ASSISTANT_EMBEDDING_MODEL=sentence-transformers/all-MiniLM-L6-v2" in message
    assert "unset ASSISTANT_EMBEDDING_MODEL" in message


def test_local_model_folder_is_accepted(tmp_path):
    emb = load_embedder(Settings(cache_dir=tmp_path / "c1"))
    folder = tmp_path / "mymodel"
    emb.model.save(str(folder))
    other = load_embedder(Settings(cache_dir=tmp_path / "c2", embedding_model=str(folder)))
    text = ["Ganja was shelled."]
    assert np.allclose(other.encode(text), emb.encode(text), atol=1e-5)


def test_cli_reports_model_error_without_traceback(tmp_path):
    env = {"ASSISTANT_EMBEDDING_MODEL": "no-such-org/no-such-model", "HF_HUB_OFFLINE": "1",
           "ASSISTANT_CACHE_DIR": str(tmp_path / "cache")}
    result = run_cli("ask", "Ganja?", "--corpus", str(CORPUS), "--index-dir", str(tmp_path / "idx"), env=env)
    assert result.returncode == 2
    assert "ASSISTANT_EMBEDDING_MODEL" in result.stderr and "Traceback" not in result.stderr
