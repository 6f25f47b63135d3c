"""The command line: a thin shell over :class:`assistant.Assistant`.

Heavy libraries load inside the commands, so ``assistant --help`` stays instant.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _assistant(corpus: str | None, index_dir: str | None, chroma_url: str | None = None, llm: str | None = None):
    from .core import Assistant

    return Assistant(corpus=corpus, index_dir=index_dir, chroma_url=chroma_url, llm_name=llm)


def _quiet_libraries() -> None:
    import logging
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("sentence_transformers", "chromadb", "httpx", "transformers", "bm25s"):
        logging.getLogger(name).setLevel(logging.WARNING)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assistant")
def cli() -> None:
    """Ask a news corpus; every claim comes with its passage and the party that made it.

    Settings come from ASSISTANT_* environment variables or assistant.toml (see README).
    """


_corpus_opt = click.option("--corpus", type=click.Path(file_okay=False), help="Corpus folder [ASSISTANT_CORPUS, default ./corpus].")
_index_opt = click.option("--index-dir", type=click.Path(file_okay=False), help="Index folder [ASSISTANT_INDEX_DIR].")
_chroma_opt = click.option("--chroma-url", help="host:port of a Chroma server [ASSISTANT_CHROMA_URL].")
_llm_opt = click.option("--llm", help="A chat model as provider:model, e.g. ollama:llama3.1 [ASSISTANT_LLM; default: extractive].")


@cli.command()
@click.argument("corpus", required=False, type=click.Path(file_okay=False))
@_index_opt
@_chroma_opt
@click.option("--strict", is_flag=True, help="Exit non-zero when any file could not be ingested.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal).")
def ingest(corpus: str | None, index_dir: str | None, chroma_url: str | None, strict: bool, progress: bool | None) -> None:
    """Index the articles of CORPUS (only new and changed ones are embedded)."""
    from .errors import AssistantError

    _quiet_libraries()
    try:
        bot = _assistant(corpus, index_dir, chroma_url)
        report = bot.ingest(progress=sys.stderr.isatty() if progress is None else progress)
    except AssistantError as exc:
        _fail(exc)
        return
    for issue in report.issues:
        click.echo(str(issue), err=True)
    if bot.store.reset_reason:
        click.echo(f"note: {bot.store.reset_reason}", err=True)
    click.echo(
        f"{report.added} added, {report.updated} updated, {report.removed} removed, {report.unchanged} unchanged; "
        f"{report.chunks_written} chunks written; {bot.store.article_count()} articles, {bot.store.count()} chunks "
        f"in {bot.store.where} ({report.seconds:.1f}s)"
    )
    if strict and report.issues:
        sys.exit(1)


@cli.command()
@click.argument("question")
@_corpus_opt
@_index_opt
@_chroma_opt
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (the contract in the README).")
@click.option("-k", "k", type=click.IntRange(1, 100), help="Passages to retrieve [ASSISTANT_TOP_K, default 5].")
@click.option("--history", "history_file", type=click.Path(dir_okay=False, exists=True),
              help="JSON file of earlier turns: [{\"question\": ..., \"answer\": ...}, ...].")
@click.option("--party", "parties", multiple=True, help="Only passages and claims of this party id (repeatable).")
@click.option("--outlet", "outlets", multiple=True, help="Only articles of this outlet, the `source` field (repeatable).")
@click.option("--article", "articles", multiple=True, help="Only this article id (repeatable).")
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only articles published on or before this date (YYYY-MM-DD).")
@click.option("--as-of", "as_of", help="The day the question is asked (YYYY-MM-DD): \"this week\" and recent news "
              "are read against it (default: today, for questions that say when).")
@_llm_opt
@click.option("--stream", is_flag=True, help="Show the model's draft on stderr as it is written.")
def ask(question: str, corpus: str | None, index_dir: str | None, chroma_url: str | None, as_json: bool, k: int | None,
        history_file: str | None, parties: tuple[str, ...], outlets: tuple[str, ...], articles: tuple[str, ...],
        since: str | None, until: str | None, as_of: str | None, llm: str | None, stream: bool) -> None:
    """Answer QUESTION from the corpus (builds or refreshes the index first)."""
    from .errors import AssistantError

    _quiet_libraries()
    try:
        history = json.loads(Path(history_file).read_text(encoding="utf-8")) if history_file else None
    except (OSError, json.JSONDecodeError) as exc:
        _fail(ValueError(f"{history_file}: not a JSON list of turns ({exc})"))
        return
    try:
        from .schema import Filters

        filters = Filters.build(parties, outlets, articles, since, until, as_of)
        bot = _assistant(corpus, index_dir, chroma_url, llm)
        bot.llm  # a model that cannot be had fails here, before any work
        report = bot.ensure_index()
        if report:
            for issue in report.issues:
                click.echo(str(issue), err=True)
        answer = None
        for event in bot.stream(question, history=history, k=k, filters=filters):
            if event["event"] == "token" and stream:
                click.echo(event["text"], nl=False, err=True)
            elif event["event"] == "answer":
                answer = event["answer"]
        if stream and bot.llm is not None:
            click.echo("", err=True)
    except AssistantError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    if answer.notice:
        click.echo(f"note: {answer.notice}\n")
    click.echo(answer.answer)
    if answer.sources:
        click.echo("\nSources:")
        for s in answer.sources:
            date = f", {s.published}" if s.published else ""
            click.echo(f"[{s.n}] {s.title}{date} ({s.article_id}, chars {s.start}-{s.end})")


@cli.command()
@_corpus_opt
@_index_opt
@_chroma_opt
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on; beyond loopback needs --auth.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@click.option("--auth", help="user:password to require [ASSISTANT_UI_AUTH].")
@_llm_opt
def chat(corpus: str | None, index_dir: str | None, chroma_url: str | None, host: str, port: int, auth: str | None,
         llm: str | None) -> None:
    """Open the chat page (Gradio) on the corpus, at http://HOST:PORT."""
    from .errors import AssistantError

    _quiet_libraries()
    try:
        bot = _assistant(corpus, index_dir, chroma_url, llm)
        from .ui.app import check_exposure, launch

        auth = auth or bot.settings.ui_auth
        check_exposure(host, auth)  # before any slow work
        bot.llm
        click.echo(f"indexing {bot.settings.corpus} ...", err=True)
        launch(bot, host=host, port=port, auth=auth)
    except AssistantError as exc:
        _fail(exc)


def _minimum(ctx, param, values: tuple[str, ...]) -> dict[str, float]:
    from .evaluation.runner import METRICS

    out = {}
    for raw in values:
        name, _, number = raw.partition("=")
        if name not in METRICS:
            raise click.BadParameter(f"{raw!r}: unknown metric {name!r}; one of {', '.join(METRICS)}")
        try:
            out[name] = float(number)
        except ValueError:
            raise click.BadParameter(f"{raw!r}: write METRIC=NUMBER, for example hits@5=0.8") from None
    return out


@cli.command(name="eval")
@click.argument("testset", type=click.Path(exists=True, dir_okay=False))
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Write results.json, report.md and metrics_by_tag.png into this folder.")
@click.option("--min", "minimums", multiple=True, callback=_minimum, metavar="METRIC=VALUE",
              help="Fail (exit 1) when an overall metric is below VALUE (latency: above). Repeatable.")
@_corpus_opt
@_index_opt
@_chroma_opt
@_llm_opt
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal).")
def evaluate(testset: str, report_dir: str | None, minimums: dict[str, float], corpus: str | None,
             index_dir: str | None, chroma_url: str | None, llm: str | None, progress: bool | None) -> None:
    """Score the assistant on TESTSET (JSONL: question, answers, expect, gold_article_ids, null, tags ...)."""
    from .errors import AssistantError
    from .evaluation.report import terminal

    _quiet_libraries()
    try:
        bot = _assistant(corpus, index_dir, chroma_url, llm)
        bot.llm
        run = bot.evaluate(Path(testset), report_dir=report_dir,
                           progress=sys.stderr.isatty() if progress is None else progress)
    except AssistantError as exc:
        _fail(exc)
        return
    for problem in run.problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(terminal(run))
    if report_dir:
        click.echo(f"report: {Path(report_dir) / 'report.md'}")
    missed = run.below(minimums)
    for line in missed:
        click.echo(f"threshold missed: {line}", err=True)
    if missed:
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON line per document.")
@click.option("--parties", type=click.Path(exists=True, dir_okay=False), help="A parties.yaml [default: the corpus's].")
@_corpus_opt
def attribute(paths: tuple[str, ...], as_json: bool, parties: str | None, corpus: str | None) -> None:
    """Show who said what in PATHS (.txt/.md files, or .jsonl with {id, text} per line)."""
    from .attribution.engine import attribute_text
    from .attribution.parties import PartyRegistry
    from .errors import AssistantError
    from .settings import load_settings

    try:
        registry = PartyRegistry.from_file(Path(parties)) if parties else PartyRegistry.load(load_settings(corpus=corpus).corpus)
    except AssistantError as exc:
        _fail(exc)
        return
    for doc_id, text in _documents(paths):
        attributions = attribute_text(text, registry)
        if as_json:
            click.echo(json.dumps({"id": doc_id, "attributions": [a.to_dict() for a in attributions]}, ensure_ascii=False))
            continue
        click.echo(f"# {doc_id}")
        for a in attributions:
            who = f"{a.speaker} [{a.party}]" if a.speaker else f"[{a.party}]"
            cue = f" ({a.cue.text})" if a.cue else ""
            click.echo(f"- {a.kind:<12} {who}{cue}: {a.content.text}")


def _documents(paths: tuple[str, ...]):
    """(id, text) of each document; the text is used as it is, so offsets point into it."""
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() == ".jsonl":
            with path.open(encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                        yield str(obj.get("id", f"{path.stem}#{lineno}")), str(obj["text"])
                    except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                        click.echo(f"error: {path}:{lineno}: not a JSON object with 'text' ({exc}); skipped", err=True)
        else:
            try:
                yield path.stem, path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                click.echo(f"error: {path}: cannot read ({exc}); skipped", err=True)


def main() -> None:
    cli(prog_name="assistant")


if __name__ == "__main__":
    main()
