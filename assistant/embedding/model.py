"""Load the embedding model named by the settings.

The default (``wordllama-l2-supercat-256``) is a real sentence-transformers model built
offline from the token embeddings and tokenizer shipped inside the ``wordllama`` wheel
(``StaticEmbedding`` + normalisation) and saved once to ``<cache_dir>/models``. Any other
value of ``ASSISTANT_EMBEDDING_MODEL`` is a sentence-transformers name or path, loaded from
the local cache or downloaded where the network allows; when it cannot be had the error
comes within seconds, naming the setting and the fix.

Example:
    >>> from assistant.settings import Settings
    >>> emb = load_embedder(Settings())
    >>> emb.encode(["Ganja was shelled."]).shape
    (1, 256)
"""
from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailableError
from ..settings import DEFAULT_EMBEDDING_MODEL, Settings

_SETTING = "ASSISTANT_EMBEDDING_MODEL"
_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str], "Embedder"] = {}


@dataclass
class Embedder:
    """A loaded model: ``encode`` gives L2-normalised float32 rows."""

    name: str
    model: Any
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 256) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def static_parts(self) -> tuple[Any, np.ndarray] | None:
        """The tokenizer (a ``tokenizers.Tokenizer``) and the token vectors when the model is a
        static embedding and a normalisation (the default is): its vectors are then normalised
        means of token vectors, which ``static_vectors`` computes without torch, also in the
        ingest workers. None for any other model."""
        modules = list(self.model) if hasattr(self.model, "__iter__") else []
        kinds = [type(m).__name__ for m in modules]
        bag = getattr(modules[0], "embedding", None) if modules else None
        if kinds == ["StaticEmbedding", "Normalize"] and hasattr(modules[0].tokenizer, "encode_batch_fast") \
                and getattr(bag, "mode", None) == "mean" and getattr(bag, "max_norm", None) is None:
            return modules[0].tokenizer, bag.weight.detach().cpu().numpy()
        return None


def static_vectors(tokenizer: Any, weights: np.ndarray, texts: list[str]) -> np.ndarray:
    """What ``encode`` gives for ``texts`` under the static model ``static_parts`` describes: each
    text's token vectors (no special tokens, as ``StaticEmbedding`` tokenizes) averaged, then
    L2-normalised; a text without tokens is all zeros. ``tokenizer`` is a ``tokenizers.Tokenizer``."""
    out = np.zeros((len(texts), weights.shape[1]), dtype=np.float32)
    for row, encoding in zip(out, tokenizer.encode_batch_fast(texts, add_special_tokens=False)):
        if encoding.ids:
            row[:] = weights[encoding.ids].mean(axis=0)
    # as torch's normalize: divided by the norm, or by 1e-12 when that is smaller
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder of ``settings`` (loaded once per process)."""
    key = (settings.embedding_model, str(settings.cache_dir))
    with _LOCK:
        if key not in _CACHE:
            if settings.embedding_model == DEFAULT_EMBEDDING_MODEL:
                model = _load_default(Path(settings.cache_dir))
            else:
                model = _load_named(settings.embedding_model, Path(settings.cache_dir))
            _CACHE[key] = Embedder(settings.embedding_model, model, _dimension(model))
        return _CACHE[key]


def default_model_dir(cache_dir: Path) -> Path:
    import wordllama

    version = getattr(wordllama, "__version__", "0")
    return cache_dir / "models" / f"{DEFAULT_EMBEDDING_MODEL}-{version}"


def _load_default(cache_dir: Path):
    from sentence_transformers import SentenceTransformer

    target = default_model_dir(cache_dir)
    if not (target / "modules.json").is_file():
        _build_default(target)
    return SentenceTransformer(str(target), device="cpu", local_files_only=True)


def _build_default(target: Path) -> None:
    """Wrap wordllama's packaged weights and tokenizer into a saved sentence-transformers model."""
    import wordllama
    from safetensors.numpy import load_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    from tokenizers import Tokenizer

    root = Path(wordllama.__file__).parent
    weights_file = root / "weights" / "l2_supercat_256.safetensors"
    tokenizer_file = root / "tokenizers" / "l2_supercat_tokenizer_config.json"
    if not weights_file.is_file() or not tokenizer_file.is_file():
        raise ModelUnavailableError(
            f"the wordllama package has no packaged weights at {weights_file}; reinstall it (pip install --force-reinstall wordllama) "
            f"or set {_SETTING} to another model"
        )
    weights = load_file(str(weights_file))["embedding.weight"].astype(np.float32)
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights), Normalize()], device="cpu")
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save(str(tmp))
    try:
        tmp.rename(target)  # atomic: a half-written model is never picked up
    except OSError:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)  # another process won the race


def _hub_reachable(timeout: float = 3.0) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=timeout)
        return True
    except urllib.error.HTTPError:
        return True  # it answered
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _load_named(name: str, cache_dir: Path):
    from sentence_transformers import SentenceTransformer

    return load_hub_model(SentenceTransformer, name, cache_dir, _SETTING)


def load_hub_model(factory: Any, name: str, cache_dir: Path, setting: str) -> Any:
    """``factory(name)`` (a SentenceTransformer or CrossEncoder class) from a local folder, the
    local cache, or the hub; a ``ModelUnavailableError`` naming ``setting`` when none can be had."""
    if Path(name).expanduser().exists():
        try:
            return factory(str(Path(name).expanduser()), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelUnavailableError(f"{setting}={name}: cannot load the model folder ({exc}); point it at a sentence-transformers model folder") from None
    folder = str(cache_dir / "hf")
    try:  # already downloaded: no network needed
        return factory(name, device="cpu", cache_folder=folder, local_files_only=True)
    except Exception:
        pass
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
    # Probe first: the hub client would otherwise retry for about a minute.
    if offline or not _hub_reachable():
        why = "HF_HUB_OFFLINE is set" if offline else "the Hugging Face hub cannot be reached"
        raise ModelUnavailableError(
            f"{setting}={name}: model not in the local cache and {why}. Download it on a connected machine into "
            f"{folder} (or give a local model folder), or unset {setting}."
        )
    try:
        return factory(name, device="cpu", cache_folder=folder)
    except Exception as exc:
        raise ModelUnavailableError(f"{setting}={name}: cannot download the model ({exc}); check the name or unset {setting}") from None


def _dimension(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())
