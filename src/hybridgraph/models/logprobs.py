"""Token log-probabilities from llama.cpp's sampler, for the answer's confidence.

``TokenLogprobs`` adds a last step to a loaded model's sampler chain that records the
log-probability of each chosen token among the tokens the chain left open: after the JSON
grammar's mask, penalties and any top-k/top-p cut. So a token the grammar forces counts as
certain, and the value tokens where the model had a choice (``true`` or ``false``, ``"high"``
or ``"low"``) carry the doubt. llama.cpp's own ``logprobs`` would need ``logits_all`` (logits
for every prompt token: about 800 MB at 4,096 tokens of context for SmolLM2, and slower prompt
evaluation); this costs one softmax over the open tokens per generated token (about 1%).
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["TokenLogprobs", "confidence"]


def confidence(logprobs: tuple[float, ...] | list[float] | None) -> float | None:
    """The geometric mean probability of the tokens: ``exp(mean logprob)``; None without any."""
    if not logprobs:
        return None
    return math.exp(sum(logprobs) / len(logprobs))


class TokenLogprobs:
    """Records chosen-token log-probabilities of one ``llama_cpp.Llama`` while ``recording``."""

    def __init__(self) -> None:
        self._values: list[float] | None = None
        self.attached = False

    def attach(self, llama: Any) -> bool:
        """Add the recording step to every sampler chain ``llama`` builds (True if it could:
        the hook is llama-cpp-python's ``_init_sampler``, present since 0.3)."""
        build = getattr(llama, "_init_sampler", None)
        if build is None:
            return False

        def with_recorder(*args: Any, **kwargs: Any) -> Any:
            sampler = build(*args, **kwargs)
            sampler.add_custom(self._record)
            return sampler

        llama._init_sampler = with_recorder
        self.attached = True
        return True

    @contextmanager
    def recording(self) -> Iterator[list[float]]:
        """Collect the log-probabilities of the tokens generated inside the block."""
        values: list[float] = []
        self._values = values
        try:
            yield values
        finally:
            self._values = None

    def _record(self, candidates: Any) -> None:
        if self._values is None:
            return
        import llama_cpp
        import numpy as np

        array = candidates.contents
        if array.selected < 0 or array.size == 0:
            return
        raw = (llama_cpp.llama_token_data * array.size).from_address(ctypes.addressof(array.data.contents))
        logits = np.ctypeslib.as_array(raw).view(_token_data())["logit"]
        open_ = logits[np.isfinite(logits)]
        top = float(open_.max())
        self._values.append(float(logits[array.selected]) - top - math.log(float(np.exp(open_ - top).sum())))


@functools.cache
def _token_data() -> Any:
    """numpy's view of llama.cpp's ``llama_token_data`` (id, logit, p)."""
    import numpy as np

    return np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)
