"""Every command loads its model in a sandbox process and says once how it is contained."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `whybox --help` imports no data library
    from explainers.loading import PreparedData

PROTECTIONS_PREFIX = "whybox: "


def load_contained(
    model: str | Path,
    data: str | Path,
    *,
    target: str | None,
    trust_unknown: bool,
    jobs: int | None = 1,
    require_sandbox: bool = False,
    say: bool = True,
) -> PreparedData:
    """The model (a handle on its sandbox) and the data aligned to it.

    Writes one ``whybox: ...`` line to stderr stating the protections active
    (``say``). With ``require_sandbox``, refuses the model when bubblewrap
    cannot contain it.

    Raises
    ------
    ExplainerError
        What loading refused, or the sandbox's crash in whybox's words.
    """
    from explainers.loading import load_files
    from explainers.sandbox import protections, require_contained

    if require_sandbox:
        require_contained()
    prepared = load_files(
        model, data, target=target, trust_unknown=trust_unknown, sandboxed=True, jobs=jobs
    )
    if say:
        sys.stderr.write(
            f"{PROTECTIONS_PREFIX}{protections(prepared.bundle.model.info()).sentence}\n"
        )
    return prepared
