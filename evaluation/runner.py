"""Run a question set through an assistant and build the report dict (config, metrics, items)."""

from __future__ import annotations

import importlib.metadata
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from .dataset import EvalItem, QuestionSet
from .metrics import check_item, compute_metrics

logger = logging.getLogger(__name__)

# (done, total, record of the item just scored): the CLI draws a bar, the UI can show the last answer.
Progress = Callable[[int, int, dict], None]


def evaluate_item(assistant, item: EvalItem) -> dict:
    """Ask one item the way the chat does (earlier user turns as ``history``) and check the answer."""
    started = time.perf_counter()
    try:
        answer = assistant.answer(item.question, list(item.history)).as_dict()
        error = None
    except Exception as exc:  # one broken item must not lose the rest of a long run
        logger.exception("item %s raised", item.id)
        answer, error = {"answer": "", "behavior": "error", "citations": [], "retrieved": []}, repr(exc)
    latency_ms = (time.perf_counter() - started) * 1000
    return check_item(item, answer, latency_ms, error)


def _version() -> str:
    try:
        return importlib.metadata.version("trialchat")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def run_eval(
    assistant,
    items: QuestionSet | Iterable[EvalItem],
    progress: Progress | None = None,
    limit: int | None = None,
) -> dict:
    """Score ``items`` (a QuestionSet from ``load_question_set`` or any EvalItems) with ``assistant``.

    Returns ``{"config": ..., "metrics": ..., "items": [...]}``, ready for json.dump and render_html.
    """
    question_set = items if isinstance(items, QuestionSet) else None
    todo = list(question_set.items if question_set else items)[:limit]
    config = {
        **assistant.config(),
        "trialchat_version": _version(),
        "question_set": str(question_set.path) if question_set else None,
        "question_set_sha256": question_set.sha256 if question_set else None,
        "items_run": len(todo),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    records = []
    for item in todo:
        records.append(evaluate_item(assistant, item))
        logger.debug("%s: behavior %s, passed %s", item.id, records[-1]["behavior"], records[-1]["passed"])
        if progress:
            progress(len(records), len(todo), records[-1])
    metrics = compute_metrics(records)
    logger.info("eval: %d/%d items passed", metrics["passed"], metrics["items"])
    return {"config": config, "metrics": metrics, "items": records}


def failing(report: dict) -> list[dict]:
    return [r for r in report["items"] if not r["passed"]]
