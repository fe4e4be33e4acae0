"""``FunctionModel``: the one programmable fake, for unit tests of logic.

It runs a Python function instead of a model. It makes no network call and loads no
weights, so logic can be tested in milliseconds. It is not a model: never use it to
show that a backend works.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from hybridgraph.catalog import Endpoint
from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, Usage
from hybridgraph.zones import TrustZone

__all__ = ["FunctionModel", "Reply"]

#: What the function may return: the answer text, or a full ``Completion``.
Reply = str | Completion
ReplyFn = Callable[[ChatRequest], Reply | Awaitable[Reply]]


class FunctionModel(ModelClient):
    """A model whose answers come from ``fn(request)`` (sync or async).

    Token usage is counted as whitespace-separated words, and cost follows the
    endpoint's catalog prices, so budget logic can be tested too. ``calls`` records
    every request received.
    """

    def __init__(
        self,
        fn: ReplyFn,
        *,
        name: str = "function",
        zone: TrustZone = TrustZone.LOCAL,
        endpoint: Endpoint | None = None,
        chunk_words: int = 1,
    ) -> None:
        super().__init__(endpoint or Endpoint(name=name, model=f"function:{name}", zone=zone))
        self.fn = fn
        self.chunk_words = max(1, chunk_words)
        self.calls: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> Completion:
        """Run the function and wrap its reply as a ``Completion``."""
        started = time.perf_counter()
        self.calls.append(request)
        reply: Any = self.fn(request)
        if inspect.isawaitable(reply):
            reply = await reply
        if isinstance(reply, Completion):
            return reply
        text = str(reply)
        words_in = sum(len(m.content.split()) for m in request.messages)
        return self._completion(
            text, Usage(input_tokens=words_in, output_tokens=len(text.split())), started, finish_reason="stop"
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Yield the reply a few words at a time, then the completion."""
        completion = await self.complete(request)
        words = completion.text.split(" ")
        for i in range(0, len(words), self.chunk_words):
            piece = " ".join(words[i : i + self.chunk_words])
            yield StreamChunk(delta=piece if i == 0 else " " + piece)
        yield StreamChunk(completion=completion)
