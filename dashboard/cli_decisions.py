"""The decision commands of the CLI: settings lookup, ``whybox recourse`` and ``whybox compare``.

Decision settings come from ``--settings FILE``; without it, from a file
named ``<model>.settings.json`` beside the model (how the bundled demo ships
its own); without either, from :func:`explainers.decision_settings.guess_settings`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from explainers.decision_settings import (
    DecisionSettings,
    check_settings,
    guess_settings,
    load_settings,
)
from explainers.errors import DataValidationError, ExplainerError
from explainers.loading import PreparedData

SETTINGS_SUFFIX = ".settings.json"
BAD_OUT = "--out must end in {expected}."
BAD_ROWS = "--rows must be refused, all, or a comma-separated list of row IDs; got {got!r}."
BAD_ROWS_HINT = "For example: --rows refused, --rows all or --rows 12,57,301."


def settings_beside(model_path: str | Path) -> Path:
    """Where a model's own settings file would be (``m.joblib`` -> ``m.settings.json``)."""
    path = Path(model_path)
    return path.with_name(path.stem + SETTINGS_SUFFIX)


def resolve_settings(
    settings_path: str | None,
    model_path: str | Path,
    prepared: PreparedData,
    *,
    data_name: str,
) -> tuple[DecisionSettings, str]:
    """The decision settings for a command, and where they came from (said to the user).

    Raises
    ------
    DataValidationError
        If the file is unreadable, invalid, or does not fit the data and model.
    """
    bundle = prepared.bundle
    labels = bundle.output_labels if bundle.task != "regression" else ()
    path = Path(settings_path) if settings_path else settings_beside(model_path)
    if settings_path or path.is_file():
        settings, source = load_settings(path), str(path)
    else:
        settings = guess_settings(
            prepared.frame,
            output_labels=labels,
            default_output=bundle.default_output,
            target=prepared.target,
        )
        source = "guessed from the column names (pass --settings FILE to set them)"
    check_settings(settings, prepared.frame, output_labels=labels, data_name=data_name)
    return settings, source


def add_settings_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--settings FILE`` option every model command takes."""
    parser.add_argument(
        "--settings",
        default=None,
        help="decision settings JSON (favourable class, wording, fixed features, ...); "
        f"default: <model>{SETTINGS_SUFFIX} beside the model if there is one, else guessed",
    )


def add_recourse_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``whybox recourse MODEL DATA [--rows refused|all|IDS] --out FILE.csv``."""
    cmd = sub.add_parser("recourse", help="verified options that would flip many decisions (CSV)")
    cmd.add_argument("model")
    cmd.add_argument("data")
    cmd.add_argument("--out", required=True, help="output file (.csv)")
    cmd.add_argument("--target", default=None, help="target column to leave out")
    cmd.add_argument(
        "--rows",
        default="refused",
        help="refused (default): rows the model refuses; all; or IDs separated by commas "
        "(values of the settings' id_column, else row labels)",
    )
    add_settings_argument(cmd)
    cmd.add_argument("--trust-unknown-pickles", action="store_true")


def run_recourse(args: argparse.Namespace) -> int:
    """Write verified recourse options for the chosen rows to a CSV file."""
    from explainers.batch_recourse import recourse_table
    from explainers.loading import load_files
    from explainers.model_calls import run_model_task

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise ExplainerError(BAD_OUT.format(expected=".csv"), "For example: --out options.csv")
    prepared = load_files(
        args.model, args.data, target=args.target, trust_unknown=args.trust_unknown_pickles
    )
    data_name = Path(args.data).name
    settings, source = resolve_settings(args.settings, args.model, prepared, data_name=data_name)
    rows = _rows(args.rows, prepared, settings, data_name)
    row_names = None
    if settings.id_column is not None:
        row_names = prepared.frame[settings.id_column]
    print(f"decision settings: {source}", flush=True)
    result = run_model_task(
        prepared.bundle,
        recourse_table,
        prepared.X,
        settings=settings,
        rows=rows,
        row_names=row_names,
        progress=_progress,
    )
    _write_csv(result.table, out)
    sys.stderr.write("\n")
    print(
        f"wrote {result.n_options:,} options for {result.n_with_options:,} of "
        f"{result.n_rows:,} rows to {out}; each was predicted again and reaches "
        f"“{settings.favourable_text}”"
    )
    return 0


def _rows(
    text: str, prepared: PreparedData, settings: DecisionSettings, data_name: str
) -> str | list[object]:
    from explainers.decision import find_row

    choice = text.strip()
    if choice in ("refused", "all"):
        return choice
    ids = [part.strip() for part in choice.split(",") if part.strip()]
    if not ids:
        raise DataValidationError(BAD_ROWS.format(got=text), BAD_ROWS_HINT)
    return [find_row(prepared, i, id_column=settings.id_column, data_name=data_name) for i in ids]


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rsearched {done:,} of {total:,} rows")
    sys.stderr.flush()


def _write_csv(table: pd.DataFrame, out: Path) -> None:
    try:
        table.to_csv(out, index=False)
    except OSError as exc:
        raise ExplainerError(
            f"Could not write {out}: {exc.strerror or exc}.",
            "Check that the folder exists and can be written to.",
        ) from exc
