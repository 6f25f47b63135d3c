"""Retrieval and answer benchmark on RealTimeQA: ours against a vanilla LangChain pipeline and BM25 alone.

    .venv/bin/python benchmarks/retrieval.py ../shared/data/realtimeqa [--limit N] [--work DIR]

The articles (gold and distractors) become one corpus; every question is asked without its
choices. Per system:
  Hits@1/5/10, MRR   a gold article among the first k distinct articles retrieved (k=10 passages)
  cited hit          a gold article among the sources the answer cites (k=5 passages)
  answer recall      an accepted answer string occurs in the answer text, over the questions whose
                     answer occurs in a gold article
  not found          share of answers with found: false
  latency            median and 90th percentile seconds per question (retrieve + answer)
The baselines answer with the same extractive answerer over their own passages, so the columns
compare what each retrieval hands to the answer.
  vanilla   RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200), the same embedding
            model, langchain-chroma similarity search
  bm25      our BM25 index alone (bm25s over the same chunks)
Nothing here is derived from the data; the data stays in ../shared.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant import Assistant  # noqa: E402
from assistant.ingest.sentences import split_sentences  # noqa: E402
from assistant.schema import Chunk, Passage, Sentence  # noqa: E402
from assistant.text import terms  # noqa: E402


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\"“”‘’'.,]", "", s.lower())).strip()


def answer_hit(answers: list[str], text: str) -> bool:
    t = _norm(text)
    return any(_norm(a) and _norm(a) in t for a in answers)


def ranked_articles(passages: list[Passage]) -> list[str]:
    seen: list[str] = []
    for p in passages:
        if p.chunk.article_id not in seen:
            seen.append(p.chunk.article_id)
    return seen


def plain_passage(chunk_id: str, article_id: str, text: str, title: str, score: float) -> Passage:
    """A passage without attributions (the baselines have none), sentences split the same way."""
    sentences = tuple(Sentence(a, b, ()) for a, b in split_sentences(text))
    chunk = Chunk(chunk_id, article_id, 0, text, 0, len(text), sentences)
    return Passage(chunk=chunk, score=score, title=title)


class Ours:
    name = "ours (hybrid)"

    def __init__(self, bot: Assistant):
        self.bot = bot

    def passages(self, q: str, k: int) -> list[Passage]:
        return self.bot.retrieve(q, k=k)

    def answer(self, q: str):
        return self.bot.ask(q)


class BM25Only:
    name = "bm25 alone"

    def __init__(self, bot: Assistant):
        self.bot = bot

    def passages(self, q: str, k: int) -> list[Passage]:
        ids = [cid for cid, _ in self.bot.lexical.search(terms(q), k)]
        return self.bot.store.get(ids)[0]

    def answer(self, q: str):
        return self.bot.answer(q, self.passages(q, self.bot.settings.top_k))


class Vanilla:
    name = "vanilla langchain"

    def __init__(self, bot: Assistant, articles: list[dict], folder: Path):
        from langchain_chroma import Chroma
        from langchain_core.embeddings import Embeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        embedder = bot.embedder

        class Wrapped(Embeddings):
            def embed_documents(self, texts):
                return embedder.encode(list(texts)).tolist()

            def embed_query(self, text):
                return embedder.encode([text])[0].tolist()

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts, metas = [], []
        for a in articles:
            for i, piece in enumerate(splitter.split_text(a["text"])):
                texts.append(piece)
                metas.append({"article_id": a["id"], "title": a.get("title") or "", "i": i})
        self.db = Chroma(collection_name="vanilla", embedding_function=Wrapped(), persist_directory=str(folder))
        step = 5000  # under Chroma's per-call limit
        for s in range(0, len(texts), step):
            self.db.add_texts(texts[s:s + step], metadatas=metas[s:s + step])
        self.bot = bot
        self.chunks = len(texts)

    def passages(self, q: str, k: int) -> list[Passage]:
        docs = self.db.similarity_search_with_score(q, k=k)
        return [plain_passage(f"{d.metadata['article_id']}::v{d.metadata['i']}", d.metadata["article_id"], d.page_content,
                              d.metadata["title"], 1.0 - s) for d, s in docs]

    def answer(self, q: str):
        return self.bot.answer(q, self.passages(q, self.bot.settings.top_k))


def evaluate(system, questions: list[dict]) -> dict[str, float]:
    hits = {1: 0, 5: 0, 10: 0}
    rr = cited = recall = recall_n = not_found = 0.0
    times = []
    for q in questions:
        gold = set(q["gold_article_ids"])
        t = time.perf_counter()
        ranked = ranked_articles(system.passages(q["question"], 10))
        answer = system.answer(q["question"])
        times.append(time.perf_counter() - t)
        for k in hits:
            hits[k] += bool(gold & set(ranked[:k]))
        rank = next((i for i, a in enumerate(ranked) if a in gold), None)
        rr += 1 / (rank + 1) if rank is not None else 0
        cited += bool(gold & {s.article_id for s in answer.sources})
        not_found += not answer.found
        if q.get("answer_in_gold_text"):
            recall_n += 1
            recall += answer_hit(q["answers"], answer.answer)
    n = len(questions)
    times.sort()
    return {"Hits@1": hits[1] / n, "Hits@5": hits[5] / n, "Hits@10": hits[10] / n, "MRR": rr / n,
            "cited hit": cited / n, "answer recall": recall / recall_n if recall_n else 0.0,
            "not found": not_found / n, "p50 s": statistics.median(times), "p90 s": times[int(0.9 * (n - 1))]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--limit", type=int, help="only the first N questions")
    ap.add_argument("--work", type=Path, help="keep the corpus and indexes here (reused between runs)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["vanilla", "bm25"])
    args = ap.parse_args()
    questions = [json.loads(x) for x in (args.data / "questions.jsonl").open(encoding="utf-8") if x.strip()]
    questions = questions[: args.limit] if args.limit else questions
    articles = [json.loads(x) for x in (args.data / "articles.jsonl").open(encoding="utf-8") if x.strip()]
    work = args.work or Path(tempfile.mkdtemp(prefix="rtqa-"))
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / "articles.jsonl"
    if not target.exists():
        target.write_text((args.data / "articles.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    bot = Assistant(corpus=corpus, index_dir=work / "index")
    t = time.perf_counter()
    report = bot.ingest()
    print(f"ingest: {report.added + report.updated} articles embedded, {report.unchanged} unchanged, "
          f"{bot.store.count()} chunks, {len(report.issues)} issues, {time.perf_counter() - t:.1f} s")
    systems = [Ours(bot)]
    if "bm25" not in args.skip:
        systems.append(BM25Only(bot))
    if "vanilla" not in args.skip:
        t = time.perf_counter()
        v = Vanilla(bot, articles, Path(tempfile.mkdtemp(prefix="vanilla-", dir=work)))
        print(f"vanilla index: {v.chunks} chunks, {time.perf_counter() - t:.1f} s")
        systems.append(v)
    rows = {s.name: evaluate(s, questions) for s in systems}
    cols = list(next(iter(rows.values())))
    print(f"\n{len(questions)} questions, {sum(bool(q.get('answer_in_gold_text')) for q in questions)} with the answer in a gold article\n")
    print(f"| system | {' | '.join(cols)} |")
    print(f"| --- | {' | '.join('---' for _ in cols)} |")
    for name, r in rows.items():
        print(f"| {name} | {' | '.join(f'{r[c]:.3f}' for c in cols)} |")


if __name__ == "__main__":
    main()
