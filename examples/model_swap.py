"""Ask the same question of several endpoints: the code stays the same, only the name changes.

Run:  .venv/bin/python examples/model_swap.py [ENDPOINT_OR_MODEL ...]
      (default: the embedded local-smollm2; try also ollama:qwen2.5:1.5b or cloud-gpt)

Endpoints that are not usable right now (no Ollama, no API key) are reported with the fix
and skipped, so the script always runs to the end.
"""

from __future__ import annotations

import asyncio
import sys

from hybridgraph import ChatRequest, HybridGraphError, open_model

QUESTION = "In one sentence: what does a limitation of liability clause do?"
SCHEMA = {
    "type": "object",
    "properties": {"risk": {"type": "string", "enum": ["low", "medium", "high"]}, "reason": {"type": "string"}},
    "required": ["risk", "reason"],
}


async def ask(ref: str) -> None:
    try:
        model = open_model(ref)
        answer = await model.complete(ChatRequest.from_prompt(QUESTION, max_tokens=80))
        print(f"[{model.name} · {model.zone}] {answer.text.strip()}")
        print(f"    {answer.usage.input_tokens} in / {answer.usage.output_tokens} out tokens, ${answer.cost_usd:.6f}")
        request = ChatRequest.from_prompt("Rate the risk of an uncapped liability clause for a buyer.", max_tokens=80)
        value, _ = await model.complete_json(request, SCHEMA)
        print(f"    structured: {value}")
        await model.aclose()
    except HybridGraphError as exc:
        print(f"[{ref}] skipped: {exc.message}\n    fix: {exc.fix}")


async def main(refs: list[str]) -> None:
    for ref in refs or ["local-smollm2"]:
        await ask(ref)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
