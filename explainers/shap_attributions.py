"""SHAP attributions in a stated output space, grouped back to uploaded columns.

The method is chosen from the model, and recorded on the result:

- xgboost / lightgbm: the libraries' own exact TreeSHAP contributions
  (``pred_contribs`` / ``pred_contrib``), multi-threaded;
- scikit-learn tree ensembles: whybox's own exact path-dependent TreeSHAP
  (``explainers.tree_engine``: the values shap's ``TreeExplainer`` gives,
  3-6x faster per core, on every core, without importing shap);
- other tree ensembles shap supports: ``shap.TreeExplainer`` (exact);
- linear models: the exact closed form ``coef * (x - mean(background))``;
- anything else: permutation SHAP on the uploaded columns with a stated
  background sample (values estimated; additivity still exact). It is
  shap's ``PermutationExplainer`` algorithm (antithetic forward/backward
  passes over ``max_evals // (2 * n_features + 1)`` random orderings) in plain
  numpy, with each row's orderings drawn from its own seed
  ``(random_state, row position)``: any split of the rows into chunks gives
  exactly the serial result, and no numba compilation is needed per process.

``plan_shap`` makes every decision that depends on the whole dataset (method,
background sample, one-hot grouping) once; ``explain_planned`` then explains
any subset of rows with that plan, which is how chunks, Dask partitions and
single rows all match the whole-table result.

Tree and linear methods explain the final estimator of a Pipeline on its
transformed columns and sum the result back per uploaded column
(``feature_groups.group_matrix``).

The output space is not assumed from the model's type: ``plan_shap`` explains
a few rows with the exact method and finds which of the model's own public
outputs the result adds up to (:mod:`explainers.model_output`): the
probability, the log-odds (sigmoid / softmax of the sum is ``predict_proba``),
a classifier's decision score (``decision_function`` of a classifier without
probabilities), the prediction, or its logarithm (GLMs and boosters with a log
link). An exact method that adds up to none of them (a one-vs-one SVM's
decision values, a boosting loss whose link whybox does not know) is replaced by
the model-agnostic method on the model's own predictions. Every explained row
is then checked against that public output (:func:`check_additivity`).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.booster_trees import engine_contributions
from explainers.boosters import LightGBMBooster, XGBoostBooster
from explainers.encoding import ColumnCodec
from explainers.errors import AttributionError, UnsupportedModelError
from explainers.feature_groups import group_matrix, to_dense
from explainers.limits import REFERENCE_ROWS
from explainers.model_bundle import ModelBundle
from explainers.model_output import matching_space, own_output, tolerance
from explainers.results import Attribution, OutputSpace
from explainers.tree_engine import PreparedTrees, prepare, shap_values
from explainers.tree_models import tree_arrays

if TYPE_CHECKING:
    import shap

ADDITIVITY_FAILED = (
    "The {method} explanation does not add up to the model's own output "
    "(largest gap {gap:.3g} in {space} units)."
)
DEFAULT_BACKGROUND = 100
"""Reference rows linear and model-agnostic SHAP are explained against (a seeded sample)."""
GLOBAL_MAX_ROWS = 2_000
"""Rows a dataset's SHAP plan is made on and the global view explains (a seeded sample)."""
PROBE_ROWS = 8
"""Rows the exact method explains at planning time to find its output space."""
SHAP_CANNOT_READ = "shap cannot read these trees."

FloatArray = npt.NDArray[np.float64]
Kind = Literal["native", "tree", "linear", "agnostic"]

# one TreeExplainer / engine table per fitted estimator and process: building it walks every tree
_TREE_EXPLAINERS: weakref.WeakKeyDictionary[Any, shap.TreeExplainer] = weakref.WeakKeyDictionary()
_ENGINE_TREES: weakref.WeakKeyDictionary[Any, PreparedTrees | None] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True, eq=False)
class ShapPlan:
    """Every choice ``explain_shap`` makes from the whole dataset, reusable on any rows.

    Parameters
    ----------
    kind : {"native", "tree", "linear", "agnostic"}
        The SHAP method family.
    output : int
        The model output (class) explained.
    reference : DataFrame of shape (n_background, n_features)
        Background rows for the linear and model-agnostic methods.
    grouping : array of shape (n_transformed, n_features) or None
        Sums a Pipeline's transformed-column attributions per uploaded column.
    random_state : int
        Seed of the background sample and of every row's permutations.
    space : {"probability", "log-odds", "margin", "raw", "log"}
        The output space, found by :func:`plan_shap` from the model's own outputs.
    """

    kind: Kind
    output: int
    reference: pd.DataFrame
    grouping: FloatArray | None
    random_state: int
    space: OutputSpace


@dataclass(frozen=True, slots=True)
class _RawAttribution:
    values: FloatArray  # (n_rows, n_inputs, n_outputs) in the estimator's input space
    base_values: FloatArray  # (n_rows, n_outputs)
    method: str
    exact: bool
    background_size: int | None = None
    n_terms: int | None = None  # float32 sums per value (trees), for the rounding bound


def explain_shap(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    output: int | None = None,
    background: pd.DataFrame | None = None,
    n_background: int = DEFAULT_BACKGROUND,
    random_state: int = 0,
) -> Attribution:
    """Explain every row of ``X`` with SHAP for one model output.

    Parameters
    ----------
    bundle : ModelBundle
        The model.
    X : DataFrame of shape (n_rows, n_features)
        Rows to explain, columns in ``bundle.feature_names`` order.
    output : int, optional
        Which output (class) to explain; defaults to ``bundle.default_output``.
    background : DataFrame, optional
        Reference rows for linear and model-agnostic methods; defaults to a
        random sample of ``X``.
    n_background : int
        Background rows sampled when ``background`` is not given.
    random_state : int
        Seed for background sampling and permutations.

    Returns
    -------
    Attribution
        With values of shape (n_rows, n_features) summing exactly to the
        model output in ``output_space``.

    Raises
    ------
    AttributionError
        If base + sum(values) differs from the model output by more than 1e-6
        relative.
    """
    plan = plan_shap(
        bundle,
        X,
        output=output,
        background=background,
        n_background=n_background,
        random_state=random_state,
    )
    return explain_planned(bundle, plan, X)


def plan_shap(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    output: int | None = None,
    background: pd.DataFrame | None = None,
    n_background: int = DEFAULT_BACKGROUND,
    random_state: int = 0,
) -> ShapPlan:
    """Decide the method, background and column grouping from the whole dataset.

    Parameters are those of :func:`explain_shap`.

    Returns
    -------
    ShapPlan
        Pass it to :func:`explain_planned` with any subset of ``X``'s rows.
    """
    k = bundle.default_output if output is None else output
    reference = (
        background
        if background is not None
        else background_sample(X, n_background=n_background, random_state=random_state)
    )
    preprocessor, estimator = _split_pipeline(bundle.model)
    kind = _estimator_kind(estimator)
    grouping = None
    if kind != "agnostic" and preprocessor is not None:
        try:
            grouping = group_matrix(preprocessor, X, random_state=random_state)
        except UnsupportedModelError:
            kind = "agnostic"
    space: OutputSpace | None = None
    if kind != "agnostic":
        probe = X.iloc[:PROBE_ROWS]
        try:
            raw = _explain_exact(bundle, kind, probe, reference)
        except Exception:  # shap refuses many models (AdaBoost, multiclass GB): go agnostic
            raw = None
        space = (
            None
            if raw is None
            else matching_space(bundle, probe, raw.values, raw.base_values, n_terms=raw.n_terms)
        )
        if space is None:
            kind, grouping = "agnostic", None
    if space is None:
        space = agnostic_space(bundle)
    return ShapPlan(kind, k, reference, grouping, random_state, space)


def agnostic_space(bundle: ModelBundle) -> OutputSpace:
    """The space of the model-agnostic methods: the model's own predictions."""
    if bundle.output_kind == "value":
        return "raw"
    return "margin" if bundle.output_kind == "margin" else "probability"


def uses_own_threads(bundle: ModelBundle, plan: ShapPlan | None = None) -> bool:
    """Whether this model's SHAP values come from code that uses every core by itself.

    True for whybox's tree engine (scikit-learn ensembles), xgboost's and
    lightgbm's native contributions and the linear closed form: worker
    processes would add only their start-up (seconds) and a copy of the
    model. False where shap's single-threaded C code or the model-agnostic
    method runs. Without a plan, judged from the model alone.
    """
    _, estimator = _split_pipeline(bundle.model)
    kind = _estimator_kind(estimator) if plan is None else plan.kind
    if kind in ("native", "linear"):
        return True
    return kind == "tree" and _engine_trees(estimator) is not None


def explain_planned(
    bundle: ModelBundle,
    plan: ShapPlan,
    X: pd.DataFrame,
    *,
    row_positions: npt.ArrayLike | None = None,
) -> Attribution:
    """Explain rows of ``X`` with a plan made by :func:`plan_shap`.

    Parameters
    ----------
    bundle : ModelBundle
        The model the plan was made for.
    plan : ShapPlan
        Method, background and grouping.
    X : DataFrame of shape (n_rows, n_features)
        Rows to explain.
    row_positions : array of shape (n_rows,), optional
        Position of each row of ``X`` in the table the plan was made for
        (default ``0 .. n_rows - 1``); it seeds the row's permutations, so any
        chunking gives the serial result.

    Returns
    -------
    Attribution
        As :func:`explain_shap`.

    Raises
    ------
    AttributionError
        If an explanation does not add up to the model output.
    """
    positions = np.arange(len(X)) if row_positions is None else np.asarray(row_positions)
    raw = _explain_raw(bundle, plan, X, positions=positions)
    space = plan.space
    values, base = _select_output(bundle, raw.values, raw.base_values, plan.output)
    model_output = output_column(bundle, own_output(bundle, X, space), plan.output)
    check_additivity(
        values, base, model_output, method=raw.method, space=space, n_terms=raw.n_terms
    )
    return Attribution(
        values=values,
        base_values=base,
        data=X.to_numpy(dtype=object),
        feature_names=tuple(str(c) for c in X.columns),
        row_ids=tuple(X.index),
        method=raw.method,
        exact=raw.exact,
        output_space=space,
        output_label=output_label(bundle, plan.output, space),
        background_size=raw.background_size,
    )


def background_sample(
    X: pd.DataFrame, *, n_background: int = DEFAULT_BACKGROUND, random_state: int = 0
) -> pd.DataFrame:
    """The stated background: ``n_background`` rows at random of the first ``REFERENCE_ROWS``.

    Every view (dashboard, reports, ``whybox explain`` on either engine) explains
    against it, so a row's explanation never depends on which rows are explained
    with it.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        The whole dataset (rows past ``REFERENCE_ROWS`` are not drawn).
    n_background : int
    random_state : int
        Seed of the draw (``DataFrame.sample``).

    Returns
    -------
    DataFrame of shape (min(n_background, n_rows), n_features)
    """
    head = X.iloc[:REFERENCE_ROWS]
    if len(head) <= n_background:
        return head
    return head.sample(n=n_background, random_state=random_state)


def global_sample(X: pd.DataFrame) -> pd.DataFrame:
    """All of ``X``, or a random sample of :data:`GLOBAL_MAX_ROWS` rows (seed 0) in table order."""
    if len(X) <= GLOBAL_MAX_ROWS:
        return X
    return X.sample(n=GLOBAL_MAX_ROWS, random_state=0).sort_index()


def _split_pipeline(model: Any) -> tuple[Any | None, Any]:
    """(preprocessor or None, final estimator)."""
    from sklearn.pipeline import Pipeline  # here: the server and the CLI import this module

    if isinstance(model, Pipeline) and len(model.steps) > 1:
        return model[:-1], model.steps[-1][1]
    if isinstance(model, Pipeline):
        return None, model.steps[-1][1]
    return None, model


def _explain_raw(
    bundle: ModelBundle, plan: ShapPlan, X: pd.DataFrame, *, positions: npt.NDArray[np.int_]
) -> _RawAttribution:
    if plan.kind == "agnostic":
        return _agnostic(bundle, X, plan, positions=positions)
    raw = _explain_exact(bundle, plan.kind, X, plan.reference)
    if plan.grouping is None:
        return raw
    values = np.einsum("rto,tf->rfo", raw.values, plan.grouping)
    return _RawAttribution(
        values=values,
        base_values=raw.base_values,
        method=raw.method,
        exact=raw.exact,
        background_size=raw.background_size,
        n_terms=raw.n_terms,
    )


def _explain_exact(
    bundle: ModelBundle, kind: Kind, X: pd.DataFrame, reference: pd.DataFrame
) -> _RawAttribution:
    """The tree, native or linear method on the estimator's own input (before grouping)."""
    preprocessor, estimator = _split_pipeline(bundle.model)

    def transform(frame: pd.DataFrame) -> Any:
        if preprocessor is None:
            return bundle.model_input(frame)
        return preprocessor.transform(frame)

    Z = transform(X)
    if kind == "linear":
        return _linear(estimator, to_dense(Z), to_dense(transform(reference)))
    tree = _tree(estimator, Z)
    if tree is None:
        raise UnsupportedModelError(SHAP_CANNOT_READ)
    return tree


def _estimator_kind(estimator: Any) -> Kind:
    """The method family to try; :func:`plan_shap` checks it against the model's output."""
    module = type(estimator).__module__
    if module.startswith(("xgboost", "lightgbm")) or isinstance(
        estimator, XGBoostBooster | LightGBMBooster
    ):
        return "native"
    if hasattr(estimator, "coef_") and hasattr(estimator, "intercept_"):
        if module.startswith(("sklearn.linear_model", "sklearn.svm")):
            return "linear"
    if module.startswith(("sklearn.ensemble", "sklearn.tree", "catboost")):
        return "tree"
    return "agnostic"


def _tree(estimator: Any, Z: Any) -> _RawAttribution | None:
    """TreeSHAP (the engine, xgboost's or lightgbm's own, or shap); None if none reads it."""
    if isinstance(estimator, XGBoostBooster) or type(estimator).__module__.startswith("xgboost"):
        return _xgboost(estimator, Z)
    if isinstance(estimator, LightGBMBooster) or type(estimator).__module__.startswith("lightgbm"):
        return _lightgbm(estimator, Z)
    dense = Z if isinstance(Z, pd.DataFrame) else to_dense(Z)
    engine = _engine_trees(estimator)
    if engine is not None:
        values, expected = shap_values(engine, np.asarray(dense, np.float64))
    else:
        from shap.utils._exceptions import InvalidModelError

        try:
            explainer = _tree_explainer(estimator)
        except InvalidModelError:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.asarray(explainer.shap_values(dense, check_additivity=False), np.float64)
        values = values if values.ndim == 3 else values[:, :, None]
        expected = np.atleast_1d(explainer.expected_value)
    n = values.shape[0]
    base = np.broadcast_to(expected, (n, values.shape[2]))
    return _RawAttribution(values, np.array(base, np.float64), "TreeSHAP", True)


def _engine_trees(estimator: Any) -> PreparedTrees | None:
    """The engine's tables for a scikit-learn ensemble, or None to use shap."""
    try:
        return _ENGINE_TREES[estimator]
    except (KeyError, TypeError):
        arrays = tree_arrays(estimator)
        prepared = None if arrays is None else prepare(arrays)
    try:
        _ENGINE_TREES[estimator] = prepared
    except TypeError:
        pass
    return prepared


def _tree_explainer(estimator: Any) -> shap.TreeExplainer:
    try:
        return _TREE_EXPLAINERS[estimator]
    except (KeyError, TypeError):
        import shap

        explainer = shap.TreeExplainer(estimator)
    try:
        _TREE_EXPLAINERS[estimator] = explainer
    except TypeError:  # an estimator that cannot be weakly referenced is not cached
        pass
    return explainer


def _xgboost(estimator: Any, Z: Any) -> _RawAttribution:
    """xgboost's own contributions over the rounds its predictions use (its best iteration)."""
    data = Z if isinstance(Z, pd.DataFrame) else to_dense(Z)
    native: Callable[[Any], FloatArray]
    if isinstance(estimator, XGBoostBooster):
        native = estimator.contributions
        rounds = estimator.iteration_range[1] or estimator.n_rounds
        booster = estimator.booster
    else:
        import xgboost

        booster = estimator.get_booster()
        best = getattr(estimator, "best_iteration", None)
        iteration_range = (0, 0) if best is None else (0, int(best) + 1)

        def native(rows: Any) -> FloatArray:
            matrix = xgboost.DMatrix(rows, enable_categorical=True)
            return np.asarray(
                booster.predict(matrix, pred_contribs=True, iteration_range=iteration_range),
                np.float64,
            )

        rounds = iteration_range[1] or booster.num_boosted_rounds()
    engine = engine_contributions(estimator, booster, data, native, n_rounds=rounds)
    contribs = native(data) if engine is None else engine
    contribs = contribs[:, None, :] if contribs.ndim == 2 else contribs  # (n, k, f+1)
    values = np.transpose(contribs[:, :, :-1], (0, 2, 1))
    base = contribs[:, :, -1]
    n_terms = rounds * _parallel_trees(booster) + values.shape[1] + 1
    method = "xgboost native TreeSHAP" if engine is None else "TreeSHAP"
    return _RawAttribution(values, base, method, True, n_terms=n_terms)


def _parallel_trees(booster: Any) -> int:
    """Trees per round and output (random forests in xgboost grow several)."""
    import json

    config = json.loads(booster.save_config())
    train = config["learner"].get("gradient_booster", {}).get("gbtree_model_param", {})
    return max(1, int(train.get("num_parallel_tree", 1) or 1))


def _lightgbm(estimator: Any, Z: Any) -> _RawAttribution:
    """lightgbm's own contributions (its predictions' best iteration is its default)."""
    data = Z if isinstance(Z, pd.DataFrame) else to_dense(Z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        native: Callable[[Any], FloatArray]
        if isinstance(estimator, LightGBMBooster):
            native = estimator.contributions
            booster = estimator.booster
        else:

            def native(rows: Any) -> FloatArray:
                return np.asarray(estimator.predict(rows, pred_contrib=True), np.float64)

            booster = estimator.booster_
        engine = engine_contributions(estimator, booster, data, native)
        contribs = native(data) if engine is None else engine
    n_outputs = max(1, int(booster.num_model_per_iteration()))
    n = contribs.shape[0]
    contribs = contribs.reshape(n, n_outputs, -1)
    values = np.transpose(contribs[:, :, :-1], (0, 2, 1))
    base = contribs[:, :, -1]
    rounds = int(booster.best_iteration) or int(booster.current_iteration())
    n_terms = rounds + values.shape[1] + 1
    method = "lightgbm native TreeSHAP" if engine is None else "TreeSHAP"
    return _RawAttribution(values, base, method, True, n_terms=n_terms)


def _linear(estimator: Any, Z: FloatArray, reference: FloatArray) -> _RawAttribution:
    coef = np.atleast_2d(np.asarray(estimator.coef_, np.float64))  # (n_outputs, n_t)
    intercept = np.atleast_1d(np.asarray(estimator.intercept_, np.float64))
    mean = reference.mean(axis=0)
    values = (Z - mean)[:, :, None] * coef.T[None, :, :]
    base = np.broadcast_to(mean @ coef.T + intercept, (len(Z), coef.shape[0]))
    return _RawAttribution(values, np.array(base), "exact linear SHAP", True, len(reference))


def _agnostic(
    bundle: ModelBundle, X: pd.DataFrame, plan: ShapPlan, *, positions: npt.NDArray[np.int_]
) -> _RawAttribution:
    reference = plan.reference
    codec = ColumnCodec.fit(pd.concat([reference, X]))
    n_features = X.shape[1]
    n_outputs = len(bundle.output_labels)
    n_permutations = max(1, max(2 * n_features + 1, 10 * n_features) // (2 * n_features + 1))
    background = codec.encode(reference)
    codes = codec.encode(X)
    values = np.zeros((len(X), n_features, n_outputs))
    base = np.zeros((len(X), n_outputs))
    for i, row in enumerate(codes):
        rng = np.random.default_rng([plan.random_state, int(positions[i])])
        masks = _permutation_masks(rng, n_features, n_permutations)
        masked = np.where(masks[:, None, :], row, background[None, :, :])
        flat = masked.reshape(-1, n_features)
        outputs = (
            bundle.predict_output(codec.decode(flat))
            .reshape(len(masks), len(background), n_outputs)
            .mean(axis=1)
        )
        values[i], base[i] = _permutation_values(masks, outputs, n_permutations)
    return _RawAttribution(values, base, "PermutationSHAP (estimated)", False, len(reference))


def _permutation_masks(
    rng: np.random.Generator, n_features: int, n_permutations: int
) -> npt.NDArray[np.bool_]:
    """Masks of shape (n_permutations * (2 * n_features + 1), n_features).

    Per permutation: from no feature known, add features one at a time in a
    random order, then remove them in the same order (shap's antithetic pass).
    """
    steps = 2 * n_features + 1
    masks = np.zeros((n_permutations * steps, n_features), dtype=bool)
    for p in range(n_permutations):
        order = rng.permutation(n_features)
        block = masks[p * steps : (p + 1) * steps]
        for s, j in enumerate(order, start=1):
            block[s:, j] = True
        for s, j in enumerate(order, start=n_features + 1):
            block[s:, j] = False
    return masks


def _permutation_values(
    masks: npt.NDArray[np.bool_], outputs: FloatArray, n_permutations: int
) -> tuple[FloatArray, FloatArray]:
    """Average each feature's output change when it is added or removed."""
    # one feature changes per step (none between permutations, which all start empty)
    changed = masks[1:] != masks[:-1]
    deltas = np.diff(outputs, axis=0)
    weights = changed * np.where(masks[1:], 1.0, -1.0)  # added: +change, removed: -change
    values = weights.T @ deltas / (2 * n_permutations)
    return values, outputs[0]


def _select_output(
    bundle: ModelBundle, values: FloatArray, base: FloatArray, k: int
) -> tuple[FloatArray, FloatArray]:
    """Values (n_rows, n_inputs) and base (n_rows,) of output ``k`` of the bundle."""
    if values.shape[2] == 1 and bundle.task == "binary" and k == 0:
        return -values[:, :, 0], output_column(bundle, base, k)
    index = 0 if values.shape[2] == 1 else k
    return values[:, :, index], output_column(bundle, base, k)


def output_column(bundle: ModelBundle, out: FloatArray, k: int) -> FloatArray:
    """Column ``k`` of outputs of shape (n_rows, n_raw) (a binary margin: class 1's).

    Raises
    ------
    UnsupportedModelError
        If the number of columns matches neither the model's outputs nor a binary margin.
    """
    n_raw = out.shape[1]
    if n_raw == len(bundle.output_labels):
        column: FloatArray = out[:, k]
        return column
    if n_raw == 1 and bundle.task == "binary":
        # a single log-odds margin explains the positive class; class 0 is its negation
        return out[:, 0] if k == 1 else -out[:, 0]
    raise UnsupportedModelError(
        f"The explainer returned {n_raw} outputs for a model with "
        f"{len(bundle.output_labels)}; whybox cannot tell them apart."
    )


def check_additivity(
    values: FloatArray,
    base: FloatArray,
    output: FloatArray,
    *,
    method: str,
    space: str,
    n_terms: int | None = None,
) -> None:
    """Raise unless base + sum(values) equals the model's own ``output`` on every row.

    The tolerance is :func:`explainers.model_output.tolerance`: 1e-6 relative for
    float64 computations, and the float32 rounding bound over ``n_terms`` summed
    terms for the libraries that compute in float32 (xgboost, lightgbm).

    Raises
    ------
    AttributionError
        With the largest gap, in the output space's units.
    """
    gap = np.abs(base + values.sum(axis=1) - output)
    if np.any(gap > tolerance(values, base, output, n_terms=n_terms)):
        raise AttributionError(
            ADDITIVITY_FAILED.format(method=method, gap=float(gap.max()), space=space)
        )


def output_label(bundle: ModelBundle, k: int, space: OutputSpace) -> str:
    """What an output is, in words: "log-odds of good", "log of the predicted value"…"""
    if space == "log":
        return "log of the predicted value"
    if bundle.task == "regression":
        return "predicted value"
    label = bundle.output_labels[k]
    return {
        "log-odds": f"log-odds of {label}",
        "margin": f"decision score of {label}",
    }.get(space, f"probability of {label}")
