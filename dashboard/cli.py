"""The ``whybox`` command line: demo, serve, explain, report, recourse, compare."""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.cli_decisions import (
    add_compare_parser,
    add_recourse_parser,
    add_settings_argument,
    resolve_settings,
    run_compare,
    run_recourse,
)
from dashboard.cli_loading import PROTECTIONS_PREFIX, load_contained
from dashboard.cli_model_report import add_model_report_parser, run_model_report
from dashboard.operator_env import DEMO_ENV, REQUIRE_SANDBOX_ENV, TRUST_ENV
from explainers.errors import ExplainerError, describe
from sample_models import DEMOS, Demo

LOG_ENV = "WHYBOX_LOG"
if TYPE_CHECKING:
    from explainers.loading import PreparedData

FILE_PROBLEM = (
    "A file could not be read or written ({reason}). Check the paths and that the output "
    "folder exists and can be written to."
)
UNEXPECTED = (
    "whybox stopped unexpectedly ({kind}); nothing was written. This is a fault in whybox, "
    "not in your files: please report it with the command you ran."
)
DASK_NOT_CONTAINED = (
    "--engine dask is not contained: the model is loaded in this process and in the Dask "
    "workers, outside any sandbox."
)
DASK_NEEDS_DATA = (
    "--engine dask loads the model outside any sandbox, so it takes only model files that "
    "are data (skops, xgboost JSON/UBJ, lightgbm text, catboost .cbm), and {name} is a "
    "pickle or joblib file."
)
DASK_NEEDS_DATA_HINT = (
    "Use --engine local (the model runs contained, --trust-unknown-pickles included), or "
    "save the model with skops (skops.io.dump(model, 'model.skops'))."
)
REQUIRE_SANDBOX_HELP = "refuse model files when bubblewrap cannot contain them"


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as ``error: ...`` with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="whybox", description="Explain a trained model in a browser.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in (
        ("demo", "start the dashboard with the bundled loan model loaded"),
        ("serve", "start the dashboard at the upload page"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--port", type=int, default=8501)
        cmd.add_argument("--host", default="127.0.0.1")
        cmd.add_argument(
            "--trust-unknown-pickles",
            action="store_true",
            help="server operator only: load pickles that need names outside the allowlist",
        )
        cmd.add_argument("--require-sandbox", action="store_true", help=REQUIRE_SANDBOX_HELP)
    explain = sub.add_parser("explain", help="explain a dataset in batch")
    explain.add_argument("model")
    explain.add_argument("data")
    explain.add_argument("--out", required=True, help="output file (.parquet or .csv)")
    explain.add_argument("--target", default=None, help="target column to leave out")
    explain.add_argument("--method", choices=("shap", "lime", "both"), default="shap")
    explain.add_argument("--rows", type=int, default=None, help="explain only the first N rows")
    explain.add_argument(
        "--class", dest="class_name", default=None,
        help="class to explain (default: the settings' favourable class)",
    )  # fmt: skip
    add_settings_argument(explain)
    explain.add_argument("--trust-unknown-pickles", action="store_true")
    explain.add_argument("--require-sandbox", action="store_true", help=REQUIRE_SANDBOX_HELP)
    explain.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: a process pool on this machine; dask: partitioned, bounded memory, "
        "--out is a folder of Parquet files",
    )
    explain.add_argument(
        "--jobs", type=int, default=None, help="worker processes (local); 1: in this process"
    )
    explain.add_argument(
        "--scheduler", default=None, help="address of a running Dask scheduler (with --engine dask)"
    )
    explain.add_argument(
        "--blocksize", default="8MB", help="bytes of input per Dask partition (with --engine dask)"
    )
    report = sub.add_parser("report", help="write the report of one decision (HTML or PDF)")
    report.add_argument("model")
    report.add_argument("data")
    report.add_argument("--row", required=True, help="row label (0 = first data row), or an ID")
    report.add_argument("--out", required=True, help="output file (.html or .pdf)")
    report.add_argument(
        "--id-column", default=None,
        help="column whose values --row names (default: the settings' id_column)",
    )  # fmt: skip
    report.add_argument("--target", default=None, help="target column to leave out")
    report.add_argument(
        "--class", dest="class_name", default=None, help="the favourable class to explain"
    )
    add_settings_argument(report)
    report.add_argument(
        "--challenger", default=None,
        help="a second model file: the report adds how it decides the same row",
    )  # fmt: skip
    report.add_argument("--trust-unknown-pickles", action="store_true")
    report.add_argument("--require-sandbox", action="store_true", help=REQUIRE_SANDBOX_HELP)
    add_recourse_parser(sub)
    add_model_report_parser(sub)
    add_compare_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; bad input prints one ``error:`` line and returns 2."""
    args = build_parser().parse_args(argv)
    # What a library said about a refused file goes to whybox's log, not the
    # terminal: the terminal gets the one error line (WHYBOX_LOG=1 shows it).
    if not os.environ.get(LOG_ENV):
        logging.getLogger("explainers").addHandler(logging.NullHandler())
    try:
        if args.command in ("demo", "serve"):
            return _serve(args, demo=args.command == "demo")
        if args.command == "explain":
            return _explain(args)
        if args.command == "report":
            return _report(args)
        if args.command == "recourse":
            return run_recourse(args)
        if args.command == "model-report":
            return run_model_report(args)
        if args.command == "compare":
            return run_compare(args)
    except ExplainerError as exc:
        sys.stderr.write(f"error: {describe(exc)}\n")
        return 2
    except OSError as exc:  # an input or output file the command could not use
        sys.stderr.write(f"error: {FILE_PROBLEM.format(reason=exc.strerror or exc)}\n")
        return 2
    except Exception as exc:  # a bug in whybox: one line, never a traceback
        sys.stderr.write(f"error: {UNEXPECTED.format(kind=type(exc).__name__)}\n")
        return 1
    return 2


def _serve(args: argparse.Namespace, *, demo: bool) -> int:
    env = dict(os.environ)
    env[DEMO_ENV] = "1" if demo else "0"
    env[TRUST_ENV] = "1" if args.trust_unknown_pickles else "0"
    env[REQUIRE_SANDBOX_ENV] = "1" if args.require_sandbox else "0"
    # -P: never the working folder's code (a `dashboard/` or `explainers/` package in it
    # would run as the server); whybox's own folder is named instead
    whybox_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [whybox_root, env.get("PYTHONPATH")]))
    command = [sys.executable, "-P", "-m", "dashboard.server", str(args.port), args.host]
    print(f"whybox is starting at http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    # replace this process, so stopping `whybox demo` (Ctrl+C, SIGTERM) stops the server
    os.execve(sys.executable, command, env)


def load_contained_files(args: argparse.Namespace) -> PreparedData:
    """The model (in its sandbox) and the data of a command; one stderr line on protections."""
    return load_contained(
        args.model, args.data, target=args.target, trust_unknown=args.trust_unknown_pickles,
        jobs=getattr(args, "jobs", 1), require_sandbox=args.require_sandbox,
    )  # fmt: skip


def _explain(args: argparse.Namespace) -> int:
    from explainers.sandbox_launch import prestart

    prestart(args.jobs)  # first: its imports overlap this process's (pandas included)
    from explainers.sandbox import start_spare

    start_spare(args.jobs, keep=False)
    from explainers.batch import explain_batch, renamed_note, write_table
    from explainers.limits import REFERENCE_ROWS
    from explainers.model_calls import run_model_task

    out = Path(args.out)
    if args.engine == "dask":
        return _explain_dask(args, out)
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ExplainerError("--out must end in .parquet or .csv.", "For example: --out out.csv")
    if args.rows is not None and args.rows < 1:
        raise ExplainerError("--rows must be at least 1.", "Leave it out to explain every row.")
    prepared = load_contained_files(args)
    # the rows the settings (background, grouping) come from travel even when fewer are explained
    X = prepared.X if args.rows is None else prepared.X.iloc[: max(args.rows, REFERENCE_ROWS)]
    settings, _ = resolve_settings(
        args.settings, args.model, prepared, data_name=Path(args.data).name
    )
    output = prepared.bundle.output_index(args.class_name or settings.favourable)
    table = run_model_task(
        prepared.bundle, explain_batch, X, method=args.method, output=output, n_rows=args.rows
    )
    write_table(table, out)
    renamed = renamed_note(prepared.X.columns)
    for note in [*prepared.bundle.notes, *([renamed] if renamed else [])]:
        print(f"note: {note}")  # how the file is explained, when not as itself
    print(f"wrote {len(table):,} rows to {out}")
    return 0


def _bytes(size: str) -> int:
    """A size such as ``8MB`` in bytes (0 for one that is not a size)."""
    from dask.utils import parse_bytes

    try:
        return int(parse_bytes(size))
    except (ValueError, TypeError):
        return 0


def _explain_dask(args: argparse.Namespace, out: Path) -> int:
    from explainers.batch import renamed_note
    from explainers.dask_batch import explain_dask
    from explainers.loading import load_model
    from explainers.safe_loading import is_data_file

    if out.suffix.lower() == ".csv":
        raise ExplainerError(
            "--engine dask writes a folder of Parquet files, not a CSV file.",
            "For example: --out explained/",
        )
    if args.rows is not None:
        raise ExplainerError("--rows works with --engine local only.", "Leave --rows out.")
    if _bytes(args.blocksize) <= 0:
        raise ExplainerError(
            f"--blocksize must be a positive size, not {args.blocksize!r}.",
            "For example: --blocksize 8MB",
        )
    model = Path(args.model)
    if not model.is_file():
        raise ExplainerError(f"No file at {model}.", "Check the path and try again.")
    if args.require_sandbox:
        raise ExplainerError(DASK_NOT_CONTAINED, "Use --engine local to explain it contained.")
    raw = model.read_bytes()
    if not is_data_file(raw):  # a pickle would run its code here, on the host
        raise ExplainerError(DASK_NEEDS_DATA.format(name=model.name), DASK_NEEDS_DATA_HINT)
    sys.stderr.write(f"{PROTECTIONS_PREFIX}{DASK_NOT_CONTAINED}\n")
    bundle = load_model(raw, model.name, trust_unknown=args.trust_unknown_pickles)
    run = explain_dask(
        bundle,
        args.data,
        out,
        target=args.target,
        method=args.method,
        output=bundle.output_index(args.class_name),
        scheduler=args.scheduler,
        n_workers=args.jobs,
        blocksize=args.blocksize,
    )
    renamed = renamed_note(bundle.feature_names)
    if renamed:
        print(f"note: {renamed}")
    print(
        f"wrote {run.n_rows:,} rows in {run.n_partitions} Parquet files to {out} "
        f"({run.rows_per_second:,.0f} rows/s)"
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from explainers.sandbox_launch import prestart

    prestart(1)  # first: its imports overlap this process's (pandas included)
    from explainers.sandbox import start_spare

    start_spare(1, keep=False)
    from dashboard.report import report_html, report_pdf
    from explainers.decision import find_row, summarise_decision

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise ExplainerError("--out must end in .html or .pdf.", "For example: --out report.pdf")
    prepared = load_contained_files(args)
    data_name = Path(args.data).name
    settings, source = resolve_settings(args.settings, args.model, prepared, data_name=data_name)
    if args.class_name:
        settings = settings.with_changes(favourable=args.class_name)
    id_column = args.id_column or settings.id_column
    row_id = find_row(prepared, args.row, id_column=id_column, data_name=data_name)
    demo = bundled_demo(Path(args.model).read_bytes())
    summary = summarise_decision(
        prepared,
        row_id,
        settings=settings,
        model_card=demo.model_card() if demo else None,
        data_name=data_name,
        row_label=f"{id_column} {args.row}" if id_column else f"row {row_id}",
    )
    other = None
    if args.challenger:
        from explainers.model_comparison import check_comparable

        second = load_contained(
            args.challenger, args.data, target=args.target,
            trust_unknown=args.trust_unknown_pickles, require_sandbox=args.require_sandbox,
            say=False,
        )  # fmt: skip
        a, b = prepared.bundle, second.bundle
        check_comparable(a.task, a.output_labels, b.task, b.output_labels)
        other = summarise_decision(
            second, row_id, settings=settings, model_name=Path(args.challenger).name,
            data_name=data_name, row_label=summary.row_label,
        )  # fmt: skip
    try:
        if out.suffix.lower() == ".pdf":
            out.write_bytes(report_pdf(summary, challenger=other))
        else:
            out.write_text(report_html(summary, challenger=other), encoding="utf-8")
    except OSError as exc:
        raise ExplainerError(
            f"Could not write {out}: {exc.strerror or exc}.",
            "Check that the folder exists and can be written to.",
        ) from exc
    print(f"wrote the report for {summary.row_label} to {out}: {summary.reasons.decision}")
    return 0


def bundled_demo(model_raw: bytes) -> Demo | None:
    """The bundled demo whose model file has exactly these bytes, if any."""
    wanted = hashlib.sha256(model_raw).digest()
    for demo in DEMOS.values():
        path = demo.path(demo.model_file)
        if path.is_file() and hashlib.sha256(path.read_bytes()).digest() == wanted:
            return demo
    return None


if __name__ == "__main__":
    raise SystemExit(main())
