"""Is an endpoint usable right now? Cheap probes that load no weights and send no prompt."""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import dataclass

import httpx

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import HybridGraphError
from hybridgraph.modelspec import Provider

__all__ = ["Availability", "check_all", "check_endpoint"]

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Availability:
    """Whether an endpoint can serve a call now; if not, why and how to fix it."""

    ready: bool
    detail: str
    fix: str | None = None


async def check_endpoint(endpoint: Endpoint) -> Availability:
    """Probe one endpoint according to its provider."""
    provider = endpoint.spec.provider
    try:
        if provider is Provider.LLAMACPP:
            return await asyncio.to_thread(_check_llamacpp, endpoint)  # walks the model package's files
        if provider is Provider.OLLAMA:
            return await _check_ollama(endpoint)
        if provider is Provider.LITELLM:
            return await _check_litellm(endpoint)
    except HybridGraphError as exc:
        return Availability(False, exc.message, exc.fix)
    return Availability(False, "function models exist only in code")


async def check_all(endpoints: list[Endpoint]) -> list[Availability]:
    """Probe endpoints concurrently, in order."""
    return list(await asyncio.gather(*(check_endpoint(e) for e in endpoints)))


def _check_llamacpp(endpoint: Endpoint) -> Availability:
    from hybridgraph.models.llamacpp import EMBEDDED_FIX, find_gguf

    if importlib.util.find_spec("llama_cpp") is None:
        return Availability(False, "llama-cpp-python not installed", EMBEDDED_FIX)
    path = find_gguf(endpoint.spec)
    return Availability(True, f"embedded ({path.stat().st_size / 1e6:.0f} MB GGUF)")


async def _check_ollama(endpoint: Endpoint) -> Availability:
    from hybridgraph.models.ollama import ollama_host

    host = ollama_host(endpoint)
    model = endpoint.spec.model
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
            response = await client.get(f"{host.rstrip('/')}/api/tags")
            response.raise_for_status()
    except httpx.HTTPError:
        return Availability(False, f"Ollama unreachable at {host}", "start `ollama serve`, or set OLLAMA_HOST")
    names = {m.get("model") or m.get("name") for m in response.json().get("models", [])}
    wanted = {model, f"{model}:latest"}
    if names & wanted:
        return Availability(True, f"pulled on {host}")
    return Availability(False, f"not pulled on {host}", f"ollama pull {model}")


async def _check_litellm(endpoint: Endpoint) -> Availability:
    from hybridgraph.models.litellm import missing_credentials

    missing = await asyncio.to_thread(missing_credentials, endpoint)
    if missing:
        return Availability(False, f"{', '.join(missing)} not set", f"export {missing[0]}=<your key>")
    if not endpoint.api_base:
        return Availability(True, "credentials present")
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
            await client.get(f"{endpoint.api_base.rstrip('/')}/models")
    except httpx.HTTPError:
        return Availability(False, f"unreachable at {endpoint.api_base}", "check api_base and the server")
    return Availability(True, f"reachable at {endpoint.api_base}")
