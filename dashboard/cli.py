"""The ``whybox`` command line: demo, serve, explain, report."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from explainers.errors import ExplainerError, describe

APP = Path(__file__).resolve().parent / "app.py"
TRUST_ENV = "WHYBOX_TRUST_UNKNOWN_PICKLES"
DEMO_ENV = "WHYBOX_START_WITH_DEMO"


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
    explain = sub.add_parser("explain", help="explain a dataset in batch")
    explain.add_argument("model")
    explain.add_argument("data")
    explain.add_argument("--out", required=True, help="output file (.parquet or .csv)")
    explain.add_argument("--target", default=None, help="target column to leave out")
    explain.add_argument("--method", choices=("shap", "lime", "both"), default="shap")
    explain.add_argument("--rows", type=int, default=None, help="explain only the first N rows")
    explain.add_argument("--class", dest="class_name", default=None, help="class to explain")
    explain.add_argument("--trust-unknown-pickles", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; bad input prints one ``error:`` line and returns 2."""
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("demo", "serve"):
            return _serve(args, demo=args.command == "demo")
        if args.command == "explain":
            return _explain(args)
    except ExplainerError as exc:
        sys.stderr.write(f"error: {describe(exc)}\n")
        return 2
    return 2


def _serve(args: argparse.Namespace, *, demo: bool) -> int:
    env = dict(os.environ)
    env[DEMO_ENV] = "1" if demo else "0"
    env[TRUST_ENV] = "1" if args.trust_unknown_pickles else "0"
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(args.port),
        "--server.address", args.host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.maxUploadSize", "200",
        "--global.developmentMode", "false",
    ]  # fmt: skip
    print(f"whybox is starting at http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0


def _explain(args: argparse.Namespace) -> int:
    from explainers.batch import explain_table
    from explainers.loading import load_files

    out = Path(args.out)
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ExplainerError("--out must end in .parquet or .csv.", "For example: --out out.csv")
    if args.rows is not None and args.rows < 1:
        raise ExplainerError("--rows must be at least 1.", "Leave it out to explain every row.")
    prepared = load_files(
        args.model, args.data, target=args.target, trust_unknown=args.trust_unknown_pickles
    )
    X = prepared.X if args.rows is None else prepared.X.iloc[: args.rows]
    output = prepared.bundle.output_index(args.class_name)
    table = explain_table(prepared.bundle, X, method=args.method, output=output)
    if out.suffix.lower() == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    print(f"wrote {len(table):,} rows to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
