"""``whybox model-report``: the whole-model document (HTML or PDF) from the command line.

Model outputs and SHAP values are computed through
:func:`explainers.model_calls.run_model_task` (where the model lives); the
report is assembled by :func:`explainers.model_summary.summarise_model`, the
same function the dashboard's Overview download uses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.cli_decisions import add_settings_argument, resolve_settings
from explainers.errors import DataValidationError, ExplainerError

if TYPE_CHECKING:  # imported where used: `whybox --help` stays instant
    import pandas as pd

    from explainers.model_summary import ModelSummary

BAD_OUT = "--out must end in .html or .pdf."


def add_model_report_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``whybox model-report MODEL DATA [--target] [--train] [--current] --out FILE``."""
    cmd = sub.add_parser("model-report", help="write the whole-model report (HTML or PDF)")
    cmd.add_argument("model")
    cmd.add_argument("data", help="the data the model is judged on (test data)")
    cmd.add_argument("--out", required=True, help="output file (.html or .pdf)")
    cmd.add_argument("--target", default=None, help="column with the true outcome")
    cmd.add_argument("--train", default=None, help="training data, to check for overfitting")
    cmd.add_argument("--current", default=None, help="data the model sees now, to measure drift")
    add_settings_argument(cmd)
    cmd.add_argument("--trust-unknown-pickles", action="store_true")


def build_summary(
    model: str | Path,
    data: str | Path,
    *,
    target: str | None = None,
    train: str | Path | None = None,
    current: str | Path | None = None,
    settings_path: str | None = None,
    trust_unknown: bool = False,
) -> ModelSummary:
    """Load the files, compute outputs and SHAP where the model lives, and assemble the report.

    Raises
    ------
    ExplainerError
        A file is missing or unreadable, or the data does not fit the model.
    """
    from dashboard.cli import bundled_demo
    from dashboard.cli_loading import load_contained
    from explainers.data_loading import load_dataset
    from explainers.loading import prepare
    from explainers.model_calls import run_model_task
    from explainers.model_summary import ScoredData, model_outputs, summarise_model
    from explainers.shap_attributions import background_sample, explain_shap, global_sample

    prepared = load_contained(model, data, target=target, trust_unknown=trust_unknown)
    bundle, data_name = prepared.bundle, Path(data).name
    settings, source = resolve_settings(settings_path, model, prepared, data_name=data_name)
    print(f"decision settings: {source}", flush=True)
    output = bundle.output_index(settings.favourable if bundle.task != "regression" else None)
    background = background_sample(prepared.X)

    def scored(frame: pd.DataFrame, name: str, *, explain: bool) -> ScoredData:
        data = prepare(bundle, frame, target=target if target in frame.columns else None)
        outputs = run_model_task(bundle, model_outputs, data.X)
        attribution = None
        if explain:
            rows = global_sample(data.X)
            sys.stderr.write(f"explaining {len(rows):,} rows of {name}…\n")
            attribution = run_model_task(
                bundle, explain_shap, rows, output=output, background=background
            )
        return ScoredData(name, data.frame, data.X, data.y_true, outputs, attribution)

    def read(path: str | Path | None, *, explain: bool) -> ScoredData | None:
        if path is None:
            return None
        file = Path(path)
        if not file.is_file():
            raise DataValidationError(f"No file at {file}.", "Check the path and try again.")
        return scored(load_dataset(file.read_bytes(), file.name), file.name, explain=explain)

    test = scored(prepared.frame, data_name, explain=True)
    demo = bundled_demo(Path(model).read_bytes())
    return summarise_model(
        bundle, test, settings=settings, output=output,
        train=read(train, explain=False), current=read(current, explain=True),
        model_name=Path(model).name, model_card=demo.model_card() if demo else None,
    )  # fmt: skip


def run_model_report(args: argparse.Namespace) -> int:
    """Write the whole-model report; bad input raises an ExplainerError (exit 2)."""
    from dashboard.model_report import model_report_html, model_report_pdf

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise ExplainerError(BAD_OUT, "For example: --out model-report.pdf")
    summary = build_summary(
        args.model, args.data, target=args.target, train=args.train, current=args.current,
        settings_path=args.settings, trust_unknown=args.trust_unknown_pickles,
    )  # fmt: skip
    try:
        if out.suffix.lower() == ".pdf":
            out.write_bytes(model_report_pdf(summary))
        else:
            out.write_text(model_report_html(summary), encoding="utf-8")
    except OSError as exc:
        raise ExplainerError(
            f"Could not write {out}: {exc.strerror or exc}.",
            "Check that the folder exists and can be written to.",
        ) from exc
    sections = [
        name
        for name, present in (
            ("performance", summary.performance is not None),
            ("overfitting", summary.comparison is not None),
            ("fairness", bool(summary.fairness)),
            ("drift", summary.drift is not None),
            ("error cohorts", summary.errors is not None),
        )
        if present
    ]
    print(f"wrote the model report to {out} (importance, data quality, {', '.join(sections)})")
    return 0
