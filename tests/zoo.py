"""A zoo of everyday models, trained the way tutorials and credit-risk notebooks train them.

Each :class:`Case` says how to build a fitted model and its data, the file format it is
saved in, and what whybox must do with it: explain it in a stated output space, checked
against the model's *own* public output (``own``: ``predict_proba``, ``predict``,
``decision_function`` or the booster's own margin, computed here from the model object
on the frame it was trained on), or refuse it with a reason (``refused``: a regular
expression the ``error:`` line must match). ``tests/test_zoo.py`` runs every case.

Models are small (about 200 rows, a few dozen trees) so the whole zoo fits in a test
run; they are built on first use and kept for the session.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import catboost
import lightgbm
import numpy as np
import pandas as pd
import xgboost
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from scipy.special import expit
from sklearn import (
    calibration,
    compose,
    discriminant_analysis,
    ensemble,
    feature_selection,
    impute,
    kernel_ridge,
    linear_model,
    model_selection,
    naive_bayes,
    neighbors,
    neural_network,
    preprocessing,
    svm,
    tree,
)
from sklearn.decomposition import PCA
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.pipeline import Pipeline, make_pipeline

Format = Literal[
    "pickle", "joblib", "skops", "xgboost-json", "xgboost-ubj", "lightgbm-txt", "catboost-cbm"
]
Space = Literal["probability", "log-odds", "margin", "raw", "log"]
Own = Callable[[Any, pd.DataFrame], np.ndarray]

N_ROWS = 200
NUMERIC = [f"f{j}" for j in range(6)]
CREDIT = ["age", "income", "duration", "purpose", "housing"]
CREDIT_NUMBERS = ["age", "income", "duration"]
CREDIT_TEXT = ["purpose", "housing"]


@dataclass(frozen=True)
class Built:
    """A fitted model, the frame it was trained on (features + target) and its target."""

    model: Any
    frame: pd.DataFrame
    target: str


@dataclass(frozen=True)
class Case:
    """One zoo model and what whybox must do with it.

    Parameters
    ----------
    name : str
    build : callable returning Built
    space : output space whybox must state, or None when it must refuse
    own : the model's own output in that space for the explained class (shape (n,))
    prediction : the model's own public prediction whybox's ``prediction`` column holds
    fmt : file format the model is saved in
    class_name : the class to explain (``--class``), if not the default
    exact : whether the explanation must be exact (tree, linear, native) or estimated
    refused : regular expression the ``error:`` line must match, for refusals
    data_format : "csv" or "parquet"
    """

    name: str
    build: Callable[[], Built]
    space: Space | None
    own: Own | None = None
    prediction: Own | None = None
    fmt: Format = "joblib"
    class_name: str | None = None
    exact: bool = True
    refused: str | None = None
    data_format: Literal["csv", "parquet"] = "csv"


# --------------------------------------------------------------------------- data


@cache
def numeric_frame() -> pd.DataFrame:
    """Six informative-ish numbers and binary, three-class, regression and count targets."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(N_ROWS, 6)), columns=NUMERIC)
    score = X["f0"] - 0.8 * X["f1"] + 0.5 * X["f2"] * X["f3"] + rng.normal(0, 0.5, N_ROWS)
    frame = X.assign(
        y=np.where(score > 0, 1, 0),
        y3=pd.cut(score, [-np.inf, -0.7, 0.7, np.inf], labels=["a", "b", "c"]).astype(str),
        y3i=pd.cut(score, [-np.inf, -0.7, 0.7, np.inf], labels=False),
        yr=3 * X["f0"] - 2 * X["f1"] + X["f2"] ** 2 + rng.normal(0, 0.3, N_ROWS),
        yc=rng.poisson(np.exp(0.4 + 0.5 * X["f0"] - 0.3 * X["f1"])),
        yg=rng.gamma(2.0, np.exp(1.0 + 0.3 * X["f0"]) / 2.0),
        ybig=3.0e7 + 4.0e6 * X["f0"] - 1.5e6 * X["f1"] + rng.normal(0, 2e5, N_ROWS),
    )
    return frame


@cache
def credit_frame() -> pd.DataFrame:
    """A credit-risk table: numbers and text, both with missing values."""
    rng = np.random.default_rng(1)
    n = N_ROWS
    age = rng.integers(19, 75, n).astype(float)
    age[rng.random(n) < 0.06] = np.nan
    income = rng.lognormal(8, 0.5, n).round(2)
    duration = rng.integers(6, 60, n)
    purpose = rng.choice(["car", "furniture", "education", "business"], n).astype(object)
    purpose[rng.random(n) < 0.06] = np.nan
    housing = rng.choice(["own", "rent", "free"], n).astype(object)
    score = (
        0.04 * (np.nan_to_num(age, nan=40) - 40)
        - 0.05 * (duration - 30)
        + 0.8 * (housing == "own")
        + 0.7 * (purpose == "car")
        + rng.normal(0, 0.6, n)
    )
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "duration": duration,
            "purpose": purpose,
            "housing": housing,
            "good": np.where(score > 0, "good", "bad"),
            "risk": pd.cut(score, [-np.inf, -0.8, 0.8, np.inf], labels=["high", "mid", "low"])
            .astype(str)
            .to_numpy(),
            "amount": (1500 + 80 * duration + 0.2 * income + rng.normal(0, 300, n)).round(2),
        }
    )


def categorical_credit() -> pd.DataFrame:
    """The credit table with its text columns as pandas categories (native categoricals)."""
    frame = credit_frame().copy()
    for column in CREDIT_TEXT:
        frame[column] = frame[column].astype("category")
    return frame


def _numeric(model: Any, target: str = "y") -> Built:
    frame = numeric_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(frame[NUMERIC], frame[target])
    return Built(model, frame[[*NUMERIC, target]], target)


def _numeric_array(model: Any, target: str = "y") -> Built:
    """Fitted on a numpy array: the model knows no column names."""
    frame = numeric_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(frame[NUMERIC].to_numpy(), frame[target].to_numpy())
    return Built(model, frame[[*NUMERIC, target]], target)


def _credit(model: Any, target: str = "good", frame: pd.DataFrame | None = None) -> Built:
    frame = credit_frame() if frame is None else frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(frame[CREDIT], frame[target])
    return Built(model, frame[[*CREDIT, target]], target)


def encoder(
    numbers: Any = None, text: Any = None, *, numeric: list[str] | None = None
) -> compose.ColumnTransformer:
    """The usual ColumnTransformer: impute and scale numbers, impute and one-hot text."""
    numbers = numbers or make_pipeline(
        impute.SimpleImputer(strategy="median"), preprocessing.StandardScaler()
    )
    text = text or make_pipeline(
        impute.SimpleImputer(strategy="most_frequent"),
        preprocessing.OneHotEncoder(handle_unknown="ignore"),
    )
    return compose.ColumnTransformer(
        [("num", numbers, numeric or CREDIT_NUMBERS), ("cat", text, CREDIT_TEXT)]
    )


# --------------------------------------------------------------------------- own outputs


def _features(model: Any, frame: pd.DataFrame) -> Any:
    """The model's input as its user gives it: a frame, or an array if fitted on one."""
    X = frame[[c for c in frame.columns if c in (*NUMERIC, *CREDIT)]]
    array_fit = type(model).__module__.startswith("sklearn") and not hasattr(
        model, "feature_names_in_"
    )
    return X.to_numpy() if array_fit else X


def proba(k: int) -> Own:
    return lambda m, f: np.asarray(m.predict_proba(_features(m, f)))[:, k]


def decision(k: int | None = None) -> Own:
    """decision_function; binary models have one column (class 1), class 0 is its negation."""

    def own(m: Any, f: pd.DataFrame) -> np.ndarray:
        d = np.asarray(m.decision_function(_features(m, f)), dtype=float)
        if d.ndim == 1:
            return d if k in (None, 1) else -d
        return d[:, k]

    return own


def predict(m: Any, f: pd.DataFrame) -> np.ndarray:
    return np.asarray(m.predict(_features(m, f)), dtype=float)


def log_predict(m: Any, f: pd.DataFrame) -> np.ndarray:
    return np.log(predict(m, f))


def xgb_margin(k: int | None = None) -> Own:
    def own(m: Any, f: pd.DataFrame) -> np.ndarray:
        out = np.asarray(m.predict(_features(m, f), output_margin=True), dtype=float)
        return out if out.ndim == 1 else out[:, k or 0]

    return own


def lgb_raw(k: int | None = None) -> Own:
    def own(m: Any, f: pd.DataFrame) -> np.ndarray:
        out = np.asarray(m.predict(_features(m, f), raw_score=True), dtype=float)
        return out if out.ndim == 1 else out[:, k or 0]

    return own


def cat_raw(k: int | None = None) -> Own:
    def own(m: Any, f: pd.DataFrame) -> np.ndarray:
        out = np.asarray(m.predict(_features(m, f), prediction_type="RawFormulaVal"), float)
        return out if out.ndim == 1 else out[:, k or 0]

    return own


def xgb_booster_margin(m: Any, f: pd.DataFrame) -> np.ndarray:
    X = f[[c for c in f.columns if c in (*NUMERIC, *CREDIT)]]
    rounds = getattr(m, "best_iteration", None)
    iteration_range = (0, rounds + 1) if rounds is not None else (0, 0)
    matrix = xgboost.DMatrix(X, enable_categorical=True)
    return np.asarray(m.predict(matrix, output_margin=True, iteration_range=iteration_range))


def xgb_booster_predict(m: Any, f: pd.DataFrame) -> np.ndarray:
    X = f[[c for c in f.columns if c in (*NUMERIC, *CREDIT)]]
    rounds = getattr(m, "best_iteration", None)
    iteration_range = (0, rounds + 1) if rounds is not None else (0, 0)
    matrix = xgboost.DMatrix(X, enable_categorical=True)
    return np.asarray(m.predict(matrix, iteration_range=iteration_range), dtype=float)


def lgb_booster(raw_score: bool) -> Own:
    def own(m: Any, f: pd.DataFrame) -> np.ndarray:
        X = f[[c for c in f.columns if c in (*NUMERIC, *CREDIT)]]
        return np.asarray(m.predict(X, raw_score=raw_score), dtype=float)

    return own


# --------------------------------------------------------------------------- builders


def _search(search: Any) -> Built:
    return _credit(search)


def _grid() -> Built:
    pipe = Pipeline([("prep", encoder()), ("clf", linear_model.LogisticRegression())])
    return _search(model_selection.GridSearchCV(pipe, {"clf__C": [0.1, 1.0]}, cv=3))


def _randomized() -> Built:
    pipe = Pipeline(
        [("prep", encoder()), ("rf", ensemble.RandomForestClassifier(20, random_state=0))]
    )
    return _search(
        model_selection.RandomizedSearchCV(
            pipe, {"rf__max_depth": [3, 5, None]}, n_iter=2, cv=3, random_state=0
        )
    )


def _halving() -> Built:
    return _numeric(
        model_selection.HalvingGridSearchCV(
            tree.DecisionTreeClassifier(random_state=0),
            {"max_depth": [2, 4, 6]},
            cv=3,
            random_state=0,
        )
    )


def _xgb_early_stopping() -> Built:
    frame = numeric_frame()
    model = xgboost.XGBClassifier(
        n_estimators=200, max_depth=3, learning_rate=0.3, early_stopping_rounds=5
    )
    model.fit(
        frame[NUMERIC][:150], frame["y"][:150],
        eval_set=[(frame[NUMERIC][150:], frame["y"][150:])], verbose=False,
    )  # fmt: skip
    assert model.best_iteration < 199  # it did stop early
    return Built(model, frame[[*NUMERIC, "y"]], "y")


def _lgb_early_stopping() -> Built:
    frame = numeric_frame()
    model = lightgbm.LGBMClassifier(n_estimators=300, num_leaves=8, verbose=-1)
    model.fit(
        frame[NUMERIC][:150], frame["y"][:150],
        eval_set=[(frame[NUMERIC][150:], frame["y"][150:])],
        callbacks=[lightgbm.early_stopping(5, verbose=False)],
    )  # fmt: skip
    assert model.best_iteration_ < 300
    return Built(model, frame[[*NUMERIC, "y"]], "y")


def _cat_early_stopping() -> Built:
    frame = numeric_frame()
    model = catboost.CatBoostRegressor(
        iterations=300,
        depth=3,
        verbose=False,
        random_seed=0,
        allow_writing_files=False,
        early_stopping_rounds=5,
    )
    model.fit(
        frame[NUMERIC][:150], frame["yr"][:150], eval_set=(frame[NUMERIC][150:], frame["yr"][150:])
    )
    return Built(model, frame[[*NUMERIC, "yr"]], "yr")


def _xgb_train(objective: str, target: str, early: bool) -> Built:
    frame = numeric_frame()
    train = xgboost.DMatrix(frame[NUMERIC][:150], frame[target][:150])
    valid = xgboost.DMatrix(frame[NUMERIC][150:], frame[target][150:])
    booster = xgboost.train(
        {"objective": objective, "max_depth": 3, "eta": 0.3},
        train,
        num_boost_round=100,
        evals=[(valid, "valid")],
        early_stopping_rounds=5 if early else None,
        verbose_eval=False,
    )
    return Built(booster, frame[[*NUMERIC, target]], target)


def _lgb_train(objective: str, target: str, frame: pd.DataFrame | None = None) -> Built:
    frame = numeric_frame() if frame is None else frame
    columns = NUMERIC if frame is numeric_frame() else CREDIT
    data = lightgbm.Dataset(frame[columns], frame[target])
    booster = lightgbm.train(
        {"objective": objective, "num_leaves": 8, "verbose": -1}, data, num_boost_round=30
    )
    return Built(booster, frame[[*columns, target]], target)


def _xgb_categorical() -> Built:
    frame = categorical_credit()
    frame = frame.assign(good=(frame["good"] == "good").astype(int))
    model = xgboost.XGBClassifier(n_estimators=30, max_depth=3, enable_categorical=True)
    return _credit(model, frame=frame)


def _lgb_categorical() -> Built:
    frame = categorical_credit()
    return _credit(lightgbm.LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1), frame=frame)


def _hgb_categorical() -> Built:
    model = ensemble.HistGradientBoostingClassifier(
        max_iter=30, categorical_features="from_dtype", random_state=0
    )
    return _credit(model, frame=categorical_credit())


def _catboost_text() -> Built:
    frame = credit_frame().copy()
    frame[CREDIT_TEXT] = frame[CREDIT_TEXT].fillna("missing")
    model = catboost.CatBoostClassifier(
        iterations=40,
        depth=3,
        verbose=False,
        random_seed=0,
        allow_writing_files=False,
        cat_features=CREDIT_TEXT,
    )
    return _credit(model, frame=frame)


def _transformed_target() -> Built:
    model = compose.TransformedTargetRegressor(
        regressor=Pipeline([("prep", encoder()), ("reg", linear_model.Ridge())]),
        func=np.log,
        inverse_func=np.exp,
    )
    return _credit(model, target="amount")


def _array(model: Any, target: str = "y") -> Built:
    built = _numeric_array(model, target)
    return built


def _imb_smote() -> Built:
    model = ImbPipeline(
        [
            ("prep", encoder()),
            ("smote", SMOTE(random_state=0)),
            ("clf", linear_model.LogisticRegression(max_iter=500)),
        ]
    )
    return _credit(model)


def _imb_under() -> Built:
    model = ImbPipeline(
        [
            ("prep", encoder()),
            ("under", RandomUnderSampler(random_state=0)),
            ("rf", ensemble.RandomForestClassifier(20, random_state=0)),
        ]
    )
    return _credit(model)


def _pipe(*steps: Any, target: str = "good") -> Callable[[], Built]:
    return lambda: _credit(make_pipeline(*steps), target=target)


def _num(model: Callable[[], Any], target: str = "y") -> Callable[[], Built]:
    return lambda: _numeric(model(), target)


GB = ensemble.GradientBoostingClassifier
RF = ensemble.RandomForestClassifier
LR = linear_model.LogisticRegression


def _cases() -> list[Case]:
    p1, p0 = proba(1), proba(0)
    return [
        # ---- scikit-learn linear models (exact, closed form)
        Case("logistic", _num(LR), "log-odds", decision(1), p1),
        Case("logistic_class0", _num(LR), "log-odds", decision(0), p0, class_name="0"),
        Case("logistic_multiclass", _num(lambda: LR(), "y3"), "log-odds", decision(2),
             proba(2), class_name="c"),
        Case("logistic_numpy_fit", lambda: _array(LR()), "log-odds", decision(1), p1,
             fmt="pickle"),
        Case("sgd_log_loss", _num(lambda: linear_model.SGDClassifier(loss="log_loss",
             random_state=0)), "log-odds", decision(1), p1),
        Case("sgd_hinge", _num(lambda: linear_model.SGDClassifier(random_state=0)), "margin",
             decision(1), decision(1)),
        Case("linear_svc", _num(svm.LinearSVC), "margin", decision(1), decision(1)),
        Case("linear_svc_multiclass", _num(svm.LinearSVC, "y3"), "margin", decision(0),
             decision(0), class_name="a"),
        Case("ridge_classifier", _num(linear_model.RidgeClassifier), "margin", decision(1),
             decision(1)),
        Case("perceptron", _num(linear_model.Perceptron), "margin", decision(1), decision(1)),
        Case("linear_regression", _num(linear_model.LinearRegression, "yr"), "raw", predict,
             predict),
        Case("ridge", _num(linear_model.Ridge, "yr"), "raw", predict, predict, fmt="skops"),
        Case("lasso", _num(lambda: linear_model.Lasso(alpha=0.05), "yr"), "raw", predict,
             predict),
        Case("elastic_net", _num(lambda: linear_model.ElasticNet(alpha=0.05), "yr"), "raw",
             predict, predict),
        Case("huber", _num(linear_model.HuberRegressor, "yr"), "raw", predict, predict),
        Case("bayesian_ridge", _num(linear_model.BayesianRidge, "yr"), "raw", predict, predict),
        Case("linear_svr", _num(lambda: svm.LinearSVR(random_state=0), "yr"), "raw", predict,
             predict),
        # ---- GLMs with a log link: explained in log space, prediction in response units
        Case("poisson", _num(linear_model.PoissonRegressor, "yc"), "log", log_predict, predict),
        Case("gamma", _num(linear_model.GammaRegressor, "yg"), "log", log_predict, predict),
        Case("tweedie_log", _num(lambda: linear_model.TweedieRegressor(power=1.5), "yc"), "log",
             log_predict, predict, fmt="skops"),
        Case("tweedie_identity", _num(lambda: linear_model.TweedieRegressor(power=0), "yr"),
             "raw", predict, predict),
        # ---- SVMs and other kernels (model-agnostic, estimated)
        Case("svc_linear_proba_3class", _num(lambda: svm.SVC(kernel="linear", probability=True,
             random_state=0), "y3"), "probability", proba(0), proba(0), class_name="a",
             exact=False),
        Case("svc_rbf_proba", _num(lambda: svm.SVC(probability=True, random_state=0)),
             "probability", p1, p1, exact=False),
        Case("svc_rbf_margin", _num(svm.SVC), "margin", decision(1), decision(1), exact=False),
        Case("svr", _num(svm.SVR, "yr"), "raw", predict, predict, exact=False),
        Case("kernel_ridge", _num(lambda: kernel_ridge.KernelRidge(kernel="rbf"), "yr"), "raw",
             predict, predict, exact=False),
        # ---- neighbours, naive Bayes, discriminant analysis, neural nets
        Case("knn_classifier", _num(neighbors.KNeighborsClassifier), "probability", p1, p1,
             exact=False),
        Case("knn_regressor", _num(neighbors.KNeighborsRegressor, "yr"), "raw", predict,
             predict, exact=False, fmt="pickle"),
        Case("gaussian_nb", _num(naive_bayes.GaussianNB), "probability", p1, p1, exact=False),
        Case("lda", _num(discriminant_analysis.LinearDiscriminantAnalysis), "probability", p1,
             p1, exact=False),
        Case("qda", _num(discriminant_analysis.QuadraticDiscriminantAnalysis, "y3"),
             "probability", proba(1), proba(1), class_name="b", exact=False),
        Case("mlp_classifier", _num(lambda: neural_network.MLPClassifier((8,), max_iter=300,
             random_state=0)), "probability", p1, p1, exact=False),
        Case("mlp_regressor", _num(lambda: neural_network.MLPRegressor(
             hidden_layer_sizes=(8,), max_iter=300, random_state=0), "yr"), "raw", predict,
             predict, exact=False),
        # ---- trees and ensembles
        Case("decision_tree", _num(lambda: tree.DecisionTreeClassifier(max_depth=4)),
             "probability", p1, p1),
        Case("decision_tree_regressor", _num(lambda: tree.DecisionTreeRegressor(max_depth=4),
             "yr"), "raw", predict, predict, fmt="skops"),
        Case("random_forest", _num(lambda: RF(30, max_depth=5, random_state=0)), "probability",
             p1, p1),
        Case("random_forest_regressor", _num(lambda: ensemble.RandomForestRegressor(
             20, max_depth=5, random_state=0), "yr"), "raw", predict, predict),
        Case("extra_trees_multiclass", _num(lambda: ensemble.ExtraTreesClassifier(
             20, max_depth=5, random_state=0), "y3"), "probability", proba(2), proba(2),
             class_name="c"),
        Case("gradient_boosting", _num(lambda: GB(n_estimators=30, random_state=0)),
             "log-odds", decision(1), p1),
        Case("gradient_boosting_multiclass", _num(lambda: GB(n_estimators=20, random_state=0),
             "y3"), "log-odds", decision(1), proba(1), class_name="b"),
        Case("gradient_boosting_regressor", _num(lambda: ensemble.GradientBoostingRegressor(
             n_estimators=30, random_state=0), "yr"), "raw", predict, predict),
        Case("hist_gradient_boosting", _num(lambda: ensemble.HistGradientBoostingClassifier(
             max_iter=30, random_state=0)), "log-odds", decision(1), p1),
        Case("hist_gradient_boosting_regressor", _num(
             lambda: ensemble.HistGradientBoostingRegressor(max_iter=30, random_state=0), "yr"),
             "raw", predict, predict),
        # shap's TreeExplainer does not read HistGradientBoosting's categorical splits
        Case("hist_gradient_boosting_categorical", _hgb_categorical, "probability", p1, p1,
             exact=False),
        Case("adaboost", _num(lambda: ensemble.AdaBoostClassifier(n_estimators=20,
             random_state=0)), "probability", p1, p1, exact=False),
        Case("bagging", _num(lambda: ensemble.BaggingClassifier(n_estimators=5,
             random_state=0)), "probability", p1, p1, exact=False),
        Case("stacking", _num(lambda: ensemble.StackingClassifier(
             [("rf", RF(10, random_state=0)), ("lr", LR())], cv=3)), "probability", p1, p1,
             exact=False),
        Case("voting_soft", _num(lambda: ensemble.VotingClassifier(
             [("rf", RF(10, random_state=0)), ("lr", LR())], voting="soft")), "probability", p1,
             p1, exact=False),
        Case("voting_regressor", _num(lambda: ensemble.VotingRegressor(
             [("rf", ensemble.RandomForestRegressor(10, random_state=0)),
              ("lr", linear_model.LinearRegression())]), "yr"), "raw", predict, predict,
             exact=False),
        Case("stacking_regressor", _num(lambda: ensemble.StackingRegressor(
             [("rf", ensemble.RandomForestRegressor(10, random_state=0)),
              ("ridge", linear_model.Ridge())], cv=3), "yr"), "raw", predict, predict,
             exact=False),
        Case("calibrated_linear_svc", _num(lambda: calibration.CalibratedClassifierCV(
             svm.LinearSVC(), cv=3)), "probability", p1, p1, exact=False),
        # ---- search objects: explained through best_estimator_
        Case("grid_search", _grid, "log-odds", decision(1), p1),
        Case("randomized_search", _randomized, "probability", p1, p1),
        Case("halving_grid_search", _halving, "probability", p1, p1),
        # ---- preprocessing steps in Pipelines, grouped back to the uploaded columns
        Case("pipe_onehot_logistic", _pipe(encoder(), LR()), "log-odds", decision(1), p1),
        Case("pipe_onehot_forest", _pipe(encoder(), RF(30, random_state=0)), "probability", p1,
             p1, fmt="pickle"),
        Case("pipe_ordinal_gb", _pipe(encoder(text=make_pipeline(
             impute.SimpleImputer(strategy="most_frequent"),
             preprocessing.OrdinalEncoder())), GB(n_estimators=20, random_state=0)),
             "log-odds", decision(1), p1),
        Case("pipe_indicator_minmax", _pipe(encoder(numbers=make_pipeline(
             impute.SimpleImputer(add_indicator=True), preprocessing.MinMaxScaler())), LR()),
             "log-odds", decision(1), p1),
        Case("pipe_robust_quantile", _pipe(encoder(numbers=make_pipeline(
             impute.SimpleImputer(), preprocessing.RobustScaler(),
             preprocessing.QuantileTransformer(n_quantiles=50))), LR()), "log-odds",
             decision(1), p1),
        Case("pipe_power_kbins", _pipe(encoder(numbers=make_pipeline(
             impute.SimpleImputer(), preprocessing.PowerTransformer(),
             preprocessing.KBinsDiscretizer(n_bins=4, quantile_method="averaged_inverted_cdf"))
             ), LR()), "log-odds", decision(1), p1),
        Case("pipe_target_encoder", _pipe(encoder(text=make_pipeline(
             impute.SimpleImputer(strategy="most_frequent"),
             preprocessing.TargetEncoder(random_state=0))), RF(20, random_state=0)),
             "probability", p1, p1),
        Case("pipe_spline_ridge", _pipe(encoder(numbers=make_pipeline(
             impute.SimpleImputer(), preprocessing.SplineTransformer(n_knots=4))),
             linear_model.Ridge(), target="amount"), "raw", predict, predict),
        Case("pipe_function_log", _pipe(encoder(numbers=make_pipeline(
             impute.SimpleImputer(), preprocessing.FunctionTransformer(np.log1p))),
             linear_model.Ridge(), target="amount"), "raw", predict, predict),
        Case("pipe_select_k_best", _pipe(encoder(), feature_selection.SelectKBest(k=4), LR()),
             "log-odds", decision(1), p1),
        Case("pipe_variance_threshold", _pipe(encoder(), feature_selection.VarianceThreshold(),
             linear_model.Ridge(), target="amount"), "raw", predict, predict),
        Case("pipe_polynomial", _pipe(encoder(numbers=make_pipeline(
             impute.SimpleImputer(), preprocessing.PolynomialFeatures(2))), LR()),
             "probability", p1, p1, exact=False),
        Case("pipe_pca", _pipe(encoder(), PCA(3), LR()), "probability", p1, p1, exact=False),
        Case("pipe_onehot_linear_svc", _pipe(encoder(), svm.LinearSVC()), "margin",
             decision(1), decision(1)),
        Case("transformed_target_missing_text", _transformed_target, "raw", predict, predict,
             exact=False),
        # ---- imbalanced-learn pipelines: samplers act only in fit and are skipped
        Case("imblearn_smote_logistic", _imb_smote, "log-odds", decision(1), p1),
        Case("imblearn_undersample_forest", _imb_under, "probability", p1, p1),
        # ---- xgboost
        Case("xgb_classifier", _num(lambda: xgboost.XGBClassifier(n_estimators=30,
             max_depth=3)), "log-odds", xgb_margin(), p1),
        Case("xgb_early_stopping", _xgb_early_stopping, "log-odds", xgb_margin(), p1),
        Case("xgb_multiclass", _num(lambda: xgboost.XGBClassifier(n_estimators=20,
             max_depth=3), "y3i"), "log-odds", xgb_margin(2), proba(2), class_name="2"),
        Case("xgb_regressor_large_target", _num(lambda: xgboost.XGBRegressor(n_estimators=100,
             max_depth=4), "ybig"), "raw", xgb_margin(), predict),
        Case("xgb_native_categorical_csv", _xgb_categorical, "log-odds", xgb_margin(), p1),
        Case("xgb_native_categorical_parquet", _xgb_categorical, "log-odds", xgb_margin(), p1,
             data_format="parquet"),
        Case("xgb_rf_classifier", _num(lambda: xgboost.XGBRFClassifier(n_estimators=20,
             max_depth=3)), "log-odds", xgb_margin(), p1),
        Case("xgb_booster_logistic", lambda: _xgb_train("binary:logistic", "y", False),
             "log-odds", xgb_booster_margin, xgb_booster_predict, fmt="pickle"),
        Case("xgb_booster_regression_early", lambda: _xgb_train("reg:squarederror", "yr",
             True), "raw", xgb_booster_margin, xgb_booster_predict),
        Case("xgb_booster_json", lambda: _xgb_train("binary:logistic", "y", True), "log-odds",
             xgb_booster_margin, xgb_booster_predict, fmt="xgboost-json"),
        Case("xgb_booster_ubj", lambda: _xgb_train("reg:squarederror", "yr", False), "raw",
             xgb_booster_margin, xgb_booster_predict, fmt="xgboost-ubj"),
        # ---- lightgbm
        Case("lgbm_classifier", _num(lambda: lightgbm.LGBMClassifier(n_estimators=30,
             num_leaves=8, verbose=-1)), "log-odds", lgb_raw(), p1),
        Case("lgbm_early_stopping", _lgb_early_stopping, "log-odds", lgb_raw(), p1),
        Case("lgbm_multiclass", _num(lambda: lightgbm.LGBMClassifier(n_estimators=20,
             num_leaves=8, verbose=-1), "y3"), "log-odds", lgb_raw(0), proba(0),
             class_name="a"),
        Case("lgbm_regressor_large_target", _num(lambda: lightgbm.LGBMRegressor(
             n_estimators=100, num_leaves=16, verbose=-1), "ybig"), "raw", lgb_raw(), predict),
        Case("lgbm_native_categorical_csv", _lgb_categorical, "log-odds", lgb_raw(), p1),
        Case("lgbm_booster_binary", lambda: _lgb_train("binary", "y"), "log-odds",
             lgb_booster(True), lgb_booster(False), fmt="pickle"),
        Case("lgbm_booster_regression_txt", lambda: _lgb_train("regression", "yr"), "raw",
             lgb_booster(True), lgb_booster(False), fmt="lightgbm-txt"),
        # ---- catboost
        Case("catboost_classifier", _num(lambda: catboost.CatBoostClassifier(iterations=40,
             depth=3, verbose=False, random_seed=0, allow_writing_files=False)), "log-odds",
             cat_raw(), p1),
        Case("catboost_text_categories", _catboost_text, "log-odds", cat_raw(), p1),
        Case("catboost_early_stopping", _cat_early_stopping, "raw", cat_raw(), predict),
        Case("catboost_cbm_text_categories", _catboost_text, "log-odds", cat_raw(), p1,
             fmt="catboost-cbm"),
        Case("catboost_multiclass", _num(lambda: catboost.CatBoostClassifier(iterations=30,
             depth=3, verbose=False, random_seed=0, allow_writing_files=False), "y3"),
             "log-odds", cat_raw(1), proba(1), class_name="b"),
    ]  # fmt: skip


CASES: dict[str, Case] = {case.name: case for case in _cases()}


@cache
def built(name: str) -> Built:
    """The fitted model and frame of a case (built once per session)."""
    return CASES[name].build()


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


__all__ = ["CASES", "Case", "Built", "built", "expit", "logit"]
