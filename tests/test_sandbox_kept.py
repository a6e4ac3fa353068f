"""Kept arguments: the server's and the sandbox's sides agree on what is held."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explainers import sandbox_kept
from explainers.sandbox_kept import KeptMissing, KeptSender, KeptStore
from explainers.wire import decode_bytes, encode_bytes


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "c": pd.array(rng.choice(["a", "b"], n), dtype="str")}
    )


def _through(sender: KeptSender, store: KeptStore, *args, **kwargs):
    message = decode_bytes(encode_bytes(sender.message("m:f", args, kwargs, progress=False)))
    return message, store.arguments(message, lambda meta: meta)


def test_a_large_frame_is_sent_once_and_filled_in_as_a_private_copy() -> None:
    sender, store = KeptSender(), KeptStore()
    big, small = _frame(1_000), _frame(3)
    first, (args, kwargs) = _through(sender, store, big, small, reference=big)
    assert len(first["put"]) == 1 and first["a"][0] is None and first["k"]["reference"] is None
    pd.testing.assert_frame_equal(args[0], big)
    pd.testing.assert_frame_equal(kwargs["reference"], big)
    pd.testing.assert_frame_equal(args[1], small)  # small frames travel inline
    args[0].iloc[0, 0] = 99.0  # a function that edits its input in place
    args[0]["added"] = 1
    second, (args, _) = _through(sender, store, big, small, reference=big)
    assert second["put"] == {}
    pd.testing.assert_frame_equal(args[0], big)


def test_both_sides_drop_the_same_values_and_a_miss_is_reported() -> None:
    sender, store = KeptSender(), KeptStore()
    frames = [_frame(1_000, seed) for seed in range(sandbox_kept.MAX_ENTRIES + 1)]
    for frame in frames:
        _through(sender, store, frame)
    again, (args, _) = _through(sender, store, frames[0])  # dropped on both sides: sent again
    assert len(again["put"]) == 1
    pd.testing.assert_frame_equal(args[0], frames[0])
    lost = KeptStore()  # a store that never saw it (the sandbox was replaced, say)
    named = sender.message("m:f", (frames[-1],), {}, progress=False)
    assert named["put"] == {}
    with pytest.raises(KeptMissing):
        lost.arguments(decode_bytes(encode_bytes(named)), lambda meta: meta)
