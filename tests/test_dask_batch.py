"""The Dask engine writes exactly the local table (as stored), partition by partition."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

from explainers.batch import explain_table, to_storage
from explainers.dask_batch import explain_dask, read_output
from explainers.loading import load_files
from explainers.model_bundle import align_data, build_bundle
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def loan():
    return load_files(
        SAMPLES / "loan_model.joblib", SAMPLES / "german_credit.csv", target="creditability"
    )


def test_dask_shap_equals_local_table(loan, tmp_path) -> None:
    data = tmp_path / "loan.csv"
    loan.frame.iloc[:400].to_csv(data, index=False)
    run = explain_dask(
        loan.bundle, data, tmp_path / "out", target="creditability",
        blocksize="20kB", processes=False, n_workers=2,
    )  # fmt: skip
    assert run.n_rows == 400 and run.n_partitions > 2
    serial = to_storage(explain_table(loan.bundle, loan.X.iloc[:400]))
    pd.testing.assert_frame_equal(read_output(tmp_path / "out"), serial)


def test_dask_permutation_shap_and_lime_equal_local_table(tmp_path) -> None:
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=30, random_state=0).fit(frame, y)
    bundle, X = align_data(build_bundle(model), frame)
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    serial = to_storage(explain_table(bundle, X, method="both"))
    run = explain_dask(
        bundle, data, tmp_path / "out", method="both",
        blocksize="1kB", processes=False, n_workers=2,
    )  # fmt: skip
    assert run.n_partitions > 2  # rows keep their file position across partitions
    pd.testing.assert_frame_equal(read_output(tmp_path / "out"), serial)
