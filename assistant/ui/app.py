"""The Gradio chat over an :class:`~assistant.Assistant`: a thin shell, every action is an API call.

- Chat with streaming (a model's draft as it is written, then the checked answer) and
  follow-ups; the answer panel shows each claim under its party's badge, contrasting accounts
  side by side and a legend; the sources panel shows each cited passage highlighted inside its
  article with title, outlet, date, speaker and cue.
- Filters by party, outlet and date; export of an answer as Markdown.
- The corpus tab: status, re-ingest with a progress bar, upload of articles through the loader.
- ``/ask`` in the Gradio API takes a question and optional history and returns the JSON contract.

Binding to anything but loopback needs ``auth``: a public chat over a newsroom's archive is not
an accident to allow.

Example:
    >>> from assistant import Assistant
    >>> demo = build_app(Assistant(corpus="corpus"))
    >>> type(demo).__name__
    'Blocks'
"""
from __future__ import annotations

import ipaddress
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import AssistantError, SettingsError
from ..schema import Filters
from .html import PartyPalette, answer_html, chat_markdown, inert_markdown, sources_html

CSS = """
.party-badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:0.85em; font-weight:600; margin:2px 4px 2px 0; }
.party-group ul { margin:4px 0 10px 0; }
.claim .who { color:#555; font-size:0.85em; margin-left:4px; }
.cite { font-weight:600; text-decoration:none; margin-left:2px; }
.notice { background:#fff3cd; padding:6px 8px; border-radius:6px; color:#000; }
.contrasts .contrast { display:grid; grid-template-columns:1fr 1fr; gap:10px; border:1px solid #bbb; border-radius:8px; padding:8px; margin:6px 0; }
.legend { margin-top:8px; font-size:0.9em; }
.source { border:1px solid #ddd; border-radius:8px; padding:6px 10px; margin:8px 0; }
.source .meta { color:#555; font-size:0.85em; }
.article-text { white-space:pre-wrap; font-size:0.9em; max-height:320px; overflow:auto; }
mark.passage { background:#fff1a8; color:#000; }
mark.quote { background:#ffd24d; color:#000; font-weight:600; outline:1px solid #b38600; }
.flags { color:#8a4b00; font-size:0.85em; }
"""
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, auth: str | None) -> tuple[str, str] | None:
    """The (user, password) to require; a :class:`SettingsError` for a public bind without one."""
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise SettingsError("ASSISTANT_UI_AUTH must be user:password (or pass --auth user:password)")
        return user, password
    if not _is_loopback(host):
        raise SettingsError(f"refusing to serve on {host} without authentication: anyone who can reach it could read "
                            "the corpus. Set ASSISTANT_UI_AUTH=user:password (or --auth), or bind to 127.0.0.1.")
    return None


def _filters(parties: list[str] | None, outlets: str, since: str, until: str, as_of: str = "") -> Filters:
    names = [o.strip() for o in (outlets or "").split(",") if o.strip()]
    return Filters.build(parties or (), names, (), (since or "").strip() or None, (until or "").strip() or None,
                         (as_of or "").strip() or None)


def _history(turns: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return list(turns[-4:])


def build_app(bot: Any):
    import gradio as gr

    registry = bot.registry
    palette = PartyPalette([p.id for p in registry.parties])
    party_choices = [(f"{p.name} ({p.id})", p.id) for p in registry.parties] + [("The publishing outlet (outlet)", "outlet")]

    def status_markdown() -> str:
        try:
            s = bot.status()
        except AssistantError as exc:
            return f"**Index unavailable:** {exc}"
        text = f"**{s['articles']} articles, {s['chunks']} chunks** in `{s['index']}` (corpus `{s['corpus']}`)."
        last = s.get("last_ingest")
        if last:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last["at"]))
            text += (f"  \nLast ingest {when}: {last['added']} added, {last['updated']} updated, "
                     f"{last['removed']} removed, {last['unchanged']} unchanged, {len(last['issues'])} problems.")
        return text

    def respond(question: str, chat: list, turns: list, parties, outlets, since, until, as_of):
        chat = list(chat or [])
        turns = list(turns or [])
        question = (question or "").strip()
        chat.append({"role": "user", "content": question or "(empty)"})
        chat.append({"role": "assistant", "content": "Searching the corpus…"})
        yield "", chat, turns, gr.update(), gr.update(), gr.update()
        try:
            filters = _filters(parties, outlets, since, until, as_of)
            draft = ""
            for event in bot.stream(question, history=_history(turns), filters=filters):
                if event["event"] == "token":
                    draft += event["text"]
                    chat[-1] = {"role": "assistant", "content": "Drafting (not yet checked):\n\n```\n" + draft.replace("`", "'") + "\n```"}
                    yield "", chat, turns, gr.update(), gr.update(), gr.update()
                else:
                    answer = event["answer"]
        except AssistantError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠ {inert_markdown(str(exc))}"}
            yield question, chat, turns, gr.update(), gr.update(), gr.update()
            return
        chat[-1] = {"role": "assistant", "content": chat_markdown(answer)}
        turns.append((question, answer))
        yield "", chat, turns, answer_html(answer, palette), sources_html(answer, palette, bot.article_text), answer

    def export(answer) -> str | None:
        from ..answer.render import export_markdown

        if answer is None:
            raise gr.Error("Ask a question first; then its answer can be exported.")
        path = Path(tempfile.mkdtemp(prefix="answer-")) / "answer.md"
        path.write_text(export_markdown(answer), encoding="utf-8")
        return str(path)

    def reingest(progress=gr.Progress(track_tqdm=True)):
        progress(0, desc="Ingesting")
        try:
            report = bot.ingest(progress=True)
        except AssistantError as exc:
            return f"⚠ {exc}", status_markdown()
        problems = "".join(f"\n- {i}" for i in report.issues)
        return (f"Ingest done in {report.seconds:.1f} s: {report.added} added, {report.updated} updated, "
                f"{report.removed} removed, {report.unchanged} unchanged.{problems}"), status_markdown()

    def upload(files, progress=gr.Progress(track_tqdm=True)):
        if not files:
            return "Choose one or more article files first.", status_markdown()
        added, refused = bot.add_files(files)
        lines = [f"Added: {', '.join(added)}" if added else "Nothing added."]
        lines += [f"⚠ {r}" for r in refused]
        if added:
            report = bot.ingest(progress=True)
            lines.append(f"Indexed: {report.added} added, {report.updated} updated.")
        return "\n\n".join(lines), status_markdown()

    def api_ask(question: str, history: list | None = None, as_of: str | None = None) -> dict:
        """The JSON contract of the answer to ``question``; ``history`` holds earlier turns as
        {"question", "answer"} objects; ``as_of`` (YYYY-MM-DD) is the day the question is asked."""
        try:
            return bot.ask(question, history=history or None, filters=Filters.build(as_of=as_of or None)).to_dict()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="Who said what: news assistant") as demo:
        gr.Markdown("## Who said what\nEvery claim comes with the passage it is from and the party that made it.")
        turns = gr.State([])
        last_answer = gr.State(None)
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=5):
                    chat = gr.Chatbot(label="Conversation", height=380, sanitize_html=True, elem_id="chat")
                    with gr.Row():
                        question = gr.Textbox(label="Question", placeholder="How many civilians were killed in Ganja?",
                                              scale=5, elem_id="question")
                        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    with gr.Accordion("Filters", open=False):
                        parties = gr.Dropdown(party_choices, multiselect=True, label="Parties", elem_id="filter-parties")
                        outlets = gr.Textbox(label="Outlets (comma-separated)", elem_id="filter-outlets")
                        with gr.Row():
                            since = gr.Textbox(label="Since (YYYY-MM-DD)", elem_id="filter-since")
                            until = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id="filter-until")
                        as_of = gr.Textbox(label="Asked on (YYYY-MM-DD): \"this week\" and recent news are read "
                                           "against this day", elem_id="filter-as-of")
                    with gr.Row():
                        clear = gr.Button("New conversation")
                        export_btn = gr.Button("Export answer as Markdown", elem_id="export")
                    export_file = gr.File(label="Exported answer", interactive=False, elem_id="export-file")
                with gr.Column(scale=6):
                    answer_panel = gr.HTML("<p>Ask a question to see each party's claims.</p>", elem_id="answer-panel")
                    sources_panel = gr.HTML("", elem_id="sources-panel")
        with gr.Tab("Corpus"):
            status = gr.Markdown(status_markdown, elem_id="corpus-status")
            with gr.Row():
                reingest_btn = gr.Button("Re-ingest the corpus folder", elem_id="reingest")
                files = gr.File(label="Upload articles (.md, .txt, .html, .json, .jsonl)", file_count="multiple",
                                elem_id="upload")
            corpus_log = gr.Markdown(elem_id="corpus-log")
        outputs = [question, chat, turns, answer_panel, sources_panel, last_answer]
        inputs = [question, chat, turns, parties, outlets, since, until, as_of]
        ask.click(respond, inputs, outputs, api_visibility="private")
        question.submit(respond, inputs, outputs, api_visibility="private")
        clear.click(lambda: ([], [], "<p>New conversation.</p>", "", None, None),
                    None, [chat, turns, answer_panel, sources_panel, last_answer, export_file], api_visibility="private")
        export_btn.click(export, last_answer, export_file, api_visibility="private")
        reingest_btn.click(reingest, None, [corpus_log, status], api_visibility="private")
        files.upload(upload, files, [corpus_log, status], api_visibility="private")
        gr.api(api_ask, api_name="ask")
    return demo


def launch(bot: Any, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None, block: bool = True):
    """Ingest, then serve the chat; a public ``host`` without ``auth`` is refused."""
    credentials = check_exposure(host, auth)
    bot.ensure_index()
    demo = build_app(bot)
    demo.queue(default_concurrency_limit=4)
    demo.launch(server_name=host, server_port=port, auth=credentials, css=CSS, prevent_thread_lock=not block,
                show_error=True, footer_links=["api"])
    return demo
