"""Ordinary models, made the way their users make them, for the loader's no-false-refusal tests.

Each factory fits one model on tiny synthetic data with a fixed seed and
returns it with the frame it predicts on. :data:`SERIALISERS` writes a model
the ways people save one: pickle protocols, joblib uncompressed and
compressed.
"""

from __future__ import annotations

import importlib.util
import io
import pickle
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import catboost
import joblib
import lightgbm
import numpy as np
import pandas as pd
import xgboost
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import make_classification
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.linear_model import (
    ElasticNet,
    GammaRegressor,
    HuberRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
    SGDClassifier,
    TweedieRegressor,
)
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.naive_bayes import BernoulliNB, GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    PowerTransformer,
    QuantileTransformer,
    SplineTransformer,
    StandardScaler,
    TargetEncoder,
)
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

N_ROWS = 160
NUMERIC = [f"x{j}" for j in range(4)]
HAS_IMBLEARN = importlib.util.find_spec("imblearn") is not None


def frame() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Four numeric columns (some missing), a text column, a binary and a numeric target."""
    X, y = make_classification(
        n_samples=N_ROWS, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    data = pd.DataFrame(X, columns=NUMERIC)
    data["region"] = np.array(["north", "south", "east"], dtype=object)[np.arange(N_ROWS) % 3]
    data.loc[::11, "x1"] = np.nan
    y_reg = X[:, 0] * 3 + X[:, 1] + 10
    return data, y, y_reg


def _numeric(data: pd.DataFrame) -> pd.DataFrame:
    return data[NUMERIC].fillna(0.0)


def _pre(scale: bool = True) -> ColumnTransformer:
    numeric = make_pipeline(SimpleImputer(), StandardScaler()) if scale else SimpleImputer()
    return ColumnTransformer(
        [("num", numeric, NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"])]
    )


def _categorical_frame(data: pd.DataFrame) -> pd.DataFrame:
    out = data.copy()
    out["region"] = out["region"].astype("category")
    return out


# Each entry: (fit function taking (data, y, y_reg) -> model, input-frame function).
Fit = Callable[[pd.DataFrame, np.ndarray, np.ndarray], Any]
Inputs = Callable[[pd.DataFrame], Any]


def _on_numeric(make: Callable[[], Any], *, regression: bool = False) -> tuple[Fit, Inputs]:
    def fit(data: pd.DataFrame, y: np.ndarray, y_reg: np.ndarray) -> Any:
        return make().fit(_numeric(data), y_reg if regression else y)

    return fit, _numeric


def _on_frame(make: Callable[[], Any], *, regression: bool = False) -> tuple[Fit, Inputs]:
    def fit(data: pd.DataFrame, y: np.ndarray, y_reg: np.ndarray) -> Any:
        return make().fit(data, y_reg if regression else y)

    return fit, lambda data: data


def _on_labels(make: Callable[[], Any], *, n_classes: int = 2) -> tuple[Fit, Inputs]:
    """Trained on text labels ("no" / "yes" or three names), as most business data is."""
    names = np.array(["no", "yes"] if n_classes == 2 else ["low", "medium", "high"])

    def fit(data: pd.DataFrame, y: np.ndarray, y_reg: np.ndarray) -> Any:
        labels = names[y] if n_classes == 2 else names[np.digitize(y_reg, [8.0, 11.0])]
        return make().fit(_numeric(data), labels)

    return fit, _numeric


def _hgb_from_dtype() -> tuple[Fit, Inputs]:
    def fit(data: pd.DataFrame, y: np.ndarray, y_reg: np.ndarray) -> Any:
        model = HistGradientBoostingClassifier(
            max_iter=5, categorical_features="from_dtype", random_state=0
        )
        return model.fit(_categorical_frame(data), y)

    return fit, _categorical_frame


def _raw_xgboost() -> tuple[Fit, Inputs]:
    def fit(data: pd.DataFrame, y: np.ndarray, y_reg: np.ndarray) -> Any:
        matrix = xgboost.DMatrix(_numeric(data), label=y)
        return xgboost.train({"objective": "binary:logistic", "max_depth": 2}, matrix, 5)

    return fit, lambda data: xgboost.DMatrix(_numeric(data))


def _raw_lightgbm() -> tuple[Fit, Inputs]:
    def fit(data: pd.DataFrame, y: np.ndarray, y_reg: np.ndarray) -> Any:
        dataset = lightgbm.Dataset(_numeric(data), label=y)
        params = {"objective": "binary", "verbose": -1, "num_leaves": 4}
        return lightgbm.train(params, dataset, num_boost_round=5)

    return fit, _numeric


def _imblearn_pipeline() -> tuple[Fit, Inputs]:
    def fit(data: pd.DataFrame, y: np.ndarray, y_reg: np.ndarray) -> Any:
        from imblearn.over_sampling import SMOTE
        from imblearn.pipeline import Pipeline as ImbPipeline

        model = ImbPipeline(
            [
                ("scale", StandardScaler()),
                ("smote", SMOTE(random_state=0)),
                ("clf", LogisticRegression()),
            ]
        )
        return model.fit(_numeric(data), y)

    return fit, _numeric


MODELS: dict[str, tuple[Fit, Inputs]] = {
    "logistic_text_labels": _on_labels(LogisticRegression),
    "random_forest_text_labels": _on_labels(
        lambda: RandomForestClassifier(n_estimators=3, random_state=0)
    ),
    "hist_gradient_boosting_multiclass": _on_labels(
        lambda: HistGradientBoostingClassifier(max_iter=3, random_state=0), n_classes=3
    ),
    "mlp_multiclass": _on_labels(
        lambda: MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0), n_classes=3
    ),
    "logistic_regression": _on_numeric(LogisticRegression),
    "linear_regression": _on_numeric(LinearRegression, regression=True),
    "ridge": _on_numeric(Ridge, regression=True),
    "lasso": _on_numeric(Lasso, regression=True),
    "elastic_net": _on_numeric(ElasticNet, regression=True),
    "sgd_classifier": _on_numeric(lambda: SGDClassifier(loss="log_loss", random_state=0)),
    "poisson": _on_numeric(PoissonRegressor, regression=True),
    "gamma": _on_numeric(GammaRegressor, regression=True),
    "tweedie": _on_numeric(lambda: TweedieRegressor(power=1.5), regression=True),
    "huber": _on_numeric(HuberRegressor, regression=True),
    "linear_svc": _on_numeric(LinearSVC),
    "svc_probability": _on_numeric(lambda: SVC(probability=True, random_state=0)),
    "svr": _on_numeric(SVR, regression=True),
    "knn_classifier": _on_numeric(KNeighborsClassifier),
    "knn_regressor_kd_tree": _on_numeric(
        lambda: KNeighborsRegressor(algorithm="kd_tree"), regression=True
    ),
    "knn_ball_tree": _on_numeric(lambda: KNeighborsClassifier(algorithm="ball_tree")),
    "gaussian_nb": _on_numeric(GaussianNB),
    "bernoulli_nb": _on_numeric(BernoulliNB),
    "lda": _on_numeric(LinearDiscriminantAnalysis),
    "qda": _on_numeric(QuadraticDiscriminantAnalysis),
    "decision_tree": _on_numeric(lambda: DecisionTreeClassifier(random_state=0)),
    "decision_tree_regressor": _on_numeric(
        lambda: DecisionTreeRegressor(max_depth=4, random_state=0), regression=True
    ),
    "random_forest": _on_numeric(lambda: RandomForestClassifier(n_estimators=5, random_state=0)),
    "random_forest_regressor": _on_numeric(
        lambda: RandomForestRegressor(n_estimators=5, random_state=0), regression=True
    ),
    "extra_trees": _on_numeric(lambda: ExtraTreesClassifier(n_estimators=5, random_state=0)),
    "gradient_boosting": _on_numeric(
        lambda: GradientBoostingClassifier(n_estimators=5, random_state=0)
    ),
    "gradient_boosting_regressor": _on_numeric(
        lambda: GradientBoostingRegressor(n_estimators=5, random_state=0), regression=True
    ),
    "hist_gradient_boosting": _on_numeric(
        lambda: HistGradientBoostingClassifier(max_iter=5, random_state=0)
    ),
    "hist_gradient_boosting_regressor": _on_numeric(
        lambda: HistGradientBoostingRegressor(max_iter=5, random_state=0), regression=True
    ),
    "hist_gradient_boosting_from_dtype": _hgb_from_dtype(),
    "adaboost": _on_numeric(lambda: AdaBoostClassifier(n_estimators=5, random_state=0)),
    "bagging": _on_numeric(lambda: BaggingClassifier(n_estimators=3, random_state=0)),
    "isolation_forest": _on_numeric(lambda: IsolationForest(n_estimators=5, random_state=0)),
    "kmeans": _on_numeric(lambda: KMeans(n_clusters=2, n_init=1, random_state=0)),
    "stacking": _on_numeric(
        lambda: StackingClassifier(
            [("lr", LogisticRegression()), ("dt", DecisionTreeClassifier(max_depth=2))], cv=2
        )
    ),
    "voting_soft": _on_numeric(
        lambda: VotingClassifier(
            [("lr", LogisticRegression()), ("nb", GaussianNB())], voting="soft"
        )
    ),
    "calibrated": _on_numeric(lambda: CalibratedClassifierCV(LogisticRegression(), cv=2)),
    "mlp_classifier": _on_numeric(
        lambda: MLPClassifier(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    ),
    "mlp_regressor_sgd": _on_numeric(
        lambda: MLPRegressor(hidden_layer_sizes=(6,), solver="sgd", max_iter=20, random_state=0),
        regression=True,
    ),
    "gaussian_process": _on_numeric(lambda: GaussianProcessClassifier(random_state=0)),
    "grid_search": _on_numeric(lambda: GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2)),
    "randomized_search": _on_numeric(
        lambda: RandomizedSearchCV(
            DecisionTreeClassifier(random_state=0),
            {"max_depth": [2, 3]},
            n_iter=2,
            cv=2,
            random_state=0,
        )
    ),
    "pipeline_logistic": _on_frame(
        lambda: Pipeline([("pre", _pre()), ("clf", LogisticRegression())])
    ),
    "pipeline_random_forest": _on_frame(
        lambda: Pipeline(
            [
                ("pre", _pre(scale=False)),
                ("clf", RandomForestClassifier(n_estimators=3, random_state=0)),
            ]
        )
    ),
    "pipeline_ordinal_hgb": _on_frame(
        lambda: make_pipeline(
            ColumnTransformer([("cat", OrdinalEncoder(), ["region"])], remainder="passthrough"),
            HistGradientBoostingClassifier(max_iter=5, random_state=0),
        )
    ),
    "pipeline_spline_poly": _on_numeric(
        lambda: make_pipeline(SplineTransformer(), PolynomialFeatures(2), Ridge()), regression=True
    ),
    "pipeline_power_quantile_kbins": _on_numeric(
        lambda: make_pipeline(
            PowerTransformer(),
            QuantileTransformer(n_quantiles=50),
            KBinsDiscretizer(n_bins=3, quantile_method="averaged_inverted_cdf"),
            LogisticRegression(),
        )
    ),
    "pipeline_function_transformer": _on_numeric(
        lambda: make_pipeline(
            FunctionTransformer(np.expm1, np.log1p, check_inverse=False), LogisticRegression()
        )
    ),
    "pipeline_knn_imputer": _on_frame(
        lambda: make_pipeline(
            ColumnTransformer([("num", KNNImputer(), NUMERIC)]), LogisticRegression()
        )
    ),
    "pipeline_target_encoder": _on_frame(
        lambda: make_pipeline(
            ColumnTransformer(
                [("cat", TargetEncoder(random_state=0), ["region"])], remainder=SimpleImputer()
            ),
            LogisticRegression(),
        )
    ),
    "transformed_target": _on_numeric(
        lambda: TransformedTargetRegressor(Ridge(), func=np.log, inverse_func=np.exp),
        regression=True,
    ),
    "xgboost_classifier": _on_numeric(
        lambda: xgboost.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1)
    ),
    "xgboost_regressor": _on_numeric(
        lambda: xgboost.XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1), regression=True
    ),
    "xgboost_booster": _raw_xgboost(),
    "lightgbm_classifier": _on_numeric(
        lambda: lightgbm.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1)
    ),
    "lightgbm_regressor": _on_numeric(
        lambda: lightgbm.LGBMRegressor(n_estimators=5, verbose=-1, n_jobs=1), regression=True
    ),
    "lightgbm_booster": _raw_lightgbm(),
    "pipeline_lightgbm": _on_frame(
        lambda: Pipeline(
            [("pre", _pre()), ("clf", lightgbm.LGBMClassifier(n_estimators=5, verbose=-1))]
        )
    ),
    "catboost_classifier": _on_numeric(
        lambda: catboost.CatBoostClassifier(iterations=5, depth=2, verbose=0, thread_count=1)
    ),
    "catboost_regressor": _on_numeric(
        lambda: catboost.CatBoostRegressor(iterations=5, depth=2, verbose=0, thread_count=1),
        regression=True,
    ),
}
if HAS_IMBLEARN:
    MODELS["imblearn_smote_pipeline"] = _imblearn_pipeline()


def fit_all() -> dict[str, tuple[Any, Any]]:
    """Every model of :data:`MODELS`, fitted, with the input it predicts on."""
    data, y, y_reg = frame()
    fitted = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings from tiny fits
        for name, (fit, inputs) in MODELS.items():
            fitted[name] = (fit(data, y, y_reg), inputs(data))
    return fitted


def predictions(model: Any, X: Any) -> np.ndarray:
    """The model's own public output: probabilities where it has them, else predictions."""
    for method in ("predict_proba", "decision_function", "predict"):
        if hasattr(model, method):
            try:
                return np.asarray(getattr(model, method)(X))
            except (AttributeError, NotImplementedError):
                continue
    raise AssertionError(f"{type(model).__name__} predicts nothing")


def _pickle(obj: object, protocol: int) -> bytes:
    return pickle.dumps(obj, protocol=protocol)


def _joblib(obj: object, compress: str | None) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=(compress, 3) if compress else 0)
    return buffer.getvalue()


SERIALISERS: dict[str, Callable[[object], bytes]] = {
    "pickle-0": partial(_pickle, protocol=0),
    "pickle-2": partial(_pickle, protocol=2),
    "pickle-4": partial(_pickle, protocol=4),
    "pickle-5": partial(_pickle, protocol=5),
    "joblib": partial(_joblib, compress=None),
    "joblib-zlib": partial(_joblib, compress="zlib"),
    "joblib-gzip": partial(_joblib, compress="gzip"),
    "joblib-bz2": partial(_joblib, compress="bz2"),
    "joblib-lzma": partial(_joblib, compress="lzma"),
    "joblib-xz": partial(_joblib, compress="xz"),
}
