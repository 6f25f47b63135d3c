"""The chat page in a real browser (Playwright driving Debian's Chromium), the `/ask` API through
gradio_client as the README shows it, and the refusal of a public bind without authentication."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import CORPUS, ROOT, check_contract, run_cli

CHROMIUM = os.environ.get("ASSISTANT_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
HOSTILE = """---
id: injected-html
title: "<script>window.__pwned = 1</script> Shelter <b>bold</b> report"
published: 2020-10-05
source: "Example <i>Wire</i>"
---

Officials in Ganja said the shelter held <script>window.__pwned = 2</script> and <img src=x onerror="window.__pwned=3"> [a link](javascript:window.__pwned=4) **stars** remained closed.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not come up in {seconds} s")


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("ui") / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "injected.md").write_text(HOSTILE, encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def server(hostile_corpus, tmp_path_factory):
    """The app served in this process (so a test can give it a scripted model)."""
    from assistant import Assistant
    from assistant.ui.app import launch

    bot = Assistant(corpus=hostile_corpus, index_dir=tmp_path_factory.mktemp("ui-index"))
    port = free_port()
    demo = launch(bot, port=port, block=False)
    url = f"http://127.0.0.1:{port}/"
    wait_for(url)
    yield bot, url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def ask_in_page(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def test_page_answers_with_party_badges_and_highlighted_passage(server, browser):
    bot, url = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    ask_in_page(page, "How many civilians were killed in Ganja?")
    badge = page.locator("#answer-panel .party-badge", has_text="Government of Azerbaijan").first
    badge.wait_for(timeout=90_000)
    passage = page.locator("#sources-panel mark.passage").first
    assert "one civilian has been killed" in passage.inner_text()
    assert "one civilian has been killed" in page.locator("#sources-panel mark.quote").first.inner_text()
    assert "Azerbaijan's foreign ministry (said)" in page.locator("#sources-panel").inner_text()
    assert "Parties:" in page.locator("#answer-panel .legend").inner_text()
    # the colour is stable per party and the badge names the party, so colour is not the only cue
    style = badge.get_attribute("style")
    assert style and "background:#" in style
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)
    # a follow-up in the same conversation
    ask_in_page(page, "Who denied firing toward Azerbaijan?")
    page.locator("#answer-panel .party-badge", has_text="Government of Armenia").first.wait_for(timeout=60_000)
    page.locator("#answer-panel .contrast").first.wait_for(timeout=10_000)  # denial beside the claim
    # export as Markdown
    page.locator("#export").click()
    link = page.locator("#export-file a[download='answer.md']").first
    link.wait_for(timeout=30_000)
    exported = page.request.get(link.get_attribute("href")).text()
    assert exported.startswith("# Who denied firing toward Azerbaijan?") and "## Sources" in exported
    assert "Armenia denied that it fired toward Azerbaijan" in exported
    assert not errors, errors


def test_follow_up_in_the_page_keeps_the_person(server, browser):
    page = browser.new_page()
    page.goto(server[1])
    ask_in_page(page, "What did Hajiyev say about Ganja?")
    page.locator("#answer-panel .party-badge").first.wait_for(timeout=60_000)
    ask_in_page(page, "What did he say next?")
    page.wait_for_function("document.querySelectorAll('#answer-panel .claim').length > 0 && "
                           "document.querySelector('#answer-panel').innerText.includes('Hikmet Hajiyev')", timeout=60_000)


def test_article_markup_and_scripts_stay_inert(server, browser):
    page = browser.new_page()
    page.goto(server[1])
    ask_in_page(page, "What did officials in Ganja say about the shelter?")
    page.wait_for_function("document.querySelector('#sources-panel').innerText.includes('window.__pwned = 2')",
                           timeout=60_000)
    sources = page.locator("#sources-panel").inner_text()
    assert "<script>window.__pwned = 1</script>" in sources and "<img src=x" in sources and "<i>Wire</i>" in sources
    assert "[a link](javascript:" in page.locator("#answer-panel").inner_text()
    assert "window.__pwned = 2" in page.locator("#chat").inner_text()  # shown in the chat as text too
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#answer-panel script, #sources-panel script, #sources-panel img, #answer-panel img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "ui-inert.png"), full_page=True)


def test_streaming_draft_reaches_the_page(server, browser):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    bot, url = server
    reply = ('<claim sources="1" party="armenia"><text>Armenia denied firing toward Azerbaijan.</text>'
             "<quote>Armenia denied that it fired toward Azerbaijan</quote></claim>")
    bot._llm = FakeListChatModel(responses=[reply], sleep=0.02)
    try:
        page = browser.new_page()
        page.goto(url)
        ask_in_page(page, "Who denied firing toward Azerbaijan?")
        page.get_by_text("Drafting (not yet checked)").first.wait_for(timeout=60_000)
        page.locator("#answer-panel .party-badge", has_text="Government of Armenia").first.wait_for(timeout=60_000)
    finally:
        bot._llm = None


def test_corpus_tab_upload_reports_a_bad_file_and_adds_the_good_one(server, browser, tmp_path):
    bot, url = server
    good = tmp_path / "new-report.md"
    good.write_text("---\ntitle: Lachin road\npublished: 2020-10-06\n---\n\nThe Lachin road was closed, officials said.\n")
    bad = tmp_path / "broken.json"
    bad.write_text("{oops")
    page = browser.new_page()
    page.goto(url)
    page.get_by_role("tab", name="Corpus").click()
    page.locator("#corpus-status").get_by_text("articles").first.wait_for(timeout=30_000)
    page.locator("#upload input[type=file]").set_input_files([str(good), str(bad)])
    log = page.locator("#corpus-log")
    log.get_by_text("Indexed").wait_for(timeout=90_000)
    text = log.inner_text()
    assert "Added: uploads/new-report.md" in text and "broken.json: invalid JSON" in text
    assert (Path(bot.settings.corpus) / "uploads" / "new-report.md").exists()
    assert not (Path(bot.settings.corpus) / "uploads" / "broken.json").exists()
    assert bot.ask("Was the Lachin road closed?").found


def test_upload_names_cannot_leave_the_corpus(tmp_path, corpus_dir, make_assistant):
    evil = tmp_path / "evil.md"
    evil.write_text("Officials said the bridge was open.\n")

    class Upload:  # what Gradio hands over: a temp file and the name the browser sent
        name = str(evil)
        orig_name = "../../x.md"

    bot = make_assistant(corpus_dir)
    added, refused = bot.add_files([Upload()])
    assert added == ["uploads/x.md"] and not refused
    assert (corpus_dir / "uploads" / "x.md").exists() and not (tmp_path / "x.md").exists()


def readme_client_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(from gradio_client import Client\n.*?)```", text, re.S)
    assert match, "README lost its gradio_client example"
    return match.group(1)


def test_readme_gradio_client_example_runs_against_assistant_chat(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "chat", "--corpus", str(CORPUS), "--index-dir",
                             str(tmp_path / "idx"), "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        code = readme_client_example().replace("http://127.0.0.1:7860/", f"http://127.0.0.1:{port}/")
        scope: dict = {}
        exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
        answer = scope["answer"]
        check_contract(answer)
        assert answer["found"] and answer["claims"][0]["party"] == "armenia"
        assert scope["follow"]["found"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_public_bind_without_auth_is_refused(tmp_path):
    result = run_cli("chat", "--host", "0.0.0.0", "--corpus", str(CORPUS), "--index-dir", str(tmp_path / "i"))
    assert result.returncode == 2 and "without authentication" in result.stderr and "ASSISTANT_UI_AUTH" in result.stderr
    bad = run_cli("chat", "--host", "0.0.0.0", "--auth", "nopassword", "--corpus", str(CORPUS))
    assert bad.returncode == 2 and "user:password" in bad.stderr


def test_party_and_date_filters_in_the_page(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server[1])
    page.get_by_text("Filters").first.click()
    box = page.locator("#filter-parties input").first
    box.click()
    box.fill("Government of Armenia")
    page.get_by_role("option", name="Government of Armenia (armenia)").first.click()
    page.keyboard.press("Escape")
    page.locator("#filter-since input, #filter-since textarea").first.fill("2020-10-01")
    ask_in_page(page, "What happened in Ganja?")
    page.locator("#answer-panel .party-badge").first.wait_for(timeout=60_000)
    parties = {b.get_attribute("data-party") for b in page.locator("#answer-panel .party-badge").all()}
    assert parties == {"armenia"}, parties
    page.locator("#filter-since input, #filter-since textarea").first.fill("2031-01-01")
    ask_in_page(page, "What happened in Ganja?")
    page.locator("#answer-panel .not-found").wait_for(timeout=60_000)
    page.locator("#filter-since input, #filter-since textarea").first.fill("yesterday")
    ask_in_page(page, "What happened in Ganja?")
    page.locator("#chat").get_by_text("since='yesterday' is not a date").wait_for(timeout=30_000)
    # the day asked: "this week" is read against it, and a bad one is named
    page.locator("#filter-since input, #filter-since textarea").first.fill("")
    page.locator("#filter-as-of input, #filter-as-of textarea").first.fill("2020-10-05")
    ask_in_page(page, "What happened in Ganja this week?")
    page.locator("#answer-panel .party-badge").first.wait_for(timeout=60_000)
    page.locator("#filter-as-of input, #filter-as-of textarea").first.fill("Monday")
    ask_in_page(page, "What happened in Ganja this week?")
    page.locator("#chat").get_by_text("as_of='Monday' is not a date").wait_for(timeout=30_000)
