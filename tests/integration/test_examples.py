"""Every example runs as a user would run it: the scripts, the YAML pipelines and the shipped
pipelines on the sample documents (TXT, Markdown and DOCX), with the embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from readme_commands import ROOT

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-c", "from hybridgraph.cli import main; main()"]
EXAMPLES = ROOT / "examples"


def run(args: list[str], tmp_path: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HYBRIDGRAPH_HOME": str(tmp_path / "home")}
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path)


def report(path: Path) -> dict[str, object]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_model_swap_example(tmp_path: Path) -> None:
    result = run([sys.executable, str(EXAMPLES / "model_swap.py")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[local-smollm2 · local]" in result.stdout


def test_compose_pipeline_example(tmp_path: Path) -> None:
    result = run([sys.executable, str(EXAMPLES / "compose_pipeline.py"), "--out", "out"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "note: Renewal Term: a period of 180 days (over the limit)" in result.stdout  # the custom agent
    data = report(tmp_path / "out" / "supplier-agreement.notice-review.json")
    assert [f["category"] for f in data["findings"]] and data["pipeline"] == "notice-review"  # type: ignore[union-attr]


@pytest.mark.parametrize("path", sorted((EXAMPLES / "pipelines").glob("*.yaml")), ids=lambda p: p.stem)
def test_example_pipelines_validate(path: Path, tmp_path: Path) -> None:
    result = run([*CLI, "validate", str(path)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


def test_quick_scan_on_every_sample_format_and_a_bad_file(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n this is not a PDF body \x00\x01")
    samples = [EXAMPLES / "contracts" / f"supplier-agreement.{ext}" for ext in ("txt", "md", "docx")]
    args = [*CLI, "run", str(EXAMPLES / "pipelines" / "quick-scan.yaml"), *map(str, samples), str(corrupt)]
    result = run([*args, "--out", "out", "--json"], tmp_path)
    assert result.returncode == 1  # one document failed; the others were still reviewed and written
    rows = {Path(r["input"]).name: r for r in json.loads(result.stdout)}
    assert "could not be read as PDF" in rows["corrupt.pdf"]["error"] and "Traceback" not in result.stderr
    quotes = []
    for sample in samples:
        row = rows[sample.name]
        assert row["status"] in ("accepted", "needs_review") and len(row["reports"]) == 2  # markdown and json
        data = report(Path(tmp_path / row["reports"][1]))
        quotes.append({f["category"]: " ".join(f["quote"].split()) for f in data["findings"]})  # type: ignore[union-attr]
    assert quotes[0]["Governing Law"] and quotes[0]["Governing Law"] == quotes[2]["Governing Law"]  # TXT and DOCX agree


def test_it_services_review_keeps_restricted_contracts_from_models(tmp_path: Path) -> None:
    contract = EXAMPLES / "contracts" / "supplier-agreement.txt"  # it holds an IBAN: restricted
    result = run(
        [*CLI, "run", str(EXAMPLES / "pipelines" / "it-services-review.yaml"), str(contract), "--json"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)[0]
    assert row["economics"]["model_steps"] == 0 and row["needs_review"] == 4
    data = report(tmp_path / "reports" / "supplier-agreement.it-services-review.json")
    assert all(f["review"].startswith("not judged") for f in data["findings"] if f["quote"])  # type: ignore[union-attr, index]


@pytest.mark.timeout(700)  # a model call per statement: minutes on 2 cores
def test_nda_check_on_the_sample_nda_in_two_formats(tmp_path: Path) -> None:
    ndas = [EXAMPLES / "ndas" / "mutual-nda.txt", EXAMPLES / "ndas" / "mutual-nda.docx"]
    result = run([*CLI, "run", "nda-check", *map(str, ndas), "--concurrency", "2", "--out", "out"], tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("mutual-nda.txt", "mutual-nda.docx"):  # two inputs with one stem: two reports
        data = report(tmp_path / "out" / f"{name}.nda-check.json")
        findings = data["findings"]
        assert len(findings) == 17  # type: ignore[arg-type]
        for f in findings:  # type: ignore[union-attr]
            assert f["label"] in ("entailment", "contradiction", "not_mentioned", "")
            assert f["rule"].startswith("NDA-")


@pytest.mark.timeout(700)  # a model call per statement: minutes on 2 cores
def test_dpa_check_on_the_sample_dpa(tmp_path: Path) -> None:
    result = run([*CLI, "run", "dpa-check", str(EXAMPLES / "dpas" / "cloud-crm-dpa.docx")], tmp_path)
    assert result.returncode == 0, result.stderr
    data = report(tmp_path / "reports" / "cloud-crm-dpa.dpa-check.json")
    assert {f["rule"] for f in data["findings"]} == {f"DPA-{i}" for i in range(1, 14)}  # type: ignore[union-attr]
    assert "cloud-crm-dpa.docx: " in result.stdout and "model steps local" in result.stdout
