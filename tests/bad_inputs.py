"""The bad-input corpus: broken, odd and hostile model and data files, one builder per case.

Each :class:`Case` writes a model file and a dataset file into a folder and
says what whybox must do with them: ``"ok"`` (load and explain) or
``"error"`` (refuse with a message containing ``message``). The same corpus
drives the command line (``tests/test_bad_inputs_cli.py``) and the dashboard
(``tests/test_bad_inputs_app.py``).

Files are built from tiny synthetic data with a fixed seed, so every run
writes the same bytes.
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeRegressor

from explainers.data_loading import MEMORY_BUDGET_ENV
from explainers.limits import MAX_UPLOAD_BYTES
from tests.hostile_models import HOSTILE, Hostile

Outcome = Literal["ok", "error"]
FEATURES = ("age", "income", "score")
TARGET = "approved"
N_ROWS = 40
HOSTILE_MARKER = "whybox-bad-input-ran"


@dataclass(frozen=True, slots=True)
class Files:
    """The two files a case uploads."""

    model: Path
    data: Path


@dataclass(frozen=True, slots=True)
class Case:
    """One bad (or merely unusual) input and what whybox must make of it.

    Parameters
    ----------
    id : str
        Test id.
    build : callable
        Writes the files into the folder it is given and returns their paths.
    expect : {"ok", "error"}
        The outcome in the dashboard (and on the command line, unless
        ``cli_expect`` says otherwise).
    message : str
        Words the error message must contain ("" for ``"ok"``).
    target : str or None
        The target column picked (``--target`` on the command line).
    env : dict
        Server settings in force (environment variables).
    cli_expect : {"ok", "error"} or None
        The command-line outcome where it differs from the dashboard's.
    hostile : bool
        An exploit-shaped model file (:mod:`tests.hostile_models`): its refusal
        must carry no library text, address, path or planted secret.
    """

    id: str
    build: Callable[[Path], Files]
    expect: Outcome
    message: str = ""
    target: str | None = TARGET
    env: dict[str, str] = field(default_factory=dict)
    cli_expect: Outcome | None = None
    hostile: bool = False

    @property
    def expect_cli(self) -> Outcome:
        """The outcome of ``whybox explain`` on this case."""
        return self.cli_expect or self.expect


# --------------------------------------------------------------------------- data and models


def frame(n_rows: int = N_ROWS, *, seed: int = 0) -> pd.DataFrame:
    """Three numeric features and a yes/no target."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n_rows),
            "income": rng.normal(3_000, 800, n_rows).round(2),
            "score": rng.normal(0, 1, n_rows).round(3),
        }
    )
    data[TARGET] = np.where(data["score"] + data["income"] / 1_000 > 3, "yes", "no")
    return data


def fitted_model() -> LogisticRegression:
    """A logistic regression on named columns (it cannot take missing values)."""
    data = frame(200, seed=1)
    return LogisticRegression(max_iter=1_000).fit(data[list(FEATURES)], data[TARGET])


def _model_and_csv(folder: Path, data: pd.DataFrame, model: object | None = None) -> Files:
    return Files(_joblib(folder, model or fitted_model()), _csv(folder, data))


def _joblib(folder: Path, model: object, name: str = "model.joblib") -> Path:
    path = folder / name
    joblib.dump(model, path)
    return path


def _pickle(folder: Path, obj: object) -> Path:
    path = folder / "model.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=5))
    return path


def _csv(folder: Path, data: pd.DataFrame, **options: object) -> Path:
    path = folder / "data.csv"
    data.to_csv(path, index=False, **options)  # type: ignore[call-overload]
    return path


def _raw_data(folder: Path, raw: bytes, name: str = "data.csv") -> Files:
    path = folder / name
    path.write_bytes(raw)
    return Files(_joblib(folder, fitted_model()), path)


def _raw_model(folder: Path, raw: bytes, name: str = "model.pkl") -> Files:
    path = folder / name
    path.write_bytes(raw)
    return Files(path, _csv(folder, frame()))


def _hostile_call() -> None:
    """Stands for any function a pickle might name; it must never run."""
    Path(HOSTILE_MARKER).touch()


class _RunsCommand:
    """Unpickles as ``os.system(...)``: what a malicious upload looks like."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {HOSTILE_MARKER}",)


def _xlsx() -> bytes:
    """A minimal real Excel workbook (SpreadsheetML in a ZIP) with the corpus columns."""
    rows = [list(frame().columns), *frame().head(3).astype(str).to_numpy().tolist()]
    cells = "".join(
        f'<row r="{i + 1}">'
        + "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in row)
        + "</row>"
        for i, row in enumerate(rows)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{pkg}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{cells}</sheetData>'
        "</worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# --------------------------------------------------------------------------- builders: data


def baseline(folder: Path) -> Files:
    return _model_and_csv(folder, frame())


def parquet(folder: Path) -> Files:
    path = folder / "data.parquet"
    frame().to_parquet(path, index=False)
    return Files(_joblib(folder, fitted_model()), path)


def semicolon_csv(folder: Path) -> Files:
    # What Excel writes in many European locales.
    return Files(_joblib(folder, fitted_model()), _csv(folder, frame(), sep=";"))


def carriage_return_in_a_cell(folder: Path) -> Files:
    # RFC 4180 allows a CR inside a quoted cell (old Mac line ends in a note field).
    data = frame().assign(note="line one\rline two")
    return Files(_joblib(folder, fitted_model()), _csv(folder, data, quoting=csv.QUOTE_NONNUMERIC))


def semicolon_decimal_commas(folder: Path) -> Files:
    # What Excel writes in German or French: semicolons between columns, "1234,5" numbers.
    return Files(_joblib(folder, fitted_model()), _csv(folder, frame(), sep=";", decimal=","))


def tab_separated(folder: Path) -> Files:
    return Files(_joblib(folder, fitted_model()), _csv(folder, frame(), sep="\t"))


def cp1252_csv(folder: Path) -> Files:
    names = {"age": "âge", "income": "revenu_€", "score": "note_ß"}
    data = frame().rename(columns=names)
    data["ville"] = np.array(["Zürich", "Genève", "Málaga", "Köln"])[np.arange(len(data)) % 4]
    train = frame(200, seed=1).rename(columns=names)
    model = LogisticRegression(max_iter=1_000).fit(train[list(names.values())], train[TARGET])
    path = folder / "data.csv"
    path.write_bytes(data.to_csv(index=False).encode("cp1252"))
    return Files(_joblib(folder, model), path)


def utf16_csv(folder: Path) -> Files:
    # Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab-separated.
    raw = frame().to_csv(index=False, sep="\t").encode("utf-16")
    return _raw_data(folder, raw)


def extra_columns(folder: Path) -> Files:
    data = frame()
    data["customer_id"] = [f"C{i:04d}" for i in range(len(data))]
    data["notes"] = "n/a"
    return _model_and_csv(folder, data)


def reordered_columns(folder: Path) -> Files:
    return _model_and_csv(folder, frame()[[TARGET, "score", "age", "income"]])


def one_row(folder: Path) -> Files:
    return _model_and_csv(folder, frame().head(1))


def one_column(folder: Path) -> Files:
    train = frame(200, seed=1)
    model = LogisticRegression().fit(train[["score"]], train[TARGET])
    return Files(_joblib(folder, model), _csv(folder, frame()[["score"]]))


def nan_tolerant(folder: Path) -> Files:
    train = frame(200, seed=1)
    train.loc[::7, "income"] = np.nan
    model = HistGradientBoostingClassifier(max_iter=20).fit(train[list(FEATURES)], train[TARGET])
    data = frame()
    data.loc[::5, "income"] = np.nan
    return _model_and_csv(folder, data, model)


def over_memory_budget(folder: Path) -> Files:
    # Just under 1 MB of CSV (so it passes the check before parsing) that takes
    # about 1.6 MB once loaded, against a 1 MB budget.
    return _model_and_csv(folder, frame(50_000))


def empty_data(folder: Path) -> Files:
    return _raw_data(folder, b"")


def blank_data(folder: Path) -> Files:
    return _raw_data(folder, b"\n\n  \n")


def binary_data(folder: Path) -> Files:
    return _raw_data(folder, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def excel_as_csv(folder: Path) -> Files:
    return _raw_data(folder, _xlsx())


def zipped_csv(folder: Path) -> Files:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", frame().to_csv(index=False))
    return _raw_data(folder, buffer.getvalue())


def damaged_parquet(folder: Path) -> Files:
    raw = frame().to_parquet(index=False)
    return _raw_data(folder, raw[: len(raw) // 2], "data.parquet")


def parquet_list_column(folder: Path) -> Files:
    data = frame().assign(readings=[[1.0, 2.0]] * N_ROWS)
    path = folder / "data.parquet"
    data.to_parquet(path, index=False)
    return Files(_joblib(folder, fitted_model()), path)


def ragged_csv(folder: Path) -> Files:
    return _raw_data(folder, b"age,income,score\n30,2000,0.1\n41,2500,0.3,7,8\n52,3000,0.2\n")


def duplicate_columns(folder: Path) -> Files:
    text = frame().to_csv(index=False).replace("income", "age", 1)
    return _raw_data(folder, text.encode())


def missing_column(folder: Path) -> Files:
    return _model_and_csv(folder, frame().drop(columns=["score"]))


def text_in_numeric(folder: Path) -> Files:
    data = frame()
    data["income"] = data["income"].astype(object)
    data.loc[3, "income"] = "unknown"
    return _model_and_csv(folder, data)


def all_nan_column(folder: Path) -> Files:
    data = frame()
    data["score"] = np.nan
    return _model_and_csv(folder, data)


def nan_unsupported(folder: Path) -> Files:
    data = frame()
    data.loc[[2, 9], "income"] = np.nan
    return _model_and_csv(folder, data)


def unseen_target_labels(folder: Path) -> Files:
    data = frame()
    data[TARGET] = data[TARGET].map({"yes": "approved", "no": "refused"})
    return _model_and_csv(folder, data)


def zero_rows(folder: Path) -> Files:
    return _model_and_csv(folder, frame().head(0))


def five_thousand_columns(folder: Path) -> Files:
    rng = np.random.default_rng(2)
    wide = pd.DataFrame(rng.normal(size=(5, 5_000)).round(2)).add_prefix("c")
    return _model_and_csv(folder, pd.concat([frame().head(5), wide], axis=1))


# --------------------------------------------------------------------------- builders: models


def empty_model(folder: Path) -> Files:
    return _raw_model(folder, b"")


def over_upload_limit(folder: Path) -> Files:
    path = folder / "model.pkl"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.write(b"\x80\x05")
        handle.truncate(MAX_UPLOAD_BYTES + 2**20)
    return Files(path, _csv(folder, frame()))


def model_is_csv(folder: Path) -> Files:
    # The two files swapped: a CSV uploaded as the model.
    return _raw_model(folder, frame().to_csv(index=False).encode())


def model_is_json(folder: Path) -> Files:
    return _raw_model(folder, b'{"model": "logistic", "coef": [0.1, 0.2, 0.3]}\n')


def truncated_pickle(folder: Path) -> Files:
    raw = pickle.dumps(fitted_model(), protocol=5)
    return _raw_model(folder, raw[: len(raw) // 2])


def pickle_of_dict(folder: Path) -> Files:
    model = fitted_model()
    return Files(_pickle(folder, {"model": model, "version": 3}), _csv(folder, frame()))


def pickle_of_str(folder: Path) -> Files:
    return Files(_pickle(folder, "LogisticRegression(max_iter=1000)"), _csv(folder, frame()))


def pickle_of_function(folder: Path) -> Files:
    return Files(_pickle(folder, _hostile_call), _csv(folder, frame()))


def hostile_pickle(folder: Path) -> Files:
    return Files(_pickle(folder, _RunsCommand()), _csv(folder, frame()))


def unfitted_estimator(folder: Path) -> Files:
    return Files(_joblib(folder, LogisticRegression()), _csv(folder, frame()))


def no_predict(folder: Path) -> Files:
    train = frame(200, seed=1)
    return Files(
        _joblib(folder, StandardScaler().fit(train[list(FEATURES)])), _csv(folder, frame())
    )


def no_probabilities(folder: Path) -> Files:
    train = frame(200, seed=1)
    model = LinearSVC().fit(train[list(FEATURES)], train[TARGET])
    return Files(_joblib(folder, model), _csv(folder, frame()))


def multi_output(folder: Path) -> Files:
    train = frame(200, seed=1)
    y = np.column_stack([train["score"] * 2, train["income"] / 100])
    model = DecisionTreeRegressor(max_depth=3).fit(train[list(FEATURES)], y)
    return Files(_joblib(folder, model), _csv(folder, frame()))


def predict_raises(folder: Path) -> Files:
    model = fitted_model()
    model.coef_ = np.zeros((1, len(FEATURES) + 1))  # damaged: one weight too many
    return Files(_joblib(folder, model), _csv(folder, frame()))


def unknown_category(folder: Path) -> Files:
    train = frame(200, seed=1)
    train["region"] = np.array(["north", "south", "east"])[np.arange(len(train)) % 3]
    columns = [*FEATURES, "region"]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="error"), ["region"]), remainder="passthrough"
        ),
        LogisticRegression(max_iter=1_000),
    ).fit(train[columns], train[TARGET])
    data = frame()
    data["region"] = np.array(["north", "south", "Mars"])[np.arange(len(data)) % 3]
    return _model_and_csv(folder, data, model)


def wrong_width(folder: Path) -> Files:
    train = frame(200, seed=1)
    model = LogisticRegression().fit(train[list(FEATURES)].to_numpy(), train[TARGET])
    data = frame()
    data.insert(0, "branch", 1)
    return _model_and_csv(folder, data, model)


def _hostile_files(hostile: Hostile) -> Callable[[Path], Files]:
    def build(folder: Path) -> Files:
        path = folder / f"model{hostile.suffix}"
        path.write_bytes(hostile.build(folder))
        return Files(path, _csv(folder, frame()))

    return build


# --------------------------------------------------------------------------- the corpus


def _ok(id: str, build: Callable[[Path], Files], **options: object) -> Case:
    return Case(id, build, "ok", **options)  # type: ignore[arg-type]


def _error(id: str, build: Callable[[Path], Files], message: str, **options: object) -> Case:
    return Case(id, build, "error", message, **options)  # type: ignore[arg-type]


CASES: tuple[Case, ...] = (
    # Should just work.
    _ok("baseline", baseline),
    _ok("parquet", parquet),
    _ok("semicolon_csv", semicolon_csv),
    _ok("semicolon_decimal_commas", semicolon_decimal_commas),
    _ok("carriage_return_in_a_quoted_cell", carriage_return_in_a_cell),
    _ok("tab_separated", tab_separated),
    _ok("cp1252_csv", cp1252_csv),
    _ok("utf16_csv", utf16_csv),
    _ok("extra_columns", extra_columns),
    _ok("reordered_columns", reordered_columns),
    _ok("one_row", one_row),
    _ok("one_column", one_column, target=None),
    _ok("nan_with_a_model_that_takes_it", nan_tolerant),
    # no probabilities: explained in its decision-score units
    _ok("classifier_without_probabilities", no_probabilities),
    # Dataset files.
    _error("empty_data", empty_data, "dataset file is empty"),
    _error("blank_data", blank_data, "dataset file is empty"),
    _error("binary_data", binary_data, "not a CSV or Parquet"),
    _error("excel_renamed_csv", excel_as_csv, "Excel", target=None),
    _error("zipped_csv", zipped_csv, "ZIP archive, not a CSV or Parquet file", target=None),
    _error("damaged_parquet", damaged_parquet, "Parquet file is damaged"),
    _error("parquet_list_column", parquet_list_column, "hold lists, maps or records"),
    _error("ragged_csv", ragged_csv, "could not be read as a table", target=None),
    _error("duplicate_columns", duplicate_columns, "duplicate column names: age"),
    _error("zero_rows", zero_rows, "no rows"),
    _error("five_thousand_columns", five_thousand_columns, "5,004 columns"),
    _error(
        "over_memory_budget",
        over_memory_budget,
        "this server allows 1.0 MB per dataset",
        env={MEMORY_BUDGET_ENV: "1"},
        cli_expect="ok",
    ),
    # Dataset against the model.
    _error("missing_column", missing_column, "missing 1 column(s) the model needs: score"),
    _error("text_in_numeric_column", text_in_numeric, "should hold numbers"),
    _error("all_nan_column", all_nan_column, "Every cell of column(s) score is empty"),
    _error("nan_the_model_cannot_take", nan_unsupported, "missing values in income"),
    _error("target_labels_never_seen", unseen_target_labels, "never saw"),
    _error("wrong_width_unnamed_model", wrong_width, "expects 3 input columns"),
    _error("unknown_category", unknown_category, "could not make predictions"),
    # Model files.
    _error("empty_model", empty_model, "model file is empty"),
    _error("model_over_upload_limit", over_upload_limit, "up to 200 MB"),
    _error("model_is_a_csv", model_is_csv, "not a model file"),
    _error("model_is_json", model_is_json, "not a model file"),
    _error("truncated_pickle", truncated_pickle, "cut off"),
    _error("pickle_of_a_dict", pickle_of_dict, "holds a dictionary, not a trained model"),
    _error("pickle_of_a_string", pickle_of_str, "holds a piece of text, not a trained model"),
    _error("pickle_of_a_function", pickle_of_function, "does not trust"),
    _error("hostile_pickle", hostile_pickle, "does not trust"),
    _error("unfitted_estimator", unfitted_estimator, "has not been trained"),
    _error("model_without_predict", no_predict, "has no predict method"),
    _error("multi_output_model", multi_output, "several targets"),
    _error("predict_raises", predict_raises, "could not make predictions"),
    # Exploit-shaped model files naming only allowlisted globals.
    *(
        Case(f"hostile_{h.id}", _hostile_files(h), "error", h.message, hostile=True)
        for h in HOSTILE
    ),
)
