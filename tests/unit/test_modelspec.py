from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridgraph.errors import UnknownModelError
from hybridgraph.modelspec import Provider, parse_model_string


@pytest.mark.parametrize(
    ("text", "provider", "model"),
    [
        ("ollama:qwen2.5:1.5b", Provider.OLLAMA, "qwen2.5:1.5b"),
        ("litellm:openai/gpt-4o-mini", Provider.LITELLM, "openai/gpt-4o-mini"),
        ("llamacpp:smollm2", Provider.LLAMACPP, "smollm2"),
        ("llamacpp:/models/phi-3.Q4.gguf", Provider.LLAMACPP, "/models/phi-3.Q4.gguf"),
        ("  OLLAMA:llama3.2  ", Provider.OLLAMA, "llama3.2"),
    ],
)
def test_accepted_forms(text: str, provider: Provider, model: str) -> None:
    spec = parse_model_string(text)
    assert (spec.provider, spec.model) == (provider, model)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("olama:qwen2.5", "ollama:qwen2.5"),
        ("litelm:openai/gpt-4o", "litellm:openai/gpt-4o"),
        ("qwen2.5", "ollama:qwen2.5"),
        ("openai/gpt-4o", "litellm:openai/gpt-4o"),
        ("litellm:gpt-4o", "litellm:openai/gpt-4o"),
        ("llamacpp:smollm", "llamacpp:smollm2"),
        ("model.gguf", "llamacpp:model.gguf"),
    ],
)
def test_errors_name_accepted_forms_and_close_matches(text: str, suggestion: str) -> None:
    with pytest.raises(UnknownModelError) as info:
        parse_model_string(text)
    assert f"'{suggestion}'" in info.value.message
    assert info.value.fix is not None and "litellm:<provider>/<model>" in info.value.fix


def test_round_trip_through_str() -> None:
    spec = parse_model_string("ollama:qwen2.5:1.5b")
    assert parse_model_string(str(spec)) == spec


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_the_documented_error(text: str) -> None:
    try:
        spec = parse_model_string(text)
    except UnknownModelError as exc:
        assert exc.fix
    else:
        assert spec.model and isinstance(spec.provider, Provider)
