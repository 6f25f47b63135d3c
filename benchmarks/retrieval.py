"""Retrieval and answer benchmark on RealTimeQA: ours against a vanilla LangChain pipeline and BM25 alone.

    .venv/bin/python benchmarks/retrieval.py ../shared/data/realtimeqa [--limit N] [--work DIR]

The articles (gold and distractors) become one corpus; every question is asked without its
choices, on the day of its week (RealTimeQA's questions are about "this week": the test set
carries that day as ``as_of``), and ours once more without a date. Per system:
  Hits@1/5/10, MRR   a gold article among the first k distinct articles retrieved (k=10 passages)
  cited hit          a gold article among the sources the answer cites (k=5 passages)
  answer recall      an accepted answer string occurs in the answer text, over the questions whose
                     answer occurs in a gold article
  not found          share of answers with found: false
  latency            median and 95th percentile seconds per question (condense, retrieve, answer)
The metrics are assistant.evaluation's, and "ours" runs exactly as `assistant eval` over the
test set this script writes (it prints the command).
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
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant import Assistant  # noqa: E402
from assistant.evaluation.runner import run_eval  # noqa: E402
from assistant.evaluation.testset import EvalItem  # noqa: E402
from assistant.ingest.sentences import split_sentences  # noqa: E402
from assistant.schema import Chunk, Passage, Sentence  # noqa: E402
from assistant.text import terms  # noqa: E402


def plain_passage(chunk_id: str, article_id: str, text: str, title: str, score: float) -> Passage:
    """A passage without attributions (the baselines have none), sentences split the same way."""
    sentences = tuple(Sentence(a, b, ()) for a, b in split_sentences(text))
    chunk = Chunk(chunk_id, article_id, 0, text, 0, len(text), sentences)
    return Passage(chunk=chunk, score=score, title=title)


class Baseline:
    """A system for the evaluation runner: its own retrieval, the assistant's extractive answerer."""

    def __init__(self, bot: Assistant):
        self.bot = bot

    def condense(self, question: str, history=None) -> str:
        return question

    def ask(self, question: str, history=None, filters=None):
        return self.bot.answer(question, self.retrieve(question, self.bot.settings.top_k))


class BM25Only(Baseline):
    name = "bm25 alone"

    def retrieve(self, q: str, k: int, filters=None) -> list[Passage]:
        ids = [cid for cid, _ in self.bot.lexical.search(terms(q), k)]
        return self.bot.store.get(ids)[0]


class BM25Dated(Baseline):
    """An ablation, not a baseline: BM25 alone with our timeframe fusion (no dense search, no
    MMR), to show what the day asked brings without the rest of our retrieval."""
    name = "ablation: bm25 + timeframe"

    def ask(self, question: str, history=None, filters=None):
        return self.bot.answer(question, self.retrieve(question, self.bot.settings.top_k, filters))

    def retrieve(self, q: str, k: int, filters=None) -> list[Passage]:
        from assistant.retrieval.retriever import TIME_W, rrf
        from assistant.retrieval.timeframe import timeframe
        from assistant.schema import Filters

        n = max(self.bot.retriever.candidates, k * 4)
        rankings, weights = [[c for c, _ in self.bot.lexical.search(terms(q), n)]], [1.0]
        frame = timeframe(q, filters.as_of if filters is not None else None)
        if frame:
            rankings.append([c for c, _ in self.bot.lexical.search(terms(q), n, Filters().within(frame))])
            weights.append(TIME_W)
        fused = rrf(rankings, weights)
        return self.bot.store.get(sorted(fused, key=fused.__getitem__, reverse=True)[:k])[0]


class Vanilla(Baseline):
    name = "vanilla langchain"

    def __init__(self, bot: Assistant, articles: list[dict], folder: Path):
        super().__init__(bot)
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.embedding.langchain import AssistantEmbeddings

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts, metas = [], []
        for a in articles:
            for i, piece in enumerate(splitter.split_text(a["text"])):
                texts.append(piece)
                metas.append({"article_id": a["id"], "title": a.get("title") or "", "i": i})
        self.db = Chroma(collection_name="vanilla", embedding_function=AssistantEmbeddings(bot.embedder),
                         persist_directory=str(folder))
        step = 5000  # under Chroma's per-call limit
        for s in range(0, len(texts), step):
            self.db.add_texts(texts[s:s + step], metadatas=metas[s:s + step])
        self.chunks = len(texts)

    def retrieve(self, q: str, k: int, filters=None) -> list[Passage]:
        docs = self.db.similarity_search_with_score(q, k=k)
        return [plain_passage(f"{d.metadata['article_id']}::v{d.metadata['i']}", d.metadata["article_id"], d.page_content,
                              d.metadata["title"], 1.0 - s) for d, s in docs]


def as_items(questions: list[dict], dated: bool = True) -> list[EvalItem]:
    """RealTimeQA in the test-set format; answer strings only where a gold article holds one, so
    that answer recall counts the questions the corpus can answer. ``dated``: each question is
    asked on the day of its week (the day RealTimeQA published it), as its "this week" means."""
    return [EvalItem(id=q["id"], question=q["question"], gold_article_ids=q["gold_article_ids"],
                     answers=q["answers"] if q.get("answer_in_gold_text") else [], tags=[f"week {q['week']}"],
                     as_of=f"{q['week'][:4]}-{q['week'][4:6]}-{q['week'][6:8]}" if dated else None)
            for q in questions]


def evaluate(system, items: list[EvalItem]) -> dict[str, float]:
    """The runner's metrics, plus the share of questions whose answer cites a gold article."""
    run = run_eval(system, items, progress=sys.stderr.isatty())
    gold = {i.id: set(i.gold_article_ids) for i in items}
    cited = [bool(gold[r.id] & {s["article_id"] for s in r.answer.get("sources", [])}) for r in run.items]
    not_found = [not r.answer.get("found") for r in run.items]
    o = run.overall
    return {"Hits@1": o["hits@1"], "Hits@5": o["hits@5"], "Hits@10": o["hits@10"], "MRR": o["mrr"],
            "cited hit": sum(cited) / len(cited), "answer recall": o["answer_recall"],
            "not found": sum(not_found) / len(not_found), "p50 s": o["latency_p50"], "p95 s": o["latency_p95"]}


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
    items = as_items(questions)
    testset = work / "realtimeqa_eval.jsonl"
    testset.write_text("".join(i.model_dump_json(exclude_defaults=True) + "\n" for i in items), encoding="utf-8")
    print(f"ours runs as: assistant eval {testset} --corpus {corpus} --index-dir {work / 'index'} --report DIR")
    undated = as_items(questions, dated=False)
    # (system, items): the baselines have no notion of when a question is asked, so they get the
    # undated items; ours is shown both ways, so the date's share of the gain is visible
    systems = {"ours (asked on its day)": (bot, items), "ours (no date)": (bot, undated)}
    if "bm25" not in args.skip:
        systems[BM25Only.name] = (BM25Only(bot), undated)
        systems[BM25Dated.name] = (BM25Dated(bot), items)
    if "vanilla" not in args.skip:
        t = time.perf_counter()
        v = Vanilla(bot, articles, Path(tempfile.mkdtemp(prefix="vanilla-", dir=work)))
        print(f"vanilla index: {v.chunks} chunks, {time.perf_counter() - t:.1f} s")
        systems[v.name] = (v, undated)
    rows = {name: evaluate(s, its) for name, (s, its) in systems.items()}
    cols = list(next(iter(rows.values())))
    print(f"\n{len(questions)} questions, {sum(bool(q.get('answer_in_gold_text')) for q in questions)} with the answer in a gold article\n")
    print(f"| system | {' | '.join(cols)} |")
    print(f"| --- | {' | '.join('---' for _ in cols)} |")
    for name, r in rows.items():
        print(f"| {name} | {' | '.join(f'{r[c]:.3f}' for c in cols)} |")


if __name__ == "__main__":
    main()
