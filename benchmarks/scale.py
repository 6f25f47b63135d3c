"""Speed and memory at scale: ingest and ask against the raw parts and a vanilla LangChain pipeline.

    .venv/bin/python benchmarks/scale.py ../shared/data/realtimeqa/articles.jsonl --sizes 1000 10000 100000
    .venv/bin/python benchmarks/scale.py ARTICLES.jsonl --sizes 10000 --server    # against `chroma run`

For each size (in chunks), a corpus is made from the given articles, repeated with changes (each
copy has its own id and an edition line) until it holds about that many of our chunks, streamed
to a JSONL file. Then, each phase in its own process so that its peak memory is its own:
  ours       Assistant.ingest (sentences, attribution, chunks, embeddings, Chroma, BM25); like raw
             and vanilla, timed after the model is loaded (the cold start is measured apart);
             peak memory is the main process's, and apart, that of it and its workers together
             (proportional set size: a forked worker's pages shared with the ingest count once)
  raw        the same chunk texts: encode + Chroma add, same batch size, nothing else; encoded
             with the ingest's own code (for a static model such as the default, numpy pooling
             of its token vectors: equal to its encode, which takes about 1.3x as long)
  raw-meta   raw, with each text given as metadata the way ours stores it, not as a Chroma
             document (whose full-text index a local Chroma always builds): the floor of our layout
  vanilla    RecursiveCharacterTextSplitter(1000, 200) + the same model + langchain-chroma add_texts
  reingest   Assistant.ingest again on the unchanged corpus
  ask        50 questions through Assistant.ask (extractive) against a raw top-5 Chroma query
             (query encode + collection.query) of the same questions
  cold       `assistant ask` in a new process on the built index (time to first answer), with the
             default corpus check before it and without (ASSISTANT_REFRESH_ON_ASK=false)
  help       `assistant --help` (best of 5)
Ratios are against the baseline measured in the same run. Nothing of the data is kept, unless --keep.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHUNKS_PER_CHAR = 1 / 800  # our default chunk size, for sizing the corpus


def make_corpus(source: Path, target: Path, chunks: int) -> int:
    """Write about ``chunks`` chunks' worth of articles to ``target`` (JSONL), streaming."""
    budget = chunks / CHUNKS_PER_CHAR
    written = articles = copy = 0
    with target.open("w", encoding="utf-8") as out:
        while written < budget:
            with source.open(encoding="utf-8") as fh:
                for line in fh:
                    a = json.loads(line)
                    text = (a.get("text") or "").strip()
                    if len(text) < 200:
                        continue
                    out.write(json.dumps({"id": f"{a['id']}-{copy}", "title": a.get("title") or "",
                                          "published": a.get("published"), "url": a.get("url"),
                                          "text": f"{text}\n\nEdition {copy} of this report."}) + "\n")
                    written += len(text)
                    articles += 1
                    if written >= budget:
                        break
            copy += 1
    return articles


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TreeMemory:
    """The peak of this process's and its descendants' (ingest workers') memory summed, sampled
    from /proc every second (first after 0.3 s): proportional set sizes, which count a page
    shared by several of them (a forked worker shares the ingest's) once in all. (A child's own
    ru_maxrss would count the parent's pages it only shares.) Reading them holds up the
    processes read: every 0.2 s, it made an ingest of 11k chunks 5-10% slower; every second,
    within the noise."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _sample() -> int:
        """Proportional kB of this process and its descendants, found through
        /proc/PID/task/*/children (a walk of the whole of /proc cost the ingest's process 2 ms of
        every 200)."""
        total, todo = 0, [os.getpid()]
        while todo:
            pid = todo.pop()
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                total += int(rollup.split("\nPss:", 1)[1].split()[0])
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except (OSError, ValueError, IndexError):
                continue  # it ended meanwhile
        return total

    def _run(self) -> None:
        wait = 0.3  # a first look soon: a small ingest takes about a second
        while not self._stop.wait(wait):
            self.peak_kb = max(self.peak_kb, self._sample())
            wait = 1.0

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def phase(name: str, corpus: Path, work: Path, server: str | None) -> dict:
    from assistant import Assistant

    overrides = {"chroma_url": server} if server else {}
    bot = Assistant(corpus=corpus, index_dir=work / "index", **overrides)
    out: dict = {}
    if name in ("ours", "reingest"):
        bot.embedder, bot.store, bot.lexical  # loading the model and opening the index are not ingest work
        with TreeMemory() as tree:
            t = time.perf_counter()
            report = bot.ingest()
            out = {"seconds": time.perf_counter() - t, "chunks": bot.store.count(), "embedded": report.chunks_written}
        out["tree_peak_mb"] = tree.peak_mb
    elif name in ("raw", "raw-meta"):
        import chromadb
        import numpy as np

        from assistant.embedding.model import static_vectors
        from assistant.ingest.loader import iter_corpus
        from assistant.ingest.pipeline import embedding_text, prepare

        # the chunk texts are made before the clock starts: raw is only encode + add
        texts = [embedding_text(a, c) for a in iter_corpus(corpus) for c in prepare(a, bot.settings, bot.registry)]
        client = (chromadb.HttpClient(host=server.split(":")[0], port=int(server.split(":")[1])) if server
                  else chromadb.PersistentClient(path=str(work / name)))
        col = client.get_or_create_collection(name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
        step = min(bot.settings.batch_size, client.get_max_batch_size())
        # the same encoding code as the ingest: for a static model (the default) its vectors made
        # in numpy, which the model's own torch encode takes about 1.3x as long to make
        parts = bot.embedder.static_parts()  # model loading is not part of either side's clock
        t = time.perf_counter()
        for i in range(0, len(texts), step):
            vectors = static_vectors(*parts, texts[i:i + step]) if parts else bot.embedder.encode(texts[i:i + step], batch_size=step)
            ids = [str(j) for j in range(i, i + len(vectors))]
            if name == "raw":
                col.add(ids=ids, embeddings=np.asarray(vectors), documents=texts[i:i + step])
            else:
                col.add(ids=ids, embeddings=np.asarray(vectors), metadatas=[{"text": x} for x in texts[i:i + step]])
        out = {"seconds": time.perf_counter() - t, "chunks": len(texts)}
    elif name == "vanilla":
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.embedding.langchain import AssistantEmbeddings
        from assistant.ingest.loader import iter_corpus

        kwargs = {"client": __import__("chromadb").HttpClient(host=server.split(":")[0], port=int(server.split(":")[1]))} \
            if server else {"persist_directory": str(work / "vanilla")}
        db = Chroma(collection_name="vanilla", embedding_function=AssistantEmbeddings(bot.embedder), **kwargs)
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        t = time.perf_counter()
        texts: list[str] = []
        n = 0
        for a in iter_corpus(corpus):
            texts += splitter.split_text(a.text)
            if len(texts) >= bot.settings.batch_size:
                db.add_texts(texts)
                n += len(texts)
                texts = []
        if texts:
            db.add_texts(texts)
            n += len(texts)
        out = {"seconds": time.perf_counter() - t, "chunks": n}
    elif name == "ask":
        import numpy as np

        questions = [json.loads(x)["question"] for x in (ROOT.parent / "shared/data/realtimeqa/questions.jsonl").open()][:50] \
            if (ROOT.parent / "shared/data/realtimeqa/questions.jsonl").exists() else [f"What happened in report {i}?" for i in range(50)]
        bot.ensure_index()
        bot.ask(questions[0])  # warm
        ours, raw = [], []
        for q in questions:
            t = time.perf_counter()
            bot.ask(q)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            v = bot.embedder.encode([q])[0]
            bot.store.chunks.query(query_embeddings=[np.asarray(v, dtype=np.float32)], n_results=5)
            raw.append(time.perf_counter() - t)
        q50 = statistics.median
        out = {"ours_p50": q50(ours), "ours_p95": sorted(ours)[int(0.95 * (len(ours) - 1))],
               "raw_p50": q50(raw), "raw_p95": sorted(raw)[int(0.95 * (len(raw) - 1))]}
    out["peak_mb"] = peak_mb()
    return out


def run_phase(name: str, corpus: Path, work: Path, server: str | None) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--corpus", str(corpus), "--work", str(work)]
    if server:
        cmd += ["--server-url", server]
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    if res.returncode:
        raise SystemExit(f"phase {name} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def timed(cmd: list[str], env: dict | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - t


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    proc = subprocess.Popen([chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("chroma run did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("articles", type=Path, nargs="?")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--server", action="store_true", help="index into a `chroma run` server on loopback")
    ap.add_argument("--skip", nargs="*", default=[], choices=["vanilla", "raw", "raw-meta", "cold"])
    ap.add_argument("--keep", action="store_true", help="keep each size's corpus and indexes (their folder is printed)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--server-url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.corpus, args.work, args.server_url)))
        return
    exe = str(Path(sys.executable).parent / "assistant")
    help_s = min(timed([exe, "--help"]) for _ in range(5))
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; `assistant --help` {help_s:.3f} s (best of 5)\n")
    rows = []
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix=f"scale-{size}-"))
        corpus = work / "corpus"
        corpus.mkdir()
        n_articles = make_corpus(args.articles, corpus / "articles.jsonl", size)
        server = proc = None
        if args.server:
            proc, server = start_server(work / "chroma")
        try:
            ours = run_phase("ours", corpus, work, server)
            again = run_phase("reingest", corpus, work, server)
            raw = run_phase("raw", corpus, work, server) if "raw" not in args.skip else None
            raw_meta = run_phase("raw-meta", corpus, work, server) if "raw-meta" not in args.skip else None
            vanilla = run_phase("vanilla", corpus, work, server) if "vanilla" not in args.skip else None
            ask = run_phase("ask", corpus, work, server)
            cold = cold_fixed = None
            if "cold" not in args.skip:
                env = {"ASSISTANT_CHROMA_URL": server} if server else {}
                cmd = [exe, "ask", "Who said what?", "--corpus", str(corpus), "--index-dir", str(work / "index")]
                cold = timed(cmd, env)  # the default checks the corpus before the first answer
                cold_fixed = timed(cmd, {**env, "ASSISTANT_REFRESH_ON_ASK": "false"})
        finally:
            if proc:
                proc.terminate()
        row = {"chunks": ours["chunks"], "articles": n_articles, "ingest s": ours["seconds"],
               "x raw": ours["seconds"] / raw["seconds"] if raw else float("nan"),
               "x vanilla": ours["seconds"] / vanilla["seconds"] if vanilla else float("nan"),
               "x raw, text as metadata": ours["seconds"] / raw_meta["seconds"] if raw_meta else float("nan"),
               "reingest share": again["seconds"] / ours["seconds"],
               "ask p50 s": ask["ours_p50"], "ask p95 s": ask["ours_p95"], "x raw query p50": ask["ours_p50"] / ask["raw_p50"],
               "peak MB ingest": ours["peak_mb"], "peak MB with workers": ours["tree_peak_mb"],
               "peak MB raw": raw["peak_mb"] if raw else float("nan"),
               "cold first answer s": cold if cold else float("nan"),
               "cold, no corpus check s": cold_fixed if cold_fixed else float("nan")}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.keep:
            print(f"kept: {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    cols = list(rows[0])
    print(f"\n{'Chroma server' if args.server else 'embedded Chroma'}\n")
    print("| " + " | ".join(cols) + " |")
    print("| " + " | ".join("---" for _ in cols) + " |")
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
