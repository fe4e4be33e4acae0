"""``hybridgraph ask``: one completion from any endpoint, streamed to the terminal."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, Any

import typer

from hybridgraph.cli.models import CatalogOption

__all__ = ["ask_command"]


def ask_command(
    prompt: Annotated[str, typer.Argument(help="the question; '-' reads it from standard input")],
    model: Annotated[
        str | None,
        typer.Option(
            "--model", "-m", help="endpoint name or model string (e.g. llamacpp:smollm2, ollama:qwen2.5:1.5b)"
        ),
    ] = None,
    system: Annotated[str | None, typer.Option("--system", help="system message")] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="answer length limit")] = 256,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0, max=2.0)] = 0.0,
    stream: Annotated[bool, typer.Option("--stream/--no-stream", help="print tokens as they come")] = True,
    catalog_file: CatalogOption = None,
) -> None:
    """Ask one model one question and print the answer as it is generated."""
    from hybridgraph.catalog import Catalog
    from hybridgraph.models import ChatRequest, open_model
    from hybridgraph.textinput import check_text, read_text_input

    text = read_text_input("-") if prompt == "-" else check_text(prompt, "the prompt")
    client = open_model(model, catalog=Catalog.load(catalog_file))
    request = ChatRequest.from_prompt(text, system=system, max_tokens=max_tokens, temperature=temperature)
    asyncio.run(_ask(client, request, stream))


async def _ask(client: Any, request: Any, stream: bool) -> None:
    from hybridgraph.telemetry import active_telemetry, workflow

    try:
        with workflow("ask") as run:
            completion = await _answer(client, request, stream)
    finally:
        await client.aclose()
        active_telemetry().flush()  # a CLI run is short: export and write the trace file now
    sys.stdout.write("\n")
    sys.stdout.flush()
    if completion is not None:
        _print_footer(completion, run.run_id)


async def _answer(client: Any, request: Any, stream: bool) -> Any:
    if not stream:
        completion = await client.complete(request)
        sys.stdout.write(completion.text)
        return completion
    completion = None
    async for chunk in client.stream(request):
        if chunk.restart:  # a retried stream came back different: say so, then show the new answer
            sys.stdout.write("\n[the connection broke and the answer started over]\n")
        sys.stdout.write(chunk.delta)
        sys.stdout.flush()
        completion = chunk.completion or completion
    return completion


def _print_footer(completion: Any, run_id: str) -> None:
    from rich.console import Console

    usage = completion.usage
    Console(stderr=True).print(
        f"[dim]{completion.endpoint} ({completion.zone.value}) · {usage.input_tokens} in / "
        f"{usage.output_tokens} out tokens · ${completion.cost_usd:.6f} · {completion.latency_s:.2f}s · "
        f"trace: hybridgraph trace show {run_id}[/]"
    )
