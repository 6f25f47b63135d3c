"""Hybrid retrieval: BM25 kept with the index, fusion, diversity, filters, follow-ups, reranker errors."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ModelUnavailableError, QuestionError
from assistant.index.lexical import LexicalIndex
from assistant.retrieval.retriever import mmr, rrf
from assistant.schema import Filters

from .conftest import run_cli

STEPANAKERT = """---
title: Stepanakert shelled overnight, Karabakh officials say
published: 2020-10-05
source: Example Wire
---
Karabakh's emergency service said on Monday that shelling of Stepanakert killed two civilians overnight.

Azerbaijan's Defense Ministry denied that its forces had targeted civilian areas in Stepanakert.

"We are hitting only military targets," Azerbaijani presidential aide Hikmet Hajiyev told reporters.
"""

TRUCE = """---
title: Humanitarian truce announced in Moscow
published: 2020-10-10
source: Other Daily
---
Russia's foreign minister Sergei Lavrov said on Saturday that Armenia and Azerbaijan had agreed to a humanitarian truce.

The truce was meant to allow the exchange of prisoners and bodies.
"""


@pytest.fixture
def three(corpus_dir: Path, make_assistant):
    (corpus_dir / "stepanakert.md").write_text(STEPANAKERT, encoding="utf-8")
    (corpus_dir / "truce.md").write_text(TRUCE, encoding="utf-8")
    bot = make_assistant(corpus_dir)
    bot.ingest()
    return bot, corpus_dir


def test_rrf_rewards_agreement_and_mmr_skips_duplicates():
    fused = rrf([["a", "b", "c"], ["b", "c", "a"]])
    assert max(fused, key=fused.get) == "b"
    v = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    # the second passage repeats the first: diversity picks the third
    assert mmr(np.array([1.0, 0.95, 0.6]), v, [set(), set(), set()], 2, 0.5) == [0, 2]


def test_lexical_index_is_persisted_and_follows_the_corpus(three):
    bot, corpus = three
    lex = bot.lexical
    assert lex.digest == bot.store.digest() and len(lex) == bot.store.count()
    fresh = LexicalIndex(lex.folder)  # another process: reads from disk, no rebuild
    hit = fresh.search(["lavrov"], k=3)[0][0]
    assert bot.store.manifest()[hit.split("::")[0]].path.endswith("truce.md")
    (corpus / "truce.md").unlink()
    bot.ingest()
    assert LexicalIndex(lex.folder).search(["lavrov"], k=3) == []
    assert LexicalIndex(lex.folder).digest == bot.store.digest()


def test_lexical_index_rebuilt_when_it_no_longer_matches(three):
    bot, _ = three
    import shutil

    shutil.rmtree(bot.lexical.folder)
    from assistant import Assistant

    again = Assistant(settings=bot.settings)  # a new process finds the index without BM25
    report = again.ingest()
    assert report.chunks_written == 0  # nothing re-embedded
    assert len(again.lexical) == again.store.count() and again.lexical.search(["stepanakert"], k=1)


def test_filters_by_party_outlet_date_and_article(three):
    bot, _ = three
    by_party = bot.retrieve("civilians killed shelling", k=10, filters=Filters(parties=("karabakh",)))
    assert by_party and all(any(a.party == "karabakh" for s in p.chunk.sentences for a in s.attributions) for p in by_party)
    by_outlet = bot.retrieve("truce", k=10, filters=Filters(outlets=("Other Daily",)))
    assert by_outlet and {p.source for p in by_outlet} == {"Other Daily"}
    by_date = bot.retrieve("civilians", k=10, filters=Filters.build(since="2020-10-05", until="2020-10-06"))
    assert by_date and {p.published for p in by_date} == {"2020-10-05"}
    assert bot.retrieve("civilians", k=10, filters=Filters(articles=("5955795cbc8a8a5d",)))[0].chunk.article_id == "5955795cbc8a8a5d"
    none = bot.ask("civilians", filters=Filters.build(since="2030-01-01"))
    assert not none.found and not none.claims and not none.sources


def test_filtered_dense_search_ranks_alike_by_id_list_and_by_over_fetch(three, monkeypatch):
    """Chroma's search among the ids that pass, and its search of every chunk filtered after: on
    a corpus this small both must give the same ranking, within the filter."""
    from assistant.retrieval import retriever as retriever_module
    from assistant.text import terms

    bot, _ = three
    question = "civilians killed in shelling"
    vector, words = bot.embedder.encode([question])[0], terms(question)
    for filters in (Filters(parties=("azerbaijan",)), Filters(parties=("armenia", "karabakh")), Filters.build(since="2020-10-05")):
        monkeypatch.setattr(retriever_module, "FETCH_LIMIT", 0)  # listing the ids
        listed = bot.retriever._rankings(vector, words, 10, filters)
        monkeypatch.setattr(retriever_module, "ID_FILTER_LIMIT", 0)  # too many to list: over-fetch
        fetched = bot.retriever._rankings(vector, words, 10, filters)
        monkeypatch.undo()
        assert fetched == listed and listed[0] and set(listed[0]) <= set(bot.lexical.passing(filters))


def test_party_filter_keeps_only_that_partys_claims(three):
    bot, _ = three
    answer = bot.ask("Were civilians targeted in Stepanakert?", filters=Filters(parties=("azerbaijan",)))
    assert answer.found and {c.party for c in answer.claims} == {"azerbaijan"}


def test_bad_filter_dates_name_the_option():
    with pytest.raises(QuestionError, match="since"):
        Filters.build(since="05/10/2020")
    with pytest.raises(QuestionError, match="swap"):
        Filters.build(since="2020-10-10", until="2020-10-01")


def test_cli_filters(three, tmp_path):
    bot, corpus = three
    args = ["ask", "Who agreed to a truce?", "--corpus", str(corpus), "--index-dir", str(bot.settings.index_dir), "--json"]
    out = run_cli(*args, "--outlet", "Other Daily")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["found"] and {s["title"] for s in data["sources"]} == {"Humanitarian truce announced in Moscow"}
    bad = run_cli(*args, "--until", "yesterday")
    assert bad.returncode == 2 and "until" in bad.stderr


def test_diversity_shows_both_sides(three):
    bot, _ = three
    passages = bot.retrieve("Were civilians killed in Stepanakert and Ganja?", k=3)
    parties = {a.party for p in passages for s in p.chunk.sentences for a in s.attributions}
    assert {"azerbaijan", "karabakh"} <= parties


def test_reranker_that_cannot_be_had_fails_fast_and_names_the_setting(three):
    bot, _ = three
    from assistant import Assistant

    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        t = time.perf_counter()
        with pytest.raises(ModelUnavailableError, match="ASSISTANT_RERANKER_MODEL"):
            Assistant(settings=bot.settings, reranker_model="cross-encoder/ms-marco-MiniLM-L-6-v2").retriever
        assert time.perf_counter() - t < 10
    finally:
        del os.environ["HF_HUB_OFFLINE"]


def test_multi_turn_without_a_model_carries_names(three):
    bot, _ = three
    first = bot.ask("What did Hikmet Hajiyev say?")
    assert first.found and any(c.speaker == "Hikmet Hajiyev" for c in first.claims)
    second = bot.ask("What did he tell reporters?", history=[("What did Hikmet Hajiyev say?", first)])
    assert any("military targets" in c.text for c in second.claims)
    third = bot.ask("Who agreed to a truce?", history=[("What did Hikmet Hajiyev say?", first),
                                                       ("What did he tell reporters?", second)])
    assert any(c.speaker and "Lavrov" in c.speaker for c in third.claims)


def test_multi_turn_with_a_model_condenses_with_the_prompt(three):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant import Assistant

    bot, _ = three
    llm = FakeListChatModel(responses=["What did Sergei Lavrov say about the humanitarian truce?"])
    talk = Assistant(settings=bot.settings, llm=llm)
    query = talk.condense("What did he say about it?", [("Who is Sergei Lavrov?", "Russia's foreign minister.")])
    assert query == "What did Sergei Lavrov say about the humanitarian truce?"
    llm2 = FakeListChatModel(responses=["What did Sergei Lavrov say about the humanitarian truce?"])
    answer = Assistant(settings=bot.settings, llm=llm2).ask("What did he say about it?", history=[("Who is Sergei Lavrov?", "x")])
    assert answer.found and any(c.speaker and "Lavrov" in c.speaker for c in answer.claims)


def test_langchain_retriever_takes_filters(three):
    bot, _ = three
    docs = bot.as_retriever(k=5, filters=Filters(outlets=("Example Wire",))).invoke("civilians")
    assert docs and all("stepanakert" in d.metadata["title"].lower() for d in docs)


SECOND_TRUCE = """---
title: New humanitarian truce from midnight
published: 2020-10-17
source: Example Wire
---
Armenia and Azerbaijan agreed to a new humanitarian truce from midnight, the French presidency said on Saturday.

The truce was agreed after calls between the leaders and the co-chairs of the Minsk Group.
"""


def test_timeframe_reads_time_words_against_the_day_asked():
    from datetime import date

    from assistant.retrieval.timeframe import timeframe
    from assistant.schema import Timeframe

    day = date(2020, 10, 18)
    assert timeframe("Who agreed a truce this week?", day) == Timeframe("2020-10-11", "2020-10-18", "this week")
    assert timeframe("What happened on Tuesday?", day).since == "2020-10-11"
    assert timeframe("Who was shelled yesterday?", day).since == "2020-10-16"
    assert timeframe("What did Lavrov say last month?", day).since == "2020-09-17"
    assert timeframe("Who agreed a truce?", day) == Timeframe("2020-10-04", "2020-10-18", None)  # the news as of that day
    assert timeframe("Who agreed a truce?", None) is None  # nothing says when: no preference
    assert timeframe("Who agreed a truce this week?", None, today=day).until == "2020-10-18"
    assert timeframe("Did Mondays matter?", day).phrase is None  # a weekday inside another word is not one
    narrowed = Filters.build(outlets=["Example Wire"], since="2020-10-15").within(timeframe("this week", day))
    assert narrowed == Filters(outlets=("Example Wire",), since="2020-10-15", until="2020-10-18")
    assert Filters.build(until="2020-10-01").within(timeframe("this week", day)) is None


def test_as_of_prefers_the_news_of_that_week_without_hiding_older_news(three):
    bot, corpus = three
    (corpus / "second-truce.md").write_text(SECOND_TRUCE, encoding="utf-8")
    bot.ingest()
    question = "Which humanitarian truce did Armenia and Azerbaijan agree to this week?"
    first_week = bot.retrieve(question, k=3, filters=Filters.build(as_of="2020-10-11"))
    assert first_week[0].published == "2020-10-10"
    second_week = bot.retrieve(question, k=3, filters=Filters.build(as_of="2020-10-18"))
    assert second_week[0].published == "2020-10-17"
    # a preference, not a filter: asked a month later, both truces are still found
    later = bot.retrieve(question, k=5, filters=Filters.build(as_of="2020-11-20"))
    assert {"2020-10-10", "2020-10-17"} <= {p.published for p in later}
    # other filters still hold within the timeframe
    wire = bot.retrieve(question, k=5, filters=Filters.build(outlets=["Other Daily"], as_of="2020-10-18"))
    assert wire and {p.source for p in wire} == {"Other Daily"}
    answer = bot.ask(question, filters=Filters.build(as_of="2020-10-18"))
    assert answer.found and answer.sources[answer.claims[0].sources[0] - 1].published == "2020-10-17"
    out = run_cli("ask", question, "--corpus", str(corpus), "--index-dir", str(bot.settings.index_dir), "--json",
                  "--as-of", "2020-10-11")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["sources"][data["claims"][0]["sources"][0] - 1]["published"] == "2020-10-10"
    bad = run_cli("ask", question, "--corpus", str(corpus), "--index-dir", str(bot.settings.index_dir), "--as-of", "Tuesday")
    assert bad.returncode == 2 and "as_of" in bad.stderr


def test_lexical_index_refilled_for_a_rebuilt_store_is_searchable_at_once(three, monkeypatch):
    """A store layout change rebuilds Chroma with the same articles (same digest): the lexical
    index, cleared and refilled, must still be written and searched in the same process."""
    bot, _ = three
    import assistant.index.store as store_module
    from assistant import Assistant

    monkeypatch.setattr(store_module, "STORE_VERSION", "next")
    again = Assistant(settings=bot.settings)
    report = again.ingest()
    assert report.chunks_written == again.store.count() > 0
    assert again.lexical.search(["stepanakert"], k=1) and LexicalIndex(again.lexical.folder).search(["stepanakert"], k=1)
