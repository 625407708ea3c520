"""The `trialchat` command. Only this module prints; library code logs."""

from __future__ import annotations

import gc
import importlib
import json
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from pydantic import ValidationError

from ingest.embedding import offline_env
from ingest.errors import TrialChatError
from ingest.settings import Settings

logger = logging.getLogger("trialchat")


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _fail(message: str, code: int = 1):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def make_assistant(settings: Settings, require_store: bool = True):
    """The assistant every command uses, with the LLM writer from settings.llm (None = grounded).

    One-shot commands stop with the store's error; `serve` starts anyway and tells patients.
    """
    from assistant.engine import Assistant
    from assistant.llm import make_writer

    try:
        assistant = Assistant(settings, writer=make_writer(settings))
    except TrialChatError as exc:
        _fail(str(exc))
    if not assistant.ready:
        if require_store:
            _fail(str(assistant.store_error))
        click.echo(f"Warning: {assistant.store_error}", err=True)
    return assistant


@contextmanager
def starting_up():
    """Start-up of a long-running app: no cyclic garbage collection until it is built.

    Imports and the model make about a million long-lived objects; each full collection while they
    pile up scans them all again (about 2 s of a cold start, 0.6 s per collection at the end). They
    are frozen afterwards, so later collections while serving skip them too; start-up leaves little
    garbage (about 17,000 objects), which stays.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


class Commands(click.Group):
    """Commands of other packages are imported only to run or list them: `serve` never loads evaluation."""

    LAZY = {"eval": ("evaluation.cli", "eval_command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, name: str):
        if name in self.LAZY:
            module, attribute = self.LAZY[name]
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=Commands)
@click.option("--home", type=click.Path(path_type=Path), envvar="TRIALCHAT_HOME", default=None,
              help="Directory for all state (store, logs). Default ~/.trialchat; env TRIALCHAT_HOME.")
@click.option("--chroma-url", envvar="TRIALCHAT_CHROMA_URL", default=None,
              help="Use a Chroma server at http://HOST:PORT instead of the embedded store.")
@click.option("--llm", envvar="TRIALCHAT_LLM", default=None, metavar="PROVIDER:MODEL",
              help="Let an LLM word answers (validated, grounded fallback): ollama:MODEL, openai:MODEL "
                   "(any OpenAI-compatible server) or llamacpp:FILE.gguf. Default: grounded, no LLM.")
@click.option("--llm-base-url", envvar="TRIALCHAT_LLM_BASE_URL", default=None, metavar="URL",
              help="Server for --llm, e.g. http://localhost:11434 (Ollama) or http://localhost:8080/v1. "
                   "The API key comes only from env TRIALCHAT_LLM_API_KEY or OPENAI_API_KEY.")
@click.option("--llm-timeout", envvar="TRIALCHAT_LLM_TIMEOUT", type=float, default=None,
              help="Seconds before an LLM answer gives way to the grounded one (default 30).")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.version_option(package_name="trialchat")
@click.pass_context
def main(ctx: click.Context, home: Path | None, chroma_url: str | None, llm: str | None,
         llm_base_url: str | None, llm_timeout: float | None, verbose: int) -> None:
    """TrialChat: cited, plain-language answers about the clinical trials it has loaded."""
    offline_env()
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "chromadb", "sentence_transformers", "transformers", "urllib3", "bm25s", "openai"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    overrides = {k: v for k, v in {"home": home, "chroma_url": chroma_url, "llm": llm,
                                   "llm_base_url": llm_base_url, "llm_timeout": llm_timeout}.items() if v is not None}
    try:
        ctx.obj = {"settings": Settings(**overrides)}
    except ValidationError as exc:
        err = exc.errors()[0]
        _fail(f"setting '{'.'.join(map(str, err['loc']))}': {err['msg']}; fix the TRIALCHAT_ variable or option")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Change nothing if any file is invalid.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as a JSON object.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], strict: bool, as_json: bool) -> None:
    """Read trial entries (default: the corpus folder) into the store; only changes are embedded."""
    from ingest.pipeline import run_ingest

    settings = _settings(ctx)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Embedding chunks", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        report = run_ingest(settings, list(paths) or None, strict=strict,
                            progress=progress if sys.stderr.isatty() else None,
                            note=lambda message: click.echo(f"Note: {message}", err=True))
    except TrialChatError as exc:
        _fail(str(exc))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for error in report.errors:
        click.echo(f"Error: {error}", err=True)
    for note in report.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.summary())
    if report.errors:
        sys.exit(1)


def _print_answer(answer, as_json: bool, text: bool = True) -> None:
    if as_json:
        click.echo(json.dumps(answer.as_dict(), indent=2, ensure_ascii=False))
        return
    if text:
        click.echo(answer.text)
    if answer.citations:
        click.echo("\nSources:")
        for c in answer.citations:
            click.echo(f"  [{c.n}] {c.trial_id} - {c.title} - {c.section}: {c.text}")


@main.command()
@click.argument("question")
@click.option("--history", multiple=True, help="An earlier question in the same conversation (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print question, answer, behavior, citations, retrieved.")
@click.pass_context
def ask(ctx: click.Context, question: str, history: tuple[str, ...], as_json: bool) -> None:
    """Answer one QUESTION with citations."""
    from ui.log import valid_text

    assistant = make_assistant(_settings(ctx))
    # Bytes that are not UTF-8 arrive as lone surrogates (surrogateescape); they become U+FFFD.
    _print_answer(assistant.answer(valid_text(question), [valid_text(h) for h in history]), as_json)


@main.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Chat in the terminal; earlier questions give follow-ups their context. Ctrl-D to quit."""
    from ui.log import valid_text

    assistant = make_assistant(_settings(ctx))
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # a line that is not UTF-8 is read with U+FFFD, not a traceback
    history: list[str] = []
    click.echo("Ask about the trials. This is information, not medical advice. Ctrl-D quits.")
    while True:
        try:
            question = click.prompt("you", prompt_suffix="> ")
        except (EOFError, click.Abort):
            click.echo()
            return
        question = valid_text(question)
        _print_streamed(assistant.answer_stream(question, history))
        history.append(question)


def _print_streamed(items) -> None:
    """Print an LLM writer's validated text as it grows; then the final answer if it differs (a fallback)."""
    from assistant.types import Answer

    shown = ""
    for item in items:
        if not isinstance(item, Answer):
            if item.startswith(shown):
                click.echo(item[len(shown):], nl=False)
                shown = item
            continue
        if shown and item.text.startswith(shown):  # the last sentence is judged only at the end
            click.echo(item.text[len(shown):])
            _print_answer(item, False, text=False)
            continue
        if shown:
            click.echo("\n(replaced by the checked answer below)")
        _print_answer(item, False)


@main.command()
@click.argument("trial_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record (every field) and its passages as JSON.")
@click.pass_context
def show(ctx: click.Context, trial_id: str, as_json: bool) -> None:
    """Print what TrialChat knows of one trial: the passages answers cite, as stored."""
    import re

    from ingest.store import Store

    wanted = re.sub(r"\s+", "", trial_id).upper()
    try:
        store = Store(_settings(ctx))
        passages = store.trial_passages(store.collection(), wanted)
    except TrialChatError as exc:
        _fail(str(exc))
    facts = next((p for p in passages if p["metadata"].get("entry_json")), None)
    if facts is None:
        _fail(f"no trial {wanted} in the store; check the id, or run `trialchat ingest` with its file")
    record = json.loads(facts["metadata"]["entry_json"])
    if as_json:
        rows = [{k: p[k] for k in ("id", "section", "text")} for p in passages]
        click.echo(json.dumps({"record": record, "passages": rows}, indent=2, ensure_ascii=False))
        return
    click.echo(f"{record['id']} - {record['title']}\nSource: {record['source']}")
    for p in passages:
        click.echo(f"\n## {p['section']}  ({p['id']})\n{p['text']}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=7860, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the patient chat page (Gradio) on HOST:PORT; every turn is logged to HOME/conversations.sqlite3."""
    # gradio asks matplotlib for its backend around every event; unset, the first event resolves it by
    # importing pyplot (about 0.2 s of the first answer). The patient app never draws.
    os.environ.setdefault("MPLBACKEND", "agg")
    with starting_up():
        from ui.app import create_app, launch
        from ui.log import ConversationLog

        settings = _settings(ctx)
        assistant = make_assistant(settings, require_store=False)
        click.echo(f"TrialChat patient chat on http://{host}:{port} (conversation log: {settings.log_path})")
        app = create_app(assistant, settings, ConversationLog(settings.log_path))
    launch(app, host, port, concurrency=settings.serve_concurrency)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=7861, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def staff(ctx: click.Context, host: str, port: int) -> None:
    """Serve the staff review app (login required) on HOST:PORT.

    Credentials come from TRIALCHAT_STAFF_USER and TRIALCHAT_STAFF_PASSWORD, or from the users added
    with `trialchat staff-user add` (HOME/staff-users.txt or TRIALCHAT_STAFF_CREDENTIALS_FILE).
    The Evaluation tab (question sets) is here, behind the login.
    """
    from ui.staff_auth import load_credentials

    settings = _settings(ctx)
    try:
        users = load_credentials(settings)  # before importing Gradio: a missing setting fails fast
    except TrialChatError as exc:
        _fail(str(exc))
    from ui.log import ConversationLog
    from ui.staff import create_staff_app, launch_staff

    assistant = make_assistant(settings, require_store=False)  # for the Evaluation tab
    click.echo(f"TrialChat staff review on http://{host}:{port} (conversation log: {settings.log_path})")
    launch_staff(create_staff_app(ConversationLog(settings.log_path), assistant=assistant), users, host, port)


@main.group("staff-user")
def staff_user() -> None:
    """Manage staff app users (stored as scrypt hashes, never as passwords)."""


@staff_user.command("add")
@click.argument("name")
@click.pass_context
def staff_user_add(ctx: click.Context, name: str) -> None:
    """Add staff user NAME (or set a new password) in HOME/staff-users.txt or TRIALCHAT_STAFF_CREDENTIALS_FILE.

    The file holds one NAME:scrypt-hash line per user and is rewritten atomically, readable only by you (0600).
    """
    from ui.staff_auth import MIN_PASSWORD_CHARS, add_user, credentials_path

    # Prompted only (hidden, twice): a password option would end up in shell history and `ps`.
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_CHARS:
        _fail(f"the password is shorter than {MIN_PASSWORD_CHARS} characters; choose a longer passphrase")
    path = credentials_path(_settings(ctx))
    try:
        replaced = add_user(path, name, password)
    except (TrialChatError, OSError) as exc:
        _fail(f"{exc}; fix it and run `trialchat staff-user add {name}` again")
    click.echo(f"{'Updated' if replaced else 'Added'} staff user {name} in {path}")


if __name__ == "__main__":
    main()
