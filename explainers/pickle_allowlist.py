"""The exact names a model file may import when whybox loads it.

A pickle names every class and function it needs as ``module.name`` and the
unpickler imports and calls them. whybox resolves only the names listed here,
compared as whole strings: there are no module-prefix wildcards, because
``numpy.*`` or ``builtins.*`` would admit ``numpy.testing._private.utils.runstring``
or ``builtins.eval``.

Two sources make up the list:

* every public scikit-learn estimator class of the installed version, from
  :func:`sklearn.utils.all_estimators` (``module.qualname`` of each class; the
  list is kept in :mod:`explainers.trusted_cache`, as listing imports all of
  scikit-learn);
* :data:`EXTRA_GLOBALS`, written out by hand. It was found by pickling fitted
  models (every estimator ``all_estimators`` can fit with default settings,
  pipelines with ``ColumnTransformer``, ``OneHotEncoder``, ``SimpleImputer`` and
  ``StandardScaler``, xgboost and lightgbm models) with protocols 0 to 5, joblib
  and skops, and listing the globals each file needed. Every entry is a class
  or a function that is harmless whatever arguments a hostile file passes it.

Never add anything that imports, evaluates, runs, opens or looks names up by
string: ``builtins.getattr``, ``eval``, ``exec``, ``__import__``, ``type``,
``os.*``, ``subprocess.*``, ``importlib.*``, ``runpy.*``, ``functools.partial``,
``operator.*``, ``pickle.*``, ``numpy._core._ufunc_reconstruct``, pyarrow buffer
reconstructors, or joblib's pre-0.10 ``NDArrayWrapper`` (which reads files).
A name on this list is not yet a licence to call it: :mod:`explainers.pickle_forms`
says in which exact forms a file may call, create or fill each one, and
:data:`FORM_ONLY_GLOBALS` (such as ``functools.partial``) are allowed in one
form only.

imbalanced-learn's classes join the list when it is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from functools import cache

JOBLIB_ARRAY_WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper"
"""joblib's placeholder for a numpy array whose bytes follow it in the file."""

_PYTHON = frozenset(
    {
        # Reconstructors pickle itself emits (protocols 0-2 and sets, bytes, slices).
        "copyreg._reconstructor",
        "_codecs.encode",
        "collections.OrderedDict",
        "collections.defaultdict",
        # Plain value types; they appear as constructors in old protocols, as
        # parameters such as ``dtype=float``, and as skops node types.
        "builtins.bool",
        "builtins.bytearray",
        "builtins.bytes",
        "builtins.complex",
        "builtins.dict",
        "builtins.float",
        "builtins.frozenset",
        "builtins.int",
        "builtins.list",
        "builtins.object",
        "builtins.set",
        "builtins.slice",
        "builtins.str",
        "builtins.tuple",
        JOBLIB_ARRAY_WRAPPER,
    }
)

_NUMPY = frozenset(
    {
        "numpy.ndarray",
        "numpy.dtype",
        "numpy._core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
        "numpy._core.numeric._frombuffer",
        # The same reconstructors as named in files saved with numpy 1.x.
        "numpy.core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        # Scalar types (estimator parameters such as ``dtype=np.float64``).
        "numpy.bool",
        "numpy.bool_",
        "numpy.int8",
        "numpy.int16",
        "numpy.int32",
        "numpy.int64",
        "numpy.uint8",
        "numpy.uint16",
        "numpy.uint32",
        "numpy.uint64",
        "numpy.float16",
        "numpy.float32",
        "numpy.float64",
        "numpy.longdouble",
        "numpy.complex64",
        "numpy.complex128",
        "numpy.object_",
        "numpy.str_",
        "numpy.bytes_",
        # Random state held by fitted estimators.
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random.mtrand.RandomState",
        "numpy.random._generator.Generator",
        "numpy.random.bit_generator.SeedSequence",
        "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
        "numpy.random._mt19937.MT19937",
        "numpy.random._pcg64.PCG64",
        "numpy.random._pcg64.PCG64DXSM",
        "numpy.random._philox.Philox",
        "numpy.random._sfc64.SFC64",
        # Functions stored as parameters: FeatureAgglomeration's pooling_func and
        # the usual FunctionTransformer / TransformedTargetRegressor transforms.
        "numpy.mean",
        "numpy.log",
        "numpy.log1p",
        "numpy.exp",
        "numpy.expm1",
    }
)

_SCIPY = frozenset(
    {
        "scipy.sparse._csr.csr_matrix",
        "scipy.sparse._csr.csr_array",
        "scipy.sparse._csc.csc_matrix",
        "scipy.sparse._csc.csc_array",
        "scipy.sparse._coo.coo_matrix",
        "scipy.sparse._coo.coo_array",
        # SplineTransformer.
        "scipy.interpolate._bsplines.BSpline",
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
    }
)

# numpy-backed pandas objects; pyarrow-backed strings need pyarrow buffer
# reconstructors, which are deliberately not listed.
_PANDAS = frozenset(
    {
        "pandas.DataFrame",
        "pandas.Series",
        "pandas.Index",
        "pandas.RangeIndex",
        "pandas.DatetimeIndex",
        "pandas.Categorical",
        "pandas.CategoricalDtype",
        "pandas.StringDtype",
        "pandas.NA",
        "pandas.arrays.StringArray",
        "pandas.arrays.DatetimeArray",
        "pandas.core.indexes.base._new_Index",
        "pandas.core.indexes.datetimes._new_DatetimeIndex",
        "pandas.core.internals.managers.BlockManager",
        "pandas.core.internals.managers.SingleBlockManager",
        "pandas._libs.internals._unpickle_block",
        "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked",
    }
)

# Private scikit-learn state that all_estimators() does not list.
_SKLEARN_INTERNALS = frozenset(
    {
        "sklearn.tree._tree.Tree",
        # Experimental searches: all_estimators() lists them only once enabled in that process.
        "sklearn.model_selection._search_successive_halving.HalvingGridSearchCV",
        "sklearn.model_selection._search_successive_halving.HalvingRandomSearchCV",
        "sklearn.utils._bunch.Bunch",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.calibration._TemperatureScaling",
        "sklearn.cluster._birch._CFNode",
        "sklearn.cluster._birch._CFSubcluster",
        "sklearn.cluster._bisect_k_means._BisectingTree",
        "sklearn.cluster._kmeans._kmeans_single_lloyd",
        "sklearn.cluster._kmeans._kmeans_single_elkan",
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        "sklearn.gaussian_process.kernels.CompoundKernel",
        "sklearn.gaussian_process.kernels.ConstantKernel",
        "sklearn.gaussian_process.kernels.DotProduct",
        "sklearn.gaussian_process.kernels.ExpSineSquared",
        "sklearn.gaussian_process.kernels.Exponentiation",
        "sklearn.gaussian_process.kernels.Matern",
        "sklearn.gaussian_process.kernels.PairwiseKernel",
        "sklearn.gaussian_process.kernels.Product",
        "sklearn.gaussian_process.kernels.RBF",
        "sklearn.gaussian_process.kernels.RationalQuadratic",
        "sklearn.gaussian_process.kernels.Sum",
        "sklearn.gaussian_process.kernels.WhiteKernel",
        # Score functions stored by SelectKBest and friends.
        "sklearn.feature_selection._univariate_selection.chi2",
        "sklearn.feature_selection._univariate_selection.f_classif",
        "sklearn.feature_selection._univariate_selection.f_regression",
        "sklearn.feature_selection._univariate_selection.r_regression",
        "sklearn.feature_selection._mutual_info.mutual_info_classif",
        "sklearn.feature_selection._mutual_info.mutual_info_regression",
        # Losses and links (gradient boosting, GLMs, SGD).
        "sklearn._loss.loss.AbsoluteError",
        "sklearn._loss.loss.ExponentialLoss",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfBinomialLossArrayAPI",
        "sklearn._loss.loss.HalfGammaLoss",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "sklearn._loss.loss.HalfMultinomialLossArrayAPI",
        "sklearn._loss.loss.HalfPoissonLoss",
        "sklearn._loss.loss.HalfPoissonLossArrayAPI",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.loss.HalfTweedieLoss",
        "sklearn._loss.loss.HalfTweedieLossIdentity",
        "sklearn._loss.loss.HuberLoss",
        "sklearn._loss.loss.PinballLoss",
        "sklearn._loss._loss.CyAbsoluteError",
        "sklearn._loss._loss.CyExponentialLoss",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss._loss.CyHalfGammaLoss",
        "sklearn._loss._loss.CyHalfMultinomialLoss",
        "sklearn._loss._loss.CyHalfPoissonLoss",
        "sklearn._loss._loss.CyHalfSquaredError",
        "sklearn._loss._loss.CyHalfTweedieLoss",
        "sklearn._loss._loss.CyHalfTweedieLossIdentity",
        "sklearn._loss._loss.CyHuberLoss",
        "sklearn._loss._loss.CyPinballLoss",
        "sklearn._loss._loss.__pyx_unpickle_CyHalfMultinomialLoss",
        "sklearn._loss.link.HalfLogitLink",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogLink",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn.linear_model._sgd_fast.EpsilonInsensitive",
        "sklearn.linear_model._sgd_fast.Hinge",
        "sklearn.linear_model._sgd_fast.ModifiedHuber",
        "sklearn.linear_model._sgd_fast.SquaredEpsilonInsensitive",
        "sklearn.linear_model._sgd_fast.SquaredHinge",
        "sklearn.linear_model._sgd_fast.__pyx_unpickle_Classification",
        "sklearn.linear_model._sgd_fast.__pyx_unpickle_Regression",
        # Neighbour search trees and their distance metrics (PyFuncDistance,
        # which calls an arbitrary function, is left out).
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._kd_tree.KDTree32",
        "sklearn.neighbors._kd_tree.KDTree64",
        "sklearn.neighbors._kd_tree.newObj",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.neighbors._ball_tree.BallTree32",
        "sklearn.neighbors._ball_tree.BallTree64",
        "sklearn.neighbors._ball_tree.newObj",
        "sklearn.metrics._dist_metrics.newObj",
        "sklearn.metrics._dist_metrics.__pyx_unpickle_DistanceMetric",
        *(
            f"sklearn.metrics._dist_metrics.{metric}Distance{bits}"
            for metric in (
                "BrayCurtis",
                "Canberra",
                "Chebyshev",
                "Dice",
                "Euclidean",
                "Hamming",
                "Haversine",
                "Jaccard",
                "Kulsinski",
                "Mahalanobis",
                "Manhattan",
                "Matching",
                "Minkowski",
                "RogersTanimoto",
                "RussellRao",
                "SEuclidean",
                "SokalMichener",
                "SokalSneath",
            )
            for bits in ("32", "64")
        ),
    }
)

# Model selection: what a fitted search object keeps (cv_results_ holds masked
# arrays; the scorer and splitter it was run with).
_MODEL_SELECTION = frozenset(
    {
        "numpy.ma.MaskedArray",
        "numpy.ma.core.MaskedArray",
        "numpy.ma.core._mareconstruct",
        "sklearn.metrics._scorer._PassthroughScorer",
        "sklearn.metrics._scorer._Scorer",
        "sklearn.metrics._scorer._MultimetricScorer",
        *(
            f"sklearn.model_selection._split.{name}"
            for name in (
                "KFold",
                "GroupKFold",
                "StratifiedKFold",
                "StratifiedGroupKFold",
                "TimeSeriesSplit",
                "LeaveOneOut",
                "LeavePOut",
                "LeaveOneGroupOut",
                "LeavePGroupsOut",
                "RepeatedKFold",
                "RepeatedStratifiedKFold",
                "ShuffleSplit",
                "GroupShuffleSplit",
                "StratifiedShuffleSplit",
                "PredefinedSplit",
                "_CVIterableWrapper",
            )
        ),
        *(
            f"sklearn.metrics._classification.{name}"
            for name in (
                "accuracy_score",
                "balanced_accuracy_score",
                "brier_score_loss",
                "f1_score",
                "fbeta_score",
                "jaccard_score",
                "log_loss",
                "matthews_corrcoef",
                "precision_score",
                "recall_score",
            )
        ),
        "sklearn.metrics._ranking.average_precision_score",
        "sklearn.metrics._ranking.roc_auc_score",
        *(
            f"sklearn.metrics._regression.{name}"
            for name in (
                "explained_variance_score",
                "max_error",
                "mean_absolute_error",
                "mean_absolute_percentage_error",
                "mean_gamma_deviance",
                "mean_poisson_deviance",
                "mean_squared_error",
                "mean_squared_log_error",
                "median_absolute_error",
                "r2_score",
                "root_mean_squared_error",
                "root_mean_squared_log_error",
            )
        ),
    }
)

# Names allowed only in one exact form, which explainers.pickle_forms checks:
# HistGradientBoosting with categorical_features="from_dtype" stores
# functools.partial(check_array, dtype=[float64], ensure_all_finite=False).
FORM_ONLY_GLOBALS = frozenset({"functools.partial", "sklearn.utils.validation.check_array"})

_BOOSTING_LIBRARIES = frozenset(
    {
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBModel",
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
        "xgboost.sklearn.XGBRanker",
        "xgboost.sklearn.XGBRFClassifier",
        "xgboost.sklearn.XGBRFRegressor",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMModel",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "lightgbm.sklearn.LGBMRanker",
        "catboost.core.CatBoost",
        "catboost.core.CatBoostClassifier",
        "catboost.core.CatBoostRegressor",
        "catboost.core.CatBoostRanker",
    }
)

EXTRA_GLOBALS: frozenset[str] = (
    _PYTHON
    | _NUMPY
    | _SCIPY
    | _PANDAS
    | _SKLEARN_INTERNALS
    | _MODEL_SELECTION
    | _BOOSTING_LIBRARIES
    | FORM_ONLY_GLOBALS
)
"""Every allowed name that is not a public scikit-learn estimator class."""


@cache
def sklearn_estimator_globals() -> frozenset[str]:
    """The ``module.qualname`` of every public estimator class of the installed scikit-learn.

    Returns
    -------
    frozenset of str
        For example ``"sklearn.ensemble._forest.RandomForestClassifier"``.
    """
    from explainers.trusted_cache import sklearn_estimators

    return frozenset(f"{module}.{qualname}" for module, qualname, _ in sklearn_estimators())


# imbalanced-learn's sampler that calls a function of the user's choosing.
_IMBLEARN_LEFT_OUT = frozenset({"imblearn.base.FunctionSampler"})


@cache
def imblearn_estimator_globals() -> frozenset[str]:
    """Every public imbalanced-learn estimator and sampler class, if imbalanced-learn is installed.

    Returns
    -------
    frozenset of str
        Empty when imbalanced-learn is not installed.
    """
    if importlib.util.find_spec("imblearn") is None:
        return frozenset()
    import imblearn

    names: set[str] = set()
    for info in pkgutil.walk_packages(imblearn.__path__, "imblearn."):
        if ".tests" in info.name:
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        names.update(
            f"{info.name}.{name}"
            for name, cls in vars(module).items()
            if _is_estimator_class(cls, info.name, name)
        )
    return frozenset(names) - _IMBLEARN_LEFT_OUT


@cache
def allowed_globals() -> frozenset[str]:
    """Every ``module.name`` a model file may import.

    Returns
    -------
    frozenset of str
        :func:`sklearn_estimator_globals` and :func:`imblearn_estimator_globals`
        together with :data:`EXTRA_GLOBALS`.

    Examples
    --------
    >>> "posix.system" in allowed_globals()
    False
    """
    return sklearn_estimator_globals() | imblearn_estimator_globals() | EXTRA_GLOBALS


def is_allowed(name: str) -> bool:
    """Whether a model file may import ``name``: an exact member of :func:`allowed_globals`.

    Decided one name at a time, without importing any module the name points
    to: a class of a module already imported is checked there; otherwise the
    name is looked up in the library's own list of its estimators (which
    imports that library's fixed set of modules once, whatever the file names).

    Examples
    --------
    >>> is_allowed("sklearn.ensemble._forest.RandomForestClassifier")
    True
    >>> is_allowed("posix.system")
    False
    """
    return name in EXTRA_GLOBALS or _is_public_estimator(name)


@cache
def _is_public_estimator(name: str) -> bool:
    """The test :func:`sklearn.utils.all_estimators` applies, for one exact name."""
    module_name, _, class_name = name.rpartition(".")
    library = module_name.partition(".")[0]
    if library not in ("sklearn", "imblearn") or ".tests" in module_name:
        return False
    if name in _IMBLEARN_LEFT_OUT:
        return False
    module = sys.modules.get(module_name)
    if module is None:
        listed = sklearn_estimator_globals if library == "sklearn" else imblearn_estimator_globals
        return name in listed()
    return _is_estimator_class(getattr(module, class_name, None), module_name, class_name)


def _is_estimator_class(cls: object, module_name: str, class_name: str) -> bool:
    from sklearn.base import BaseEstimator

    return (
        isinstance(cls, type)
        and not class_name.startswith("_")
        and class_name != "BaseEstimator"
        and issubclass(cls, BaseEstimator)
        and not inspect.isabstract(cls)
        and cls.__module__ == module_name
        and cls.__qualname__ == class_name
    )
