"""`trialchat eval`: the only evaluation module that prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .metrics import HIGHER_IS_BETTER, LOWER_IS_BETTER, METRIC_NAMES, check_thresholds

SCOPE = {
    "pass_rate": "items", "hit_at_1": "items_with_trials", "hit_at_5": "items_with_trials",
    "mrr": "items_with_trials", "citation_recall": "items_with_trials",
    "citation_precision": "items_with_trials_and_citations", "invalid_citations": "citation_references",
    "invalid_citation_rate": "citation_references", "fact_accuracy": "items_with_facts",
    "behavior_accuracy": "items", "fk_grade_median": "scored_answers", "fk_grade_p90": "scored_answers",
    "latency_p50_ms": "items", "latency_p95_ms": "items",
}


def parse_thresholds(values: tuple[str, ...], option: str) -> dict[str, float]:
    """METRIC=VALUE pairs; a metric in the wrong direction names the option that fits it."""
    allowed, other, other_option = (
        (HIGHER_IS_BETTER, LOWER_IS_BETTER, "--fail-over") if option == "--fail-under"
        else (LOWER_IS_BETTER, HIGHER_IS_BETTER, "--fail-under"))
    parsed: dict[str, float] = {}
    for value in values:
        name, sep, number = value.partition("=")
        name = name.strip()
        if not sep:
            raise click.BadParameter(f"'{value}' is not METRIC=VALUE, e.g. behavior_accuracy=0.95",
                                     param_hint=option)
        if name in other:
            raise click.BadParameter(f"{name} is better when {'lower' if option == '--fail-under' else 'higher'}; "
                                     f"use {other_option} {name}={number}", param_hint=option)
        if name not in allowed:
            raise click.BadParameter(f"unknown metric '{name}'; valid names: {', '.join(allowed)}",
                                     param_hint=option)
        try:
            parsed[name] = float(number)
        except ValueError:
            raise click.BadParameter(f"'{number}' in '{value}' is not a number", param_hint=option) from None
    return parsed


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def summary_lines(report: dict) -> list[str]:
    metrics, config = report["metrics"], report["config"]
    counts = {"items": metrics["items"], **metrics["counts"]}
    lines = [f"Question set: {config.get('question_set')} ({metrics['items']} items run), "
             f"{metrics['passed']} passed every check", "",
             f"{'metric':<24}{'value':>10}   scored over"]
    for name in METRIC_NAMES:
        scope = SCOPE[name]
        lines.append(f"{name:<24}{_fmt(metrics[name]):>10}   {counts[scope]} {scope.replace('_', ' ')}")
    confusion = metrics["behavior_confusion"]
    actual = sorted({a for row in confusion.values() for a in row})
    if confusion:
        lines += ["", "behaviour confusion (rows: expected, columns: actual)",
                  f"{'':<14}" + "".join(f"{a:>14}" for a in actual)]
        lines += [f"{e:<14}" + "".join(f"{row.get(a, 0):>14}" for a in actual) for e, row in confusion.items()]
    failed = [r["id"] for r in report["items"] if not r["passed"]]
    if failed:
        lines += ["", f"failing items ({len(failed)}): {', '.join(failed)}"]
    return lines


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write config, metrics and every item's record as JSON to this file.")
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a self-contained HTML report (charts, failing items) to this file.")
@click.option("--fail-under", multiple=True, metavar="METRIC=VALUE",
              help=f"Exit 1 if METRIC is below VALUE (repeatable). Metrics: {', '.join(HIGHER_IS_BETTER)}.")
@click.option("--fail-over", multiple=True, metavar="METRIC=VALUE",
              help=f"Exit 1 if METRIC is above VALUE (repeatable). Metrics: {', '.join(LOWER_IS_BETTER)}.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Run only the first N items.")
@click.pass_context
def eval_command(ctx: click.Context, file: Path, json_out: Path | None, html_out: Path | None,
                 fail_under: tuple[str, ...], fail_over: tuple[str, ...], limit: int | None) -> None:
    """Score the assistant on the question set FILE (JSONL, or YAML) and print the metrics."""
    # Imported here: only running an evaluation needs them (`trialchat --help` lists this command).
    from ingest.errors import TrialChatError
    from ui.cli import make_assistant

    from .dataset import load_question_set
    from .runner import run_eval

    floors = parse_thresholds(fail_under, "--fail-under")
    ceilings = parse_thresholds(fail_over, "--fail-over")
    try:
        question_set = load_question_set(file)
    except TrialChatError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    assistant = make_assistant(ctx.obj["settings"])
    bar = None

    def progress(done: int, total: int, record: dict) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Evaluating", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        report = run_eval(assistant, question_set, progress=progress if sys.stderr.isatty() else None,
                          limit=limit)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    if html_out:
        from .report import write_html

        write_html(report, html_out)
    for line in summary_lines(report):
        click.echo(line)
    missed = check_thresholds(report["metrics"], floors, ceilings)
    for line in missed:
        click.echo(f"FAILED: {line}", err=True)
    if missed:
        sys.exit(1)
