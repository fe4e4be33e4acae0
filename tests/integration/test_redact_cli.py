"""``hybridgraph redact`` as a user and a batch evaluation run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-c", "from hybridgraph.cli import main; main()", "redact"]
DOC = (
    'This Supply Agreement is made between Nordwind Logistik GmbH ("Supplier") and Harbor Crest Foods, Inc. '
    '("Buyer"). Strictly confidential. Contact Mr. Oskar Lindgren, oskar@nordwind.de, IBAN DE89370400440532013000.'
)
VALUES = [
    "Nordwind Logistik GmbH",
    "Harbor Crest Foods",
    "Oskar Lindgren",
    "oskar@nordwind.de",
    "DE89370400440532013000",
]


def redact(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, timeout=300, env=os.environ.copy())


def test_plain_output_has_no_values_left(tmp_path: Path) -> None:
    doc = tmp_path / "contract.txt"
    doc.write_text(DOC, encoding="utf-8")
    result = redact(str(doc))
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert "<ORG_1>" in out and "<PERSON_1>" in out and "<IBAN_1>" in out
    assert not [v for v in VALUES if v in out]


def test_json_gives_findings_sensitivity_and_timings() -> None:
    result = redact("--json", "-", stdin=DOC.encode())
    payload = json.loads(result.stdout)
    assert payload["sensitivity"] == "restricted"
    assert {f["entity_type"] for f in payload["findings"]} >= {"ORGANIZATION", "PERSON", "EMAIL_ADDRESS", "IBAN_CODE"}
    assert all(DOC[f["start"] : f["end"]] for f in payload["findings"])
    assert payload["timings"]["detect_s"] > 0 and any("keyword" in r for r in payload["reasons"])


def test_jsonl_batch_keeps_going_past_a_bad_line() -> None:
    texts = [f"Please call Mr. Anton Berg{i} at +1 415 555 {1000 + i:04d}." for i in range(300)]
    lines = [json.dumps({"id": i, "text": t}) for i, t in enumerate(texts)]
    lines.insert(5, "this is not json")
    started = time.perf_counter()
    result = redact("--jsonl", "-", stdin="\n".join(lines).encode())
    seconds = time.perf_counter() - started
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 0 and len(rows) == 301
    assert rows[5] == {"id": None, "line": 6, "error": 'not a JSON object with a string "text"'}
    good = [r for r in rows if "error" not in r]
    assert [r["id"] for r in good] == list(range(300))
    assert all("+1 415 555" not in r["redacted"] for r in good)
    assert seconds < 120, "a batch runs in one process, not one per text"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [(b"", "is empty"), (b"   \n ", "is empty"), (b"\x00\x01PK\x03\x04", "looks binary"), (b"caf\xe9", "not UTF-8")],
)
def test_unusable_input_is_a_clear_error(stdin: bytes, message: str) -> None:
    result = redact("-", stdin=stdin)
    err = result.stderr.decode()
    assert result.returncode == 2 and message in err and "Fix:" in err and "Traceback" not in err


def test_missing_file() -> None:
    result = redact("/no/such/file.txt")
    assert result.returncode == 2 and "no such file" in result.stderr.decode()


def test_text_in_another_language_warns_and_is_restricted() -> None:
    german = (
        "Dieser Vertrag wird zwischen der Nordwind Logistik GmbH und der Firma Hafenkante geschlossen. "
        "Der Lieferant verpflichtet sich, die Waren innerhalb von dreißig Tagen zu liefern. Die Zahlung "
        "erfolgt auf das Konto bei der Sparkasse. Gerichtsstand ist Hamburg, es gilt deutsches Recht."
    )
    plain = redact("-", stdin=german.encode())
    assert plain.returncode == 0 and b"Warning: the text does not look like English" in plain.stderr
    as_json = json.loads(redact("--json", "-", stdin=german.encode()).stdout)
    assert as_json["sensitivity"] == "restricted" and as_json["warnings"]


def test_classification_rules_from_a_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('default: public\nkeywords:\n  "supply agreement": restricted\n', encoding="utf-8")
    result = json.loads(redact("--json", "--rules", str(rules), "-", stdin=b"This is the supply agreement.").stdout)
    assert result["sensitivity"] == "restricted"
    rules.write_text("defualt: public\n", encoding="utf-8")
    bad = redact("--rules", str(rules), "-", stdin=b"text")
    assert bad.returncode == 2 and b"rules.yaml:1" in bad.stderr and b"default" in bad.stderr
