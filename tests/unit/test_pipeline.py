"""Pipelines with programmable fakes: the YAML spec and its errors, the contract review's steps
(find, judge with routing, verify quotes, report), code composition, registered agents and
conditional edges."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from hybridgraph.agents.base import PipelineAgent
from hybridgraph.agents.clauses import QuoteVerifier
from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.errors import ConfigError, InputError
from hybridgraph.graphs.pipeline import Pipeline, shipped_pipelines
from hybridgraph.graphs.registry import register_agent
from hybridgraph.graphs.spec import PipelineSpec
from hybridgraph.models import ChatRequest
from hybridgraph.testing import CountedRuns, fake_clients
from hybridgraph.tools.pii.findings import Finding as PiiFinding
from hybridgraph.tools.reports import Report, markdown, to_html
from hybridgraph.yamlconfig import validate_yaml_text

CONTRACT = """MASTER SUPPLY AGREEMENT between Acme Ltd ("Supplier") and Buyer Inc ("Customer").

1. Term. This Agreement renews automatically for successive renewal terms of two years unless either
party gives written notice of non-renewal at least 180 days before the end of the then-current term.

2. Liability. The total aggregate liability of Acme Ltd arising out of this Agreement shall not exceed
the fees paid in the twelve months before the claim.

3. Governing Law. This Agreement and any dispute arising out of it shall be governed by and construed in
accordance with the laws of England and Wales, and the courts of London have exclusive jurisdiction.
"""
CATEGORIES = ["Renewal Term", "Cap on Liability", "Governing Law", "Audit Rights"]


class Names:
    """A detector that finds the two company names (Presidio is for the integration tests)."""

    config = None

    def detect(self, text: str) -> list[PiiFinding]:
        names = [PiiFinding(m.start(), m.end(), "ORGANIZATION", 0.9) for m in re.finditer(r"Acme Ltd|Buyer Inc", text)]
        return names + [PiiFinding(m.start(), m.end(), "IBAN_CODE", 0.9) for m in re.finditer(r"DE\d{20}", text)]


def judgement(status: str, rule: str = "", explanation: str = "because") -> str:
    return json.dumps({"status": status, "rule": rule, "explanation": explanation})


def local_reply(request: ChatRequest) -> str:
    prompt = request.messages[-1].content
    if "renewal term clause" in prompt:
        return judgement("violation", "R-09", "renewal terms of two years exceed one year")
    if "cap on liability clause" in prompt:
        return judgement("needs_review")
    return judgement("compliant", "", "an accepted law")


def review(**options: Any) -> Pipeline:
    steps = [
        ("redact", "redactor"),
        (
            "find",
            "clause-finder",
            {"categories": CATEGORIES, "min_score": 0.4, "ranking": "lexical"},
        ),  # short: low scores
        ("judge", "clause-judge"),
        ("verify_quotes", "quote-verifier"),
        ("report", "reporter"),
    ]
    options.setdefault("redactor", RedactorAgent(detector=Names()))
    return Pipeline.compose("test-review", steps, **options)  # type: ignore[arg-type]


def by_category(report: Report) -> dict[str, Any]:
    return {f.category: f for f in report.findings}


async def test_review_without_cloud_marks_skipped_escalations_for_review() -> None:
    result = await review(clients=fake_clients(local_reply)).run(CONTRACT, source="msa.txt")
    report = result.report
    assert report is not None
    found = by_category(report)
    assert found["Renewal Term"].status == "violation" and found["Renewal Term"].rule == "R-09"
    assert found["Governing Law"].status == "compliant" and found["Governing Law"].route == "local"
    assert found["Audit Rights"].status == "not_found"
    cap = found["Cap on Liability"]
    assert cap.status == "needs_review"
    assert cap.review.startswith("escalation skipped: no cloud endpoint is configured (cloud-gpt")
    assert report.skipped_escalations == [cap.review]
    assert [f.status for f in report.findings] == ["violation", "needs_review", "compliant", "not_found"]
    for f in report.findings[:3]:  # quotes are the contract's words, located
        assert CONTRACT[f.start : f.end] == f.quote and f.line is not None
    assert result.status == "needs_review" and report.needs_review == 1
    assert report.economics["local_share"] == 1.0 and report.economics["model_steps"] == 3


async def test_a_compliant_answer_that_a_rule_check_contradicts_is_reviewed_with_the_measurement() -> None:
    # The shipped checklist's R-15 allows only German, English or New York law; the local model
    # calls a Swedish law clause compliant. The verifier's rule check escalates it; with no
    # cloud endpoint, a person reviews it, and the report says what was measured.
    contract = CONTRACT.replace("England and Wales", "Sweden").replace("London", "Stockholm")
    report = (await review(clients=fake_clients(local_reply)).run(contract)).report
    assert report is not None
    law = by_category(report)["Governing Law"]
    assert law.status == "needs_review" and law.rule == "R-15"
    assert law.explanation.startswith("R-15: the governing law is Sweden, not one of Germany, England, New York. ")
    assert "tentative, from the local model: compliant" in law.explanation
    assert law.review.startswith("escalation skipped: no cloud endpoint is configured")
    renewal = by_category(report)["Renewal Term"]  # the model's own "violation" agrees with R-09's check
    assert renewal.status == "violation" and renewal.route == "local"


async def test_a_cloud_answer_cannot_overrule_a_measured_breach_it_could_not_see() -> None:
    # The cloud sees "laws of <LOCATION_1>" and calls the clause compliant; the check measures the
    # real text, so the clause still ends with a person, and the cloud never saw the place.
    class Places(Names):
        def detect(self, text: str) -> list[PiiFinding]:
            places = [PiiFinding(m.start(), m.end(), "LOCATION", 0.9) for m in re.finditer(r"Sweden|Stockholm", text)]
            return super().detect(text) + places

    contract = CONTRACT.replace("England and Wales", "Sweden").replace("London", "Stockholm")
    clients = fake_clients(local_reply, lambda request: judgement("compliant"), scanner=Places().detect)
    result = await review(clients=clients, redactor=RedactorAgent(detector=Places())).run(contract)
    law = by_category(result.report)["Governing Law"]  # type: ignore[arg-type]
    assert law.status == "needs_review" and law.rule == "R-15"
    assert (
        law.explanation.startswith("R-15: the governing law is Sweden") and "from the public model" in law.explanation
    )
    sent = [m.content for call in clients[1].layer(type(clients[1].inner)).calls for m in call.messages]  # type: ignore[attr-defined]
    assert sent and not any("Sweden" in text for text in sent)


async def test_a_local_retry_is_told_what_the_check_measured_and_may_correct_itself() -> None:
    # Restricted (an IBAN): the policy sends the rejected answer back to the local model, whose
    # second prompt carries the measurement; a model that then calls it a violation is accepted.
    contract = CONTRACT.replace("England and Wales", "Sweden") + "\nPayments to DE12345678901234567890.\n"
    prompts: list[str] = []

    def reply(request: ChatRequest) -> str:
        prompt = request.messages[-1].content
        if "governing law clause" not in prompt:
            return local_reply(request)
        prompts.append(prompt)
        told = "A check of your previous answer found:\n- R-15: the governing law is Sweden, not one of" in prompt
        return judgement("violation", "R-15", "swedish law is not allowed") if told else judgement("compliant")

    report = (await review(clients=fake_clients(reply)).run(contract)).report
    assert report is not None and report.sensitivity == "restricted"
    law = by_category(report)["Governing Law"]
    assert law.status == "violation" and law.rule == "R-15" and law.route == "local" and not law.review
    assert len(prompts) == 2 and "A check of your previous answer" not in prompts[0]


async def test_each_finding_carries_the_local_answers_token_confidence() -> None:
    import math

    from hybridgraph.models import Completion
    from hybridgraph.zones import TrustZone

    def sure(request: ChatRequest) -> Completion:
        assert request.logprobs
        return Completion(
            text=local_reply(request), endpoint="local", model="f", zone=TrustZone.LOCAL, logprobs=(-0.1, -0.3)
        )

    report = (await review(clients=fake_clients(sure)).run(CONTRACT)).report
    assert report is not None
    judged = [f for f in report.findings if f.status != "not_found"]
    assert judged and all(f.token_confidence == pytest.approx(math.exp(-0.2)) for f in judged)
    assert by_category(report)["Audit Rights"].token_confidence is None  # nothing was asked


async def test_escalation_sends_pseudonymised_clause_and_restores_names() -> None:
    def cloud_reply(request: ChatRequest) -> str:
        org = re.search(r"<ORG[A-Z]*_\d+>", request.messages[-1].content)
        return judgement("compliant", "", f"{org.group(0) if org else 'the supplier'} caps at a year of fees")

    clients = fake_clients(local_reply, cloud_reply, scanner=Names().detect)
    result = await review(clients=clients).run(CONTRACT)
    cap = by_category(result.report)["Cap on Liability"]  # type: ignore[arg-type]
    assert cap.status == "compliant" and cap.route == "cloud" and cap.review == ""
    assert "Acme Ltd caps" in cap.explanation  # the placeholder was restored locally
    sent = [m.content for m in clients[1].layer(type(clients[1].inner)).calls[0].messages]  # type: ignore[attr-defined]
    assert not any("Acme" in text or "Buyer" in text for text in sent)
    assert "escalate-on-verdict" in cap.route_reason
    assert result.report.economics["zones"]["public"]["calls"] == 1  # type: ignore[union-attr]


def test_report_formats() -> None:
    result = review(clients=fake_clients(local_reply)).run_sync(CONTRACT, source="msa.txt")
    report = result.report
    assert report is not None
    Report.model_validate_json(report.model_dump_json())
    text = markdown(report)
    assert text.index("Renewal Term: violation") < text.index("Governing Law: compliant")
    assert "| Audit Rights | not_found |" in text and "Escalations skipped" in text
    hostile = report.model_copy(update={"source": "<script>x</script>.txt"})
    assert "<script>" not in to_html(hostile)


def test_write_reports(tmp_path: Path) -> None:
    pipeline = review(clients=fake_clients(local_reply))
    files = pipeline.write_reports(pipeline.run_sync(CONTRACT, source="msa.txt"), tmp_path)
    assert sorted(f.name for f in files) == ["msa.test-review.html", "msa.test-review.json", "msa.test-review.md"]
    assert json.loads((tmp_path / "msa.test-review.json").read_text())["findings"][0]["category"] == "Renewal Term"


async def test_stream_yields_each_step() -> None:
    pipeline = review(clients=fake_clients(local_reply))
    steps = [s async for s, _ in pipeline.stream(CONTRACT)]
    assert steps == ["redact", "find", "judge", "verify_quotes", "report", "__values__"]
    assert pipeline.context.redactor._vaults == {}  # a batch holds only the vaults of runs in progress


async def test_a_batch_keeps_its_concurrency_and_isolates_each_documents_failure(tmp_path: Path) -> None:
    from hybridgraph.cli.pipelines import _batch

    async def slow(request: ChatRequest) -> str:
        await asyncio.sleep(0.005)  # the runs overlap
        return local_reply(request)

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(7):
        (folder / f"msa-{i}.txt").write_text(CONTRACT, encoding="utf-8")
    (folder / "empty.txt").write_text("  ", encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    pipeline = CountedRuns(review(clients=fake_clients(slow)))
    rows = await _batch(pipeline, sorted(folder.iterdir()), tmp_path / "out", concurrency=3, quiet=True)
    assert pipeline.peak == 3
    failed = {Path(r["input"]).name: r for r in rows if r.get("error")}
    assert sorted(failed) == ["broken.pdf", "empty.txt"]
    assert all(r["fix"] for r in failed.values()) and "Traceback" not in str(failed)
    done = [r for r in rows if not r.get("error")]
    assert len(done) == 7 and all(r["summary"]["violation"] == 1 for r in done)
    assert len(list((tmp_path / "out").glob("*.json"))) == 7
    assert pipeline.context.redactor._vaults == {}


async def test_skip_done_reuses_the_reports_of_unchanged_inputs_only(tmp_path: Path) -> None:
    from hybridgraph.cli.pipelines import _batch

    calls: list[str] = []

    def counted(request: ChatRequest) -> str:
        calls.append(request.messages[-1].content)
        return local_reply(request)

    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for i in range(3):
        (folder / f"msa-{i}.txt").write_text(CONTRACT, encoding="utf-8")
    inputs = sorted(folder.iterdir())
    pipeline = review(clients=fake_clients(counted))
    first = await _batch(pipeline, inputs, out, concurrency=2, quiet=True, skip_done=True)
    assert not any(r.get("skipped") for r in first) and len(calls) > 0
    report = Report.model_validate_json((out / "msa-0.test-review.json").read_text(encoding="utf-8"))
    assert len(report.input_sha256) == 64
    assert [Path(f).suffix for f in first[0]["reports"]] == [".md", ".html", ".json"]  # as the spec lists them
    assert not list(out.glob(".*.tmp"))  # each file was written whole, then moved into place
    assert (out / "msa-0.test-review.json").stat().st_mode & 0o077 == 0  # real names: the owner's alone

    calls.clear()
    again = await _batch(pipeline, inputs, out, concurrency=2, quiet=True, skip_done=True)
    assert all(r.get("skipped") for r in again) and calls == []
    assert again[0]["reports"] == first[0]["reports"]

    (folder / "msa-1.txt").write_text(CONTRACT + "\n4. Notices. In writing.\n", encoding="utf-8")  # changed
    (out / "msa-2.test-review.json").write_text('{"pipeline": "test-rev', encoding="utf-8")  # cut short
    finished: list[dict[str, Any]] = []
    third = await _batch(pipeline, inputs, out, concurrency=2, quiet=True, skip_done=True, finished=finished)
    assert [bool(r.get("skipped")) for r in third] == [True, False, False]
    assert len(finished) == 3 and calls
    calls.clear()
    await _batch(pipeline, inputs[:1], out, concurrency=1, quiet=True)  # without the flag: runs again
    assert calls
    calls.clear()
    changed = review(clients=fake_clients(counted))
    changed.spec = changed.spec.model_copy(update={"description": "another version"})  # the same name, edited
    assert changed.fingerprint != pipeline.fingerprint
    rerun = await _batch(changed, inputs, out, concurrency=2, quiet=True, skip_done=True)
    assert not any(r.get("skipped") for r in rerun) and calls


def test_report_names_are_unique_and_stay_put_when_files_join(tmp_path: Path) -> None:
    from hybridgraph.cli.pipelines import report_names

    x, y = tmp_path / "x" / "a.txt", tmp_path / "y" / "a.txt"
    names = report_names([x, y, tmp_path / "a.txt-1.md", tmp_path / "b.pdf", tmp_path / "a.md"])
    assert len(set(names)) == 5 and names[3] == "b" and names[4] == "a.md"
    assert report_names([x, y]) == names[:2]  # hashed by path, not numbered by position
    assert report_names([tmp_path / "a.txt", tmp_path / "a.docx"]) == ["a.txt", "a.docx"]


def test_skip_done_needs_the_json_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridgraph.cli import pipelines as cli

    pipeline = review(clients=fake_clients(local_reply))
    pipeline.spec = pipeline.spec.model_copy(update={"outputs": ("markdown",)})
    monkeypatch.setattr(Pipeline, "load", classmethod(lambda cls, ref, **o: pipeline))
    (tmp_path / "msa.txt").write_text(CONTRACT, encoding="utf-8")
    with pytest.raises(ConfigError, match="JSON reports") as error:
        cli.run_pipeline("test-review", [tmp_path / "msa.txt"], tmp_path / "out", 1, False, None, skip_done=True)
    assert "add json" in (error.value.fix or "")


def test_a_stopped_batch_says_how_far_it_got_and_how_to_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import typer

    from hybridgraph.cli import pipelines as cli

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"msa-{i}.txt").write_text(CONTRACT, encoding="utf-8")
    pipeline = review(clients=fake_clients(local_reply))
    real_run = pipeline.run

    async def run(document: Path, **options: Any) -> Any:
        if document.name == "msa-2.txt":
            raise KeyboardInterrupt  # as Ctrl-C arrives
        return await real_run(document, **options)

    monkeypatch.setattr(pipeline, "run", run)
    monkeypatch.setattr(Pipeline, "load", classmethod(lambda cls, ref, **o: pipeline))
    with pytest.raises(typer.Exit) as stopped:
        cli.run_pipeline("test-review", [folder], tmp_path / "out", 1, False, None)
    assert stopped.value.exit_code == 130
    err = capsys.readouterr().err
    assert "2 of 3 documents have their reports" in err and "--skip-done" in err
    assert len(list((tmp_path / "out").glob("*.json"))) == 2


async def test_served_graph_takes_just_the_document_and_uses_the_servers_thread() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    pipeline = review(clients=fake_clients(local_reply))
    graph = pipeline.served(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "thread-7"}}
    state = await graph.ainvoke({"document": CONTRACT, "source": "msa.txt"}, config)
    assert state["run_id"] == "thread-7" and state["reachable"] == ["local"]
    assert pipeline.context.redactor._vaults == {}  # released at the end: a server holds no finished run's vault
    assert by_category(Report.model_validate(state["report"]))["Renewal Term"].status == "violation"
    assert (await graph.aget_state(config)).values["source"] == "msa.txt"
    with pytest.raises(InputError, match="empty"):
        await graph.ainvoke({"document": "  ", "source": "x"}, {"configurable": {"thread_id": "t2"}})


def test_quote_verifier_relocates_or_flags() -> None:
    document = "1. Term. Two   years.\n2. Law. Sweden."
    moved = QuoteVerifier.check(document, {"category": "x", "quote": "Two years.", "start": 0, "end": 3})
    assert document[moved["start"] : moved["end"]] == "Two   years."
    made_up = QuoteVerifier.check(document, {"category": "x", "quote": "Three years.", "start": 0, "end": 3})
    assert made_up["status"] == "needs_review" and "word for word" in made_up["review"]


def test_empty_document_is_an_input_error() -> None:
    with pytest.raises(InputError, match="empty"):
        review(clients=fake_clients(local_reply)).run_sync("  \n ")


def test_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "contract.rtf"
    path.write_text("x")
    with pytest.raises(InputError, match="takes pdf, docx"):
        review(clients=fake_clients(local_reply)).run_sync(path)


def spec_error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate_yaml_text(text, PipelineSpec, source="p.yaml")
    return caught.value


def test_spec_errors_point_at_the_problem() -> None:
    error = spec_error("name: x\nsteps:\n  - id: a\n    agent: redactr\n")
    assert "p.yaml:4:12" in error.message and "did you mean 'redactor'" in error.message
    error = spec_error("name: x\npolcy: strict\nsteps:\n  - {id: a, agent: redactor}\n")
    assert "p.yaml:2:1" in error.message and "did you mean 'policy'" in (error.fix or "")
    error = spec_error("name: x\nsteps:\n  - id: j\n    agent: clause-judge\n    with: {concurency: 3}\n")
    assert "p.yaml:5:11" in error.message and "did you mean 'concurrency'" in error.message
    error = spec_error("name: x\npolicy: stric\nsteps:\n  - {id: a, agent: redactor}\n")
    assert "did you mean 'strict'" in error.message
    error = spec_error("name: x\nsteps:\n  - {id: a, agent: redactor}\nedges:\n  - {from: a, to: b}\n")
    assert "no step 'b'" in error.message
    error = spec_error("name: x\nsteps:\n  - {id: a, agent: redactor}\n  - {id: a, agent: reporter}\n")
    assert "repeated: a" in error.message
    assert "steps" in spec_error("name: x\n").message
    error = spec_error("name: x\nmodels: {local: ollama-qwn}\nsteps:\n  - {id: a, agent: redactor}\n")
    assert "p.yaml:2:17" in error.message and "Did you mean 'ollama-qwen'" in error.message


def test_shipped_pipelines_are_valid() -> None:
    shipped = shipped_pipelines()
    assert "contract-review" in shipped
    for path in shipped.values():
        spec = Pipeline.from_yaml(path).spec
        assert spec.schema_ is not None and spec.steps


class Shout(PipelineAgent):
    """A user's agent: upper-cases a state field into a warning."""

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        prefix: str = ""

    async def __call__(self, state: Any, config: Any = None) -> dict[str, Any]:
        return {"warnings": [f"{self.config.prefix}{state['sensitivity'].upper()}"]}  # type: ignore[attr-defined]


def test_registered_agent_and_conditional_edges() -> None:
    register_agent("shout", Shout)
    yaml_text = """
name: branching
steps:
  - {id: redact, agent: redactor}
  - {id: loud, agent: shout, with: {prefix: "level "}}
  - {id: report, agent: reporter}
edges:
  - {from: redact, to: loud, when: {sensitivity: [internal, confidential], has: entity_counts}}
  - {from: redact, to: report}
  - {from: loud, to: report}
  - {from: report, to: end}
"""
    spec = validate_yaml_text(yaml_text, PipelineSpec)
    pipeline = Pipeline(spec, clients=fake_clients(local_reply), redactor=RedactorAgent(detector=Names()))
    loud = pipeline.run_sync(CONTRACT)
    assert any(w.startswith("level ") for w in loud.state["warnings"])
    quiet = pipeline.run_sync("Nothing sensitive here: 1. Term. One year.")
    assert not quiet.state["entity_counts"] and not quiet.state.get("warnings")


def test_unknown_pipeline_suggests_a_shipped_one() -> None:
    with pytest.raises(ConfigError, match="unknown pipeline") as caught:
        Pipeline.load("contract-reviw")
    assert "did you mean 'contract-review'" in (caught.value.fix or "")


NDA = """MUTUAL NON-DISCLOSURE AGREEMENT between Acme Ltd and Buyer Inc.

1. Use. The Receiving Party shall use the Confidential Information solely to evaluate the proposed supply
and for no other purpose.

2. Return. On termination of this Agreement the Receiving Party shall return or destroy all Confidential
Information, except that it may retain one archival copy.

3. Survival. The obligations of confidentiality survive the termination of this Agreement for five years.
"""


def nda_reply(request: ChatRequest) -> str:
    statement = request.messages[-1].content.split("\n", 1)[0]
    label = "entailment" if "destroy or return" in statement or "retain" in statement else "not_mentioned"
    return json.dumps({"label": label, "explanation": "as the passage says"})


def test_nda_check_labels_statements_and_judges_them_by_what_the_company_wants() -> None:
    pipeline = Pipeline.load("nda-check", clients=fake_clients(nda_reply), redactor=RedactorAgent(detector=Names()))
    report = pipeline.run_sync(NDA, source="nda.txt").report
    assert report is not None and len(report.findings) == 17
    found = {f.rule: f for f in report.findings}
    assert found["NDA-16"].label == "entailment" and found["NDA-16"].status == "compliant"  # want: entailment
    assert found["NDA-20"].label == "entailment" and found["NDA-20"].status == "violation"  # want: contradiction
    assert "retain one archival copy" in found["NDA-20"].quote
    modelled = [f for f in report.findings if f.route == "local"]
    unmentioned = [f for f in report.findings if f.route == "none"]
    assert modelled and unmentioned and all(f.label == "not_mentioned" and not f.quote for f in unmentioned)
    assert all(
        f.status == ("compliant" if want == "contradiction" else "violation")
        for f in unmentioned
        for want in [pipeline.context.checklist.for_category("NDA", (f.rule,))[0].want]
    )


async def test_a_restricted_contract_is_judged_locally_only() -> None:
    def cloud_reply(request: ChatRequest) -> str:
        raise AssertionError("a clause of a restricted contract reached the cloud")

    clients = fake_clients(local_reply, cloud_reply, scanner=Names().detect)
    iban = "\n\n4. Payment. Fees are paid to the account DE89370400440532013000.\n"
    result = await review(clients=clients).run(CONTRACT + iban)
    assert result.state["sensitivity"] == "restricted"
    cap = by_category(result.report)["Cap on Liability"]  # type: ignore[arg-type]
    assert cap.status == "needs_review" and "restricted-local" in cap.route_reason  # never cloud_redacted
    assert cap.route == "human" and cap.review.startswith("stop-after-two")  # the policy asks a person


async def test_names_found_anywhere_in_the_document_are_pseudonymised_in_every_clause() -> None:
    class PreambleOnly(Names):
        """Finds the names only in the preamble, as NER may with a party's defined name."""

        def detect(self, text: str) -> list[PiiFinding]:
            return [f for f in super().detect(text) if "AGREEMENT between" in text]

    seen: list[str] = []

    def cloud_reply(request: ChatRequest) -> str:
        seen.append(request.messages[-1].content)
        return judgement("compliant")

    clients = fake_clients(local_reply, cloud_reply, scanner=PreambleOnly().detect)
    pipeline = review(clients=clients, redactor=RedactorAgent(detector=PreambleOnly()))
    await pipeline.run(CONTRACT)
    assert seen and all("Acme" not in text for text in seen)  # the liability clause names Acme Ltd


def test_a_statement_the_checklist_lacks_is_a_clear_error() -> None:
    pipeline = Pipeline.compose(
        "mismatch",
        [
            ("find", "clause-finder", {"categories": ["Governing Law"], "min_score": 0.1}),
            ("judge", "clause-judge", {"mode": "statements"}),
        ],
        clients=fake_clients(nda_reply),
        redactor=RedactorAgent(detector=Names()),
    )
    with pytest.raises(ConfigError, match="names no statement of the checklist"):
        pipeline.run_sync(CONTRACT)


def test_a_non_english_contract_stays_local_and_the_report_says_why() -> None:
    text = (
        "RAHMENVERTRAG zwischen der Acme GmbH und der Käufer AG.\n\n1. Laufzeit. Dieser Vertrag verlängert sich "
        "automatisch um jeweils zwei Jahre, wenn er nicht mit einer Frist von sechs Monaten gekündigt wird.\n\n"
        "2. Haftung. Die Haftung des Lieferanten ist auf die im letzten Jahr gezahlten Entgelte begrenzt.\n"
    )
    report = review(clients=fake_clients(local_reply)).run_sync(text, source="vertrag.txt").report
    assert report is not None and report.sensitivity == "restricted"
    assert any("does not look like English" in w for w in report.warnings)
    assert "does not look like English" in markdown(report)


def test_the_shipped_json_schema_is_current() -> None:
    import subprocess
    import sys

    from hybridgraph.graphs.pipeline import SHIPPED

    # a fresh process: agents other tests register in this one are in its schema
    command = [sys.executable, "-c", "from hybridgraph.cli import main; main()", "schema", "pipeline"]
    generated = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout)
    shipped = json.loads((SHIPPED.parent / "pipeline.schema.json").read_text(encoding="utf-8"))
    assert shipped == generated, "regenerate it: hybridgraph schema pipeline > graphs/pipeline.schema.json"


def test_the_default_concurrency_follows_the_cores_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from hybridgraph.cli.pipelines import default_concurrency

    for cores, expected in ((1, 2), (2, 2), (6, 6), (64, 8)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)), raising=False)
        assert default_concurrency() == expected
