"""A CPU-time allowance per request, enforced by the kernel (``RLIMIT_CPU``).

A sandbox grants itself :func:`allowance_s` seconds of CPU before each
request (and again at each progress report, as the server restarts its
wall-clock deadline then); its workers do the same before each chunk. A
request that burns more is killed by the kernel's ``SIGXCPU`` without waiting
for the server's deadline (whose restarts a model's own frames could fake).
Only the soft limit moves: the hard one stays unlimited, since it could never
be raised again, so code that has escaped whybox's checks inside a sandbox
could lift its own allowance (the wall-clock deadline still holds). Nothing
is limited until :func:`enable` (the sandbox worker calls it, reading
:data:`CPU_ENV`), so the server's own pools never are.
"""

from __future__ import annotations

import math
import resource

CPU_ENV = "WHYBOX_SANDBOX_CPU_S"
DEFAULT_CPU_S = 1200


_allowance: list[int] = []


def enable(seconds: int) -> None:
    """Limit this process (a sandbox) and the workers it forks from now on."""
    _allowance[:] = [max(1, int(seconds))]


def allowance_s() -> int | None:
    """Seconds of CPU per request once :func:`enable` ran (in a sandbox); else None."""
    return _allowance[0] if _allowance else None


def grant() -> None:
    """Allow this process :func:`allowance_s` more seconds of CPU from now (else nothing)."""
    seconds = allowance_s()
    if seconds is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
