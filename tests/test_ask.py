"""Asking the bundled corpus: the JSON contract, parties, not-found answers, follow-ups, LangChain interop."""
from __future__ import annotations

import json

from .conftest import CORPUS, check_contract, run_cli


def test_done_when_cli_cites_the_foreign_ministry(tmp_path):
    result = run_cli("ask", "How many civilians were killed in Ganja?", "--json", "--corpus", str(CORPUS),
                     "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stderr
    d = json.loads(result.stdout)
    check_contract(d)
    assert d["found"] is True
    first = d["claims"][0]
    assert first["text"].startswith("Azerbaijan's foreign ministry said on Sunday that one civilian has been killed")
    assert (first["party"], first["party_name"], first["speaker"], first["cue"], first["kind"]) == (
        "azerbaijan", "Government of Azerbaijan", "Azerbaijan's foreign ministry", "said", "indirect")


def test_parties_of_several_questions(seed_assistant):
    cases = {
        "Who denied firing toward Azerbaijan?": ("armenia", "Armenia denied that it fired toward Azerbaijan"),
        "What did the leader of the Artsakh Republic say about the air base?": ("karabakh", "the leader of the so-called"),
        "What did Yerevan's Ministry of Defense claim about the massive attack?": ("armenia", "Yerevan's Ministry of Defense claimed"),
        "What did the AFP team report in Stepanakert?": ("afp", "In Stepanakert, an Agence France-Presse"),
        "What did the U.N. resolutions demand?": ("un", "Four U.N. Security Council"),
    }
    for question, (party, opening) in cases.items():
        d = seed_assistant.ask(question).to_dict()
        check_contract(d)
        match = [c for c in d["claims"] if c["text"].startswith(opening)]
        assert match, (question, [c["text"][:60] for c in d["claims"]])
        assert match[0]["party"] == party, (question, match[0])


def test_outlet_voice_is_not_given_to_a_side(seed_assistant):
    d = seed_assistant.ask("Who are the rightful owners of the Nagorno-Karabakh region?").to_dict()
    claim = next(c for c in d["claims"] if "rightful owners" in c["text"])
    assert (claim["party"], claim["kind"], claim["speaker"]) == ("outlet", "unattributed", None)


def test_nothing_found_is_plain(seed_assistant):
    for question in ["Who won the 2022 football World Cup final?", "What is the recipe for banana bread?"]:
        d = seed_assistant.ask(question).to_dict()
        check_contract(d)
        assert d["found"] is False and d["claims"] == [] and d["sources"] == []
        assert "Nothing in the corpus" in d["answer"]


def test_unusual_spelling_folds_accents(seed_assistant):
    d = seed_assistant.ask("Which cities besides Fuzuli were attacked?").to_dict()
    assert d["found"] and any("Füzuli" in c["text"] for c in d["claims"])


def test_follow_up_carries_the_person(seed_assistant):
    first = seed_assistant.ask("What did Hajiyev say about Ganja?")
    assert any(c.speaker == "Hikmet Hajiyev" for c in first.claims)
    follow = seed_assistant.ask("What did he say next?", history=[("What did Hajiyev say about Ganja?", first)])
    assert follow.found and all(c.speaker == "Hikmet Hajiyev" for c in follow.claims)
    # the same with a plain-dict history, as JSON users send it
    follow2 = seed_assistant.ask("What did he add?", history=[{"question": "What did Hajiyev say about Ganja?", "answer": first.to_dict()}])
    assert follow2.found and all(c.speaker == "Hikmet Hajiyev" for c in follow2.claims)


def test_bad_questions_are_clear_errors(seed_assistant):
    import pytest

    from assistant.errors import QuestionError

    with pytest.raises(QuestionError, match="empty"):
        seed_assistant.ask("  \x00 ")
    with pytest.raises(QuestionError, match="ASSISTANT_MAX_QUESTION_CHARS"):
        seed_assistant.ask("Ganja " * 2000)


def test_langchain_retriever_and_chain(seed_assistant):
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import Runnable

    retriever = seed_assistant.as_retriever(k=2)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("Hajiyev tweet about Ganja population")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    assert "azerbaijan" in docs[0].metadata["parties"]
    assert isinstance(seed_assistant.chain, Runnable)
    answer = seed_assistant.chain.invoke({"question": "What did Armenia announce about separatist fighters?"})
    assert answer.found and answer.claims[0].party == "armenia"


def test_cli_text_output_and_help(tmp_path):
    result = run_cli("ask", "What did Armenia deny?", "--corpus", str(CORPUS), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stderr
    assert "**Government of Armenia**" in result.stdout and "Sources:" in result.stdout
    help_result = run_cli("--help")
    assert help_result.returncode == 0 and "ingest" in help_result.stdout


def test_cli_attribute_json(tmp_path):
    doc = tmp_path / "docs.jsonl"
    doc.write_text(json.dumps({"id": "d1", "text": 'Officials said the road was closed. "We are safe," she told AFP.'}) + "\n")
    result = run_cli("attribute", str(doc), "--json", "--corpus", str(CORPUS))
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.splitlines()[0])
    text = json.loads(doc.read_text())["text"]
    assert line["id"] == "d1"
    kinds = [(a["kind"], a["content"]["text"]) for a in line["attributions"]]
    assert kinds == [("indirect", "the road was closed"), ("direct", "We are safe")]
    for a in line["attributions"]:
        for key in ("source", "cue", "content"):
            if a[key]:
                assert text[a[key]["start"]:a[key]["end"]] == a[key]["text"]


def test_cli_ingest_strict_and_settings_errors(tmp_path, corpus_dir):
    (corpus_dir / "bad.json").write_text("{oops")
    ok = run_cli("ingest", str(corpus_dir), "--index-dir", str(tmp_path / "i1"))
    assert ok.returncode == 0 and "bad.json: invalid JSON" in ok.stderr and "1 added" in ok.stdout
    strict = run_cli("ingest", str(corpus_dir), "--index-dir", str(tmp_path / "i2"), "--strict")
    assert strict.returncode == 1
    bad = run_cli("ask", "x?", "--corpus", str(corpus_dir), env={"ASSISTANT_CHUNK_SIZE": "huge"})
    assert bad.returncode == 2 and "ASSISTANT_CHUNK_SIZE" in bad.stderr and "Traceback" not in bad.stderr


def test_contradicting_accounts_stand_side_by_side(seed_assistant):
    d = seed_assistant.ask("Did Armenia fire toward Azerbaijan?").to_dict()
    check_contract(d)
    pairs = [(d["claims"][k["first"]], d["claims"][k["second"]], k["reason"]) for k in d["contrasts"]]
    denial = [p for p in pairs if p[2] == "denial" and {p[0]["party"], p[1]["party"]} == {"armenia", "azerbaijan"}]
    assert denial, pairs
    a, b, _ = denial[0]
    assert "**Where accounts differ**" in d["answer"]
    row = next(line for line in d["answer"].splitlines() if line.startswith("| ") and "denied" in line)
    assert a["text"][:30] in row and b["text"][:30] in row


def test_differing_figures_are_paired_across_parties_only():
    from assistant.answer.contrast import find_contrasts
    from assistant.schema import Claim

    def c(text, party):
        return Claim(text, text, party, party, None, "said", "indirect", (1,))

    claims = [c("The ministry said 7 civilians were killed in Ganja.", "azerbaijan"),
              c("The mayor said 9 civilians were killed in Ganja.", "azerbaijan"),
              c("Armenia said 2 civilians were killed in Ganja.", "armenia"),
              c("Armenia said the weather was fine in Yerevan.", "armenia")]
    (k,) = find_contrasts(claims)
    assert (k.first, k.second, k.reason) == (0, 2, "figures differ")
