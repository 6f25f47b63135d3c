"""Robustness: every kind of bad corpus file, an ingest killed at random points, many users at
once (Python threads and the Gradio API), and questions no one should ask."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import CORPUS, SEED, check_contract, run_cli


def test_every_bad_file_is_one_clear_line_and_good_files_are_indexed(tmp_path, corpus_dir):
    c = corpus_dir
    (c / "empty.md").write_text("")
    (c / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (c / "cp1252.txt").write_bytes("Caf\xe9 report\nThe caf\xe9 in Ganja was closed, officials said.".encode("cp1252"))
    (c / "latin1.md").write_bytes("R\xe9sum\xe9\n\nLe r\xe9sum\xe9 du minist\xe8re.".encode("latin-1"))
    (c / "bom.md").write_bytes("\ufeff---\ntitle: With a BOM\n---\n\nThe bridge at Lachin was open, officials said.\n".encode("utf-8"))
    (c / "huge.txt").write_text("Ganja was calm. " * 3_300_000)  # about 53 MB
    (c / "badfront.md").write_text("---\ntitle: [unclosed\nid: x: y\n---\nBody.\n")
    (c / "lines.jsonl").write_text(json.dumps({"id": "j1", "text": "A first good line."}) + "\n{broken\n"
                                   + json.dumps({"id": "j2", "text": "A second good line."}) + "\n")
    (c / "dup.md").write_text("---\nid: 5955795cbc8a8a5d\ntitle: Same id as the seed\n---\nAnother body.\n")
    (c / "scripts.html").write_text("<html><head><script>var a = 1;</script></head><body><script>alert(1)</script></body></html>")
    (c / "dangling.md").symlink_to(tmp_path / "nowhere.md")  # unreadable: its target is gone
    (c / "loop").mkdir()
    (c / "loop" / "again").symlink_to(c / "loop")  # a folder symlink loop
    (c / "self.md").symlink_to(c / "self.md")  # a file symlink loop
    result = run_cli("ingest", str(c), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    expect = {"empty.md": "file is empty", "binary.txt": "binary file", "cp1252.txt": "not valid UTF-8",
              "latin1.md": "not valid UTF-8", "huge.txt": "ASSISTANT_MAX_ARTICLE_CHARS", "badfront.md": "front matter",
              "lines.jsonl:2": "invalid JSON", "dup.md": "duplicate article id", "scripts.html": "no main text",
              "dangling.md": "cannot read", "self.md": "cannot read"}
    for name, reason in expect.items():
        hits = [line for line in lines if str(c / name.split(":")[0]) in line and (name.split(":")[-1] in line)]
        assert len(hits) == 1 if name not in {"cp1252.txt", "latin1.md"} else hits, (name, lines)
        assert reason in hits[0], (name, hits)
    assert "Traceback" not in result.stderr
    # every good file is in the index, the UTF-8-with-BOM one with its title
    assert "6 added" in result.stdout
    from assistant import Assistant

    bot = Assistant(corpus=c, index_dir=tmp_path / "idx")
    ids = set(bot.store.manifest())
    assert {"5955795cbc8a8a5d", "cp1252", "latin1", "bom", "j1", "j2"} <= ids and "huge" not in ids
    strict = run_cli("ingest", str(c), "--index-dir", str(tmp_path / "idx"), "--strict")
    assert strict.returncode == 1 and "6 unchanged" in strict.stdout


def _corpus(folder: Path, n: int) -> None:
    """``n`` articles made from the seed's paragraphs, each with its own id and order."""
    body = SEED.read_text(encoding="utf-8").split("---", 2)[2].strip().split("\n\n")
    rng = random.Random(7)
    folder.mkdir(parents=True)
    for i in range(n):
        paras = body[:]
        rng.shuffle(paras)
        (folder / f"a{i:03d}.md").write_text(f"---\ntitle: Report {i}\npublished: 2020-10-{1 + i % 28:02d}\n---\n\n"
                                             + "\n\n".join(paras) + f"\n\nReport number {i} ends here.\n")


def _ingest(corpus: Path, index: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(corpus), "--index-dir", str(index),
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "ASSISTANT_BATCH_SIZE": "32"})


def test_killed_ingest_leaves_every_chunk_exactly_once_and_bm25_in_step(tmp_path):
    from assistant import Assistant
    from assistant.ingest.loader import iter_corpus
    from assistant.ingest.pipeline import prepare

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _corpus(corpus, 120)
    started = time.perf_counter()
    probe = _ingest(corpus, tmp_path / "probe-index")
    probe.communicate(timeout=600)
    full = time.perf_counter() - started
    rng = random.Random(11)
    runs = []
    # ten ingests killed at random moments; a run that finishes before its kill does not count,
    # and each time the corpus changes a little, so there is always work left to interrupt
    for trial in range(30):
        for victim in rng.sample(sorted(corpus.glob("*.md")), 6):
            victim.write_text(victim.read_text() + f"\nA late correction {trial}, officials said.\n")
        proc = _ingest(corpus, index)
        at = rng.uniform(0.2, 1.0) * full
        time.sleep(at)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)  # returns only once its worker processes are gone too
        runs.append((round(at, 1), proc.returncode))
        if sum(rc == -signal.SIGKILL for _, rc in runs) == 10:
            break
    assert sum(rc == -signal.SIGKILL for _, rc in runs) == 10, runs
    final = _ingest(corpus, index)
    out, err = final.communicate(timeout=600)
    assert final.returncode == 0, err
    bot = Assistant(corpus=corpus, index_dir=index)
    expected = {}
    for article in iter_corpus(corpus):
        for chunk in prepare(article, bot.settings, bot.registry):
            expected[chunk.id] = chunk.text
    got = [(chunk_id, text) for chunk_id, text, _ in bot.store.iter_chunks()]
    assert len(got) == len(dict(got)) == len(expected), runs
    assert dict(got) == expected, runs  # none missing, none stale
    assert bot.lexical.ids() == set(expected) and bot.lexical.digest == bot.store.digest()
    assert len(bot.store.manifest()) == 120
    # the answers come from the repaired index
    assert bot.ask("Who denied firing toward Azerbaijan?").found


def test_eight_threads_get_the_serial_answers(seed_assistant):
    questions = ["How many civilians were killed in Ganja?", "Who denied firing toward Azerbaijan?",
                 "What did the AFP team report in Stepanakert?", "What did the U.N. resolutions demand?",
                 "Which cities besides Fuzuli were attacked?", "What is the recipe for banana bread?",
                 "What did Aliyev say must happen before the fighting can stop?", "When did the new clashes erupt?"]
    serial = {q: seed_assistant.ask(q).to_dict() for q in questions}
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda q: (q, seed_assistant.ask(q).to_dict()), questions * 4))
    for q, answer in parallel:
        assert answer == serial[q], q


def test_fresh_assistant_survives_a_first_burst_of_threads(tmp_path):
    """Eight threads asking at once before anything is loaded: one ingest, one model, no error."""
    from assistant import Assistant

    bot = Assistant(corpus=CORPUS, index_dir=tmp_path / "idx")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: bot.ask("Who denied firing toward Azerbaijan?").to_dict(), range(8)))
    assert all(a == answers[0] for a in answers) and answers[0]["found"]


def test_fifty_concurrent_questions_through_the_gradio_api(seed_assistant):
    from gradio_client import Client

    from assistant.ui.app import launch

    from .test_ui import free_port, wait_for

    port = free_port()
    demo = launch(seed_assistant, port=port, block=False)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url)
        client = Client(url, verbose=False)
        questions = ["Who denied firing toward Azerbaijan?", "How many civilians were killed in Ganja?",
                     "What did the AFP team report in Stepanakert?", "Who won the 2022 football World Cup final?",
                     "What did Hajiyev say in a tweet?"]
        serial = {q: client.predict(q, None, api_name="/ask") for q in questions}
        jobs = [(q, client.submit(q, None, api_name="/ask")) for q in questions * 10]
        for q, job in jobs:
            assert job.result(timeout=300) == serial[q], q
    finally:
        demo.close()


@pytest.mark.parametrize("question, message", [
    ("", "empty"), ("   \x00\x07  ", "empty"), ("Ganja? " * 15_000, "ASSISTANT_MAX_QUESTION_CHARS"),
])
def test_bad_questions_get_a_clear_message_everywhere(seed_assistant, tmp_path, question, message):
    from assistant.errors import QuestionError

    with pytest.raises(QuestionError, match=message):
        seed_assistant.ask(question)
    if "\x00" not in question:  # a NUL cannot be passed as a command-line argument
        result = run_cli("ask", question, "--corpus", str(CORPUS), "--index-dir", str(tmp_path / "i"))
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("question", ["Combien de civils ont été tués à Ganja ?", "Гянджа: сколько погибших?",
                                      "How many\x1b[31m civilians\x07 were killed in Ganja?", "🙂❓", "ganja"])
def test_odd_questions_get_an_answer_or_a_plain_not_found(seed_assistant, question):
    answer = seed_assistant.ask(question).to_dict()
    check_contract(answer)
    assert answer["found"] or "Nothing in the corpus" in answer["answer"]
