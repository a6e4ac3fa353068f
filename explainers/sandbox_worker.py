"""The sandbox process: loads one uploaded model and runs whybox's functions on it.

Started by :mod:`explainers.sandbox` as ``python -m explainers.sandbox_worker``
(inside bubblewrap where available). Before it reads anything it:

1. keeps its protocol pipes on private descriptors and points stdout at stderr,
   so a model that prints cannot corrupt the replies;
2. sets its resource limits (address space, file size, no core dumps, open
   files), which nothing it later runs can raise again, and a CPU-time
   allowance per request (:mod:`explainers.cpu_budget`);
3. imports the explainer stack, then loads a seccomp filter (where the
   ``pyseccomp`` binding and libseccomp exist) that refuses ``execve`` and
   friends, sockets other than Unix ones, ``ptrace`` and namespace calls.

Then it serves requests until its input closes: ``load`` (the model's bytes,
through :func:`explainers.safe_loading.load_model_bytes`) once, then any
number of ``call`` requests naming a module-level function of ``explainers``
(large frame arguments are kept between requests: :mod:`explainers.sandbox_kept`).
After the model loads it forks its own worker processes for long jobs
(:func:`explainers.parallel.use_local_pool`), so chunked SHAP runs inside the
sandbox too. Replies are :mod:`explainers.wire` frames: never pickles.
"""

from __future__ import annotations

import errno
import importlib
import os
import resource
import select
import sys
import traceback
from typing import Any

from explainers import cpu_budget
from explainers.cpu_budget import CPU_ENV, DEFAULT_CPU_S
from explainers.sandbox_kept import KeptMissing, KeptStore
from explainers.sandbox_launch import (
    DEFAULT_FILE_MB,
    DEFAULT_MEMORY_MB,
    FILE_ENV,
    JOBS_ENV,
    MEMORY_ENV,
)
from explainers.sandbox_protocol import SandboxInfo, read_frame, write_frame

MAX_OPEN_FILES = 1024
# imported before the seccomp filter closes the door on new programs
_STACK = (
    "explainers.loading",
    "explainers.batch",
    "explainers.decision",
    "explainers.recourse",
    "explainers.overview",
    "explainers.parallel",
)
_DENIED_CALLS = (
    "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "bpf",
    "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "acct", "iopl", "ioperm", "open_by_handle_at",
)  # fmt: skip
_MAX_TRACEBACK = 4_000
_SONAMES = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}

_model: Any = None
_KEPT = KeptStore()


def apply_limits(memory_mb: int, file_mb: int) -> None:
    """Set soft and hard limits; without privileges they can never be raised again."""
    for limit, value in (
        (resource.RLIMIT_AS, memory_mb * 2**20),
        (resource.RLIMIT_FSIZE, file_mb * 2**20),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, MAX_OPEN_FILES),
    ):
        resource.setrlimit(limit, (value, value))


def load_seccomp_filter() -> bool:
    """Refuse new programs, non-Unix sockets, tracing and namespaces; False if unavailable."""
    import ctypes.util
    import socket

    find_library = ctypes.util.find_library
    # find_library runs ldconfig, a program a sandbox cannot see: name the sonames
    ctypes.util.find_library = lambda name: _SONAMES.get(name) or find_library(name)
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError, RuntimeError):  # no binding, or no libseccomp here
        return False
    finally:
        ctypes.util.find_library = find_library
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in _DENIED_CALLS:
            try:
                rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except (RuntimeError, ValueError, OSError):
                continue  # a call this kernel or architecture does not have
        rules.add_rule(
            seccomp.ERRNO(errno.EACCES), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX)
        )
        rules.load()
    except (RuntimeError, ValueError, OSError):
        return False
    return True


def _bundle(meta: dict[str, Any]) -> Any:
    from explainers.model_bundle import ModelBundle

    if _model is None:
        raise ValueError("no model is loaded")
    return ModelBundle(model=_model, **meta)


def _resolve(name: object) -> Any:
    """A module-level function of the explainers package, by ``module:function``."""
    if not isinstance(name, str) or name.count(":") != 1:
        raise ValueError("bad function name")
    module_name, function_name = name.split(":")
    if not (module_name == "explainers" or module_name.startswith("explainers.")):
        raise ValueError("only whybox's own functions run here")
    module = importlib.import_module(module_name)
    function = getattr(module, function_name, None)
    if not callable(function) or getattr(function, "__module__", None) != module_name:
        raise ValueError(f"{name} is not a function of {module_name}")
    return function


def _load(request: dict[str, Any], jobs: int) -> Any:
    global _model
    from explainers.model_bundle import build_bundle
    from explainers.parallel import ExplainPool, use_local_pool
    from explainers.safe_loading import load_model_bytes

    if _model is not None:
        raise ValueError("a model is already loaded")
    loaded = load_model_bytes(
        request["raw"],
        request["name"],
        trust_unknown=bool(request["trust"]),
        max_bytes=int(request["max_bytes"]),
    )
    bundle = build_bundle(loaded.model, warnings_=loaded.warnings)
    _model = bundle.model
    if jobs > 1:  # forked now, before the model has run any threads of its own
        pool = ExplainPool(jobs, start_method="fork")
        pool.warm_up()
        use_local_pool(pool)
    return bundle


def _serve(request: Any, jobs: int, replies: int) -> dict[str, Any]:
    from explainers.errors import ExplainerError

    try:
        if not isinstance(request, dict):
            raise ValueError("bad request")
        if request.get("op") == "load":
            return {"ok": True, "v": _load(request, jobs)}
        if request.get("op") == "call":
            function = _resolve(request.get("fn"))
            args, kwargs = _KEPT.arguments(request, _bundle)
            if request.get("progress"):  # reports go back as frames of their own

                def progress(done: int, total: int) -> None:
                    cpu_budget.grant()  # as the server restarts its deadline
                    write_frame(replies, {"progress": [int(done), int(total)]})

                kwargs["progress"] = progress
            return {"ok": True, "v": function(*args, **kwargs)}
        raise ValueError("unknown request")
    except KeptMissing:
        return {"ok": False, "missing": True}
    except ExplainerError as error:
        return {"ok": False, "e": error}
    except MemoryError:
        return {"ok": False, "memory": True}
    except Exception:  # a model raises anything; the server logs the text, the user gets a sentence
        return {"ok": False, "internal": traceback.format_exc()[-_MAX_TRACEBACK:]}


def _warm_if_idle(requests: int) -> None:
    """While no request is waiting yet, do the first model's fixed costs ahead of it.

    A spare sandbox waits seconds for its model (minutes, kept by a broker:
    :mod:`explainers.spare_broker`). Two steps, each checked for a waiting
    request first, so a model waits for at most one: the tree engine's compiled
    kernels (about 0.3 s) and skops (about 0.35 s; most bundled and saved-safe
    models are skops files). Done in this thread, never in a background one: the
    sandbox forks its workers later, and a fork while another thread holds an
    import lock can leave the child stuck.
    """
    from explainers.safe_loading import import_skops
    from explainers.tree_engine import warm_kernels

    for step in (warm_kernels, import_skops):
        readable, _, _ = select.select([requests], [], [], 0)
        if readable:
            return
        step()


def main() -> None:
    """Serve requests on stdin/stdout until stdin closes."""
    requests, replies = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # anything a model prints goes to the server's log, not into a reply
    sys.stdout = sys.stderr
    memory_mb = int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB))
    file_mb = int(os.environ.get(FILE_ENV, DEFAULT_FILE_MB))
    jobs = max(1, int(os.environ.get(JOBS_ENV, "1")))
    apply_limits(memory_mb, file_mb)
    cpu_budget.enable(int(os.environ.get(CPU_ENV, DEFAULT_CPU_S)))
    from explainers.process_priority import die_with_parent

    die_with_parent()
    for module in _STACK:
        importlib.import_module(module)
    seccomp = load_seccomp_filter()
    write_frame(replies, SandboxInfo(os.getpid(), seccomp, memory_mb, file_mb, jobs))
    _warm_if_idle(requests)
    from explainers.wire import WireError

    while True:
        try:
            request = read_frame(requests, max_bytes=2**31, bundle=_bundle)
        except WireError:
            reply: dict[str, Any] = {"ok": False, "internal": "malformed request"}
        except Exception:  # the server closed the pipe: stop
            break
        else:
            cpu_budget.grant()
            reply = _serve(request, jobs, replies)
        try:
            write_frame(replies, reply)
        except WireError as exc:  # a result the wire cannot carry: the server logs why
            write_frame(replies, {"ok": False, "internal": f"reply not sent: {exc}"})
    os._exit(0)


if __name__ == "__main__":
    main()
