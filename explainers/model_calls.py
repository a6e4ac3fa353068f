"""The one place where work that needs an uploaded model is run.

Everything that touches the model object (predict, SHAP, LIME, recourse,
what-if, PDP, the health pages' predictions) is a module-level function of
``explainers`` taking the :class:`~explainers.model_bundle.ModelBundle` first
and returning plain data: frozen dataclasses of numpy arrays, numbers, text,
tuples or pandas frames. The dashboard and the CLI never call such a function
directly; they call :func:`run_model_task`, which runs it where the model
lives: in the model's sandbox process when the bundle is a handle made by
:func:`explainers.sandbox.load_contained` (the function is named by its
qualified name, only functions of ``explainers`` are accepted, and arguments
and result cross as :mod:`explainers.wire` frames, never pickles); in process
when the bundle holds the model itself, as in the unit tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from explainers.model_bundle import ModelBundle
from explainers.sandbox import SandboxedModel, function_name

P = ParamSpec("P")
R = TypeVar("R")


def run_model_task(
    bundle: ModelBundle,
    task: Callable[Concatenate[ModelBundle, P], R],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """Run ``task(bundle, *args, **kwargs)`` where the model lives and return its result.

    Parameters
    ----------
    bundle : ModelBundle
        The loaded model (or its handle).
    task : callable
        A module-level function of ``explainers`` whose first argument is the bundle.

    Returns
    -------
    Whatever ``task`` returns: plain data that can cross a process boundary.

    Raises
    ------
    TypeError
        If ``task`` is not a module-level function of ``explainers``.
    ExplainerError
        What ``task`` raised; :class:`~explainers.sandbox.SandboxCrashed` if
        the model's process crashed, hung or hit a limit.
    """
    function_name(task)  # the same rule in process as in a sandbox
    if isinstance(bundle.model, SandboxedModel):
        result: R = bundle.model.call(task, (bundle, *args), dict(kwargs))
        return result
    return task(bundle, *args, **kwargs)


__all__: list[str] = ["run_model_task"]
