"""The decision commands of the CLI: settings lookup, ``whybox recourse`` and ``whybox compare``.

Decision settings come from ``--settings FILE``; without it, from a file
named ``<model>.settings.json`` beside the model (how the bundled demo ships
its own); without either, from :func:`explainers.decision_settings.guess_settings`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.cli_loading import load_contained
from explainers.errors import DataValidationError, ExplainerError

if TYPE_CHECKING:  # imported where used: `whybox --help` stays instant
    import numpy as np
    import pandas as pd

    from explainers.decision_settings import DecisionSettings
    from explainers.loading import PreparedData
    from explainers.model_comparison import ModelComparison, RowComparison
    from explainers.results import Attribution

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
    from explainers.decision_settings import check_settings, guess_settings, load_settings

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
            model_threshold=bundle.threshold,
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
    from explainers.batch_recourse import choose_rows, combine, recourse_table
    from explainers.model_calls import run_model_task

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise ExplainerError(BAD_OUT.format(expected=".csv"), "For example: --out options.csv")
    prepared = load_contained(
        args.model, args.data, target=args.target, trust_unknown=args.trust_unknown_pickles
    )
    data_name = Path(args.data).name
    settings, source = resolve_settings(args.settings, args.model, prepared, data_name=data_name)
    rows = _rows(args.rows, prepared, settings, data_name)
    row_names = None
    if settings.id_column is not None:
        row_names = prepared.frame[settings.id_column]
    print(f"decision settings: {source}", flush=True)
    chosen = run_model_task(prepared.bundle, choose_rows, prepared.X, settings=settings, rows=rows)
    parts = []
    for start in range(0, len(chosen), RECOURSE_CHUNK):
        chunk = chosen[start : start + RECOURSE_CHUNK]
        parts.append(
            run_model_task(
                prepared.bundle,
                recourse_table,
                prepared.X,
                settings=settings,
                rows=chunk,
                row_names=row_names,
            )  # fmt: skip
        )
        _progress(start + len(chunk), len(chosen))
    result = combine(parts)
    _write_csv(result.table, out)
    sys.stderr.write("\n")
    print(
        f"wrote {result.n_options:,} options for {result.n_with_options:,} of "
        f"{result.n_rows:,} rows to {out}; each was predicted again and reaches "
        f"“{settings.favourable_text}”"
    )
    return 0


RECOURSE_CHUNK = 20
"""Rows searched per model call (progress is reported between calls)."""


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
    from explainers.csv_output import write_csv

    try:
        write_csv(table, out)
    except OSError as exc:
        raise ExplainerError(
            f"Could not write {out}: {exc.strerror or exc}.",
            "Check that the folder exists and can be written to.",
        ) from exc


def add_compare_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``whybox compare MODEL_A MODEL_B DATA --out FILE.csv|.html``."""
    cmd = sub.add_parser(
        "compare", help="two models on the same rows, and where they decide differently"
    )
    cmd.add_argument("model_a", help="the champion (the model in use)")
    cmd.add_argument("model_b", help="the challenger")
    cmd.add_argument("data")
    cmd.add_argument(
        "--out", required=True, help="output file: .csv (one row per input row) or .html (report)"
    )
    cmd.add_argument("--target", default=None, help="target column (true outcomes)")
    add_settings_argument(cmd)
    cmd.add_argument("--trust-unknown-pickles", action="store_true")


def run_compare(args: argparse.Namespace) -> int:
    """Write the comparison of two models as a CSV table or an offline HTML report."""
    from explainers.model_calls import run_model_task
    from explainers.model_comparison import check_comparable, find_disagreements, predict_outputs

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".html", ".htm"):
        raise ExplainerError(
            BAD_OUT.format(expected=".csv or .html"), "For example: --out comparison.html"
        )
    trust = args.trust_unknown_pickles
    champion = load_contained(args.model_a, args.data, target=args.target, trust_unknown=trust)
    challenger = load_contained(
        args.model_b, args.data, target=args.target, trust_unknown=trust, say=False
    )
    a, b = champion.bundle, challenger.bundle
    check_comparable(a.task, a.output_labels, b.task, b.output_labels)
    data_name = Path(args.data).name
    settings, source = resolve_settings(args.settings, args.model_a, champion, data_name=data_name)
    print(f"decision settings: {source}", flush=True)
    X = champion.X
    outputs_a = run_model_task(a, predict_outputs, X)
    outputs_b = run_model_task(b, predict_outputs, challenger.X)
    row_ids = _row_ids(champion, settings)
    labels = a.class_labels
    if suffix == ".csv":
        differences = find_disagreements(
            row_ids, outputs_a, outputs_b, task=a.task, class_labels=labels, settings=settings
        )
        _write_csv(differences.table, out)
    else:
        comparison, rows = _full_comparison(
            champion, challenger, outputs_a, outputs_b, settings, row_ids, args, data_name
        )
        differences = comparison.disagreements
        from dashboard.comparison_report import comparison_html

        _write_text(comparison_html(comparison, rows), out)
    print(f"wrote the comparison of {differences.n_rows:,} rows to {out}")
    for sentence in differences.sentences:
        print(sentence)
    return 0


COMPARE_SHAP_ROWS = 1_000
"""Rows (a fixed random sample) the report's importance is computed on."""
COMPARE_DETAIL_ROWS = 10
"""Rows decided differently that the report opens with both breakdowns."""


def _full_comparison(
    champion: PreparedData,
    challenger: PreparedData,
    outputs_a: np.ndarray,
    outputs_b: np.ndarray,
    settings: DecisionSettings,
    row_ids: list[object],
    args: argparse.Namespace,
    data_name: str,
) -> tuple[ModelComparison, tuple[RowComparison, ...]]:
    from explainers.decision_settings import sensitive_groups
    from explainers.model_calls import run_model_task
    from explainers.model_comparison import compare_models, compare_rows, favourable_index
    from explainers.reasons import probability_view
    from explainers.shap_attributions import background_sample, explain_shap

    task, labels, X = champion.bundle.task, champion.bundle.class_labels, champion.X
    k = favourable_index(settings, labels, task) if task != "regression" else 0
    sample = X if len(X) <= COMPARE_SHAP_ROWS else X.sample(COMPARE_SHAP_ROWS, random_state=0)
    background = background_sample(X)

    def shap(prepared: PreparedData, rows: pd.DataFrame) -> Attribution:
        return run_model_task(prepared.bundle, explain_shap, rows, output=k, background=background)

    attributions = []
    for prepared in (champion, challenger):
        explained = shap(prepared, sample)
        attributions.append(probability_view(explained) if task == "binary" else explained)
    groups = {}
    if task != "regression":
        for feature in settings.sensitive:
            groups[feature] = sensitive_groups(settings, champion.frame, feature)
    comparison = compare_models(
        name_a=Path(args.model_a).name, name_b=Path(args.model_b).name, task=task,
        class_labels=labels, row_ids=row_ids, outputs_a=outputs_a, outputs_b=outputs_b,
        settings=settings, y_true=champion.y_true, groups=groups,
        attribution_a=attributions[0], attribution_b=attributions[1], data_name=data_name,
    )  # fmt: skip
    differs = comparison.disagreements.table["differs"].to_numpy()
    picked = X.index[differs][:COMPARE_DETAIL_ROWS]
    rows: tuple[RowComparison, ...] = ()
    if len(picked):
        position = {label: i for i, label in enumerate(X.index)}
        rows = compare_rows(
            shap(champion, X.loc[picked]), shap(challenger, X.loc[picked]),
            settings=settings, task=task,
            row_labels=[_row_label(row_ids[position[p]], settings) for p in picked],
        )  # fmt: skip
    return comparison, rows


def _row_ids(prepared: PreparedData, settings: DecisionSettings) -> list[object]:
    if settings.id_column is not None:
        return list(prepared.frame[settings.id_column])
    return list(prepared.X.index)


def _row_label(row_id: object, settings: DecisionSettings) -> str:
    return f"{settings.id_column} {row_id}" if settings.id_column else f"row {row_id}"


def _write_text(text: str, out: Path) -> None:
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExplainerError(
            f"Could not write {out}: {exc.strerror or exc}.",
            "Check that the folder exists and can be written to.",
        ) from exc
