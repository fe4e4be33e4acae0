"""Ingestion of real files of every supported format into Qdrant, and search over them."""

from __future__ import annotations

from pathlib import Path

import pytest
from document_files import docx, pdf, text_page

from hybridgraph.errors import InputError
from hybridgraph.tools.embeddings import SentenceTransformerEmbedder
from hybridgraph.tools.ingest import Ingestor
from hybridgraph.tools.loaders import load_document
from hybridgraph.tools.vectorstore import QdrantStore
from hybridgraph.zones import Sensitivity

pytestmark = pytest.mark.integration

CONTRACT = """SUPPLY AGREEMENT

This Supply Agreement is made between Nordwind Logistik GmbH ("Supplier") and Harbor Crest Foods, Inc. ("Buyer").

1. Term. This Agreement starts on the Effective Date and renews automatically for successive one-year terms
unless either party gives notice of non-renewal at least ninety days before the end of the then-current term.

2. Limitation of Liability. The Supplier's aggregate liability under this Agreement shall not exceed the fees
paid by the Buyer in the twelve months before the claim.

3. Governing Law. This Agreement is governed by the laws of the State of New York.

4. Payment. Invoices are paid to IBAN DE89370400440532013000 within thirty days. Contact Maria Gonzalez.

5. Audit. The Buyer may audit the Supplier's records once a year on thirty days' notice.
"""


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_every_format_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(CONTRACT, encoding="utf-8")
    (tmp_path / "b.md").write_text("# Checklist\n\n- Liability must be capped.\n", encoding="utf-8")
    (tmp_path / "c.html").write_text("<html><body><h1>Policy</h1><p>Audit rights are required.</p></body></html>")
    texts = {
        "a.txt": load_document(tmp_path / "a.txt"),
        "b.md": load_document(tmp_path / "b.md"),
        "c.html": load_document(tmp_path / "c.html"),
        "d.docx": load_document(docx(tmp_path / "d.docx", ["Termination for convenience", "Thirty days notice."])),
        "e.pdf": load_document(pdf(tmp_path / "e.pdf", [text_page("Change of control requires consent.")])),
    }
    assert texts["a.txt"].doc_type == "contract" and texts["b.md"].doc_type == "document"
    assert "capped" in texts["b.md"].text and "Audit rights" in texts["c.html"].text
    assert "Thirty days" in texts["d.docx"].text and "Change of control" in texts["e.pdf"].text


async def test_ingest_skips_bad_files_and_search_finds_the_clause(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "supply.txt").write_text(CONTRACT, encoding="utf-8")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (docs / "empty.txt").write_bytes(b"")
    odd = tmp_path / "notes.xyz"
    odd.write_text("x")
    store = QdrantStore(":memory:")
    seen: list[str] = []
    report = await Ingestor(store, embedder).ingest([docs, odd], "kb", progress=lambda p, n: seen.append(p.name))
    assert report.files == 1 and report.chunks >= 2  # the restricted payment clause is never joined to the rest
    assert {Path(s).name for s, _ in report.skipped} == {"broken.pdf", "empty.txt", "notes.xyz"}
    assert all("Maria" not in reason for _, reason in report.skipped)
    assert seen == ["broken.pdf", "empty.txt", "supply.txt", "notes.xyz"]
    hits = await store.search("kb", await embedder.embed_one("cap on the supplier's liability"), k=3)
    assert "Limitation of Liability" in hits[0].passage.text
    payment = list(await store.search("kb", await embedder.embed_one("IBAN payment"), k=10))
    assert any(h.passage.sensitivity is Sensitivity.RESTRICTED for h in payment)
    safe = await store.search(
        "kb", await embedder.embed_one("IBAN payment"), k=10, max_sensitivity=Sensitivity.INTERNAL
    )
    assert safe and all("DE8937" not in h.passage.text for h in safe)
    again = await Ingestor(store, embedder).ingest([docs / "supply.txt"], "kb")
    assert await store.count("kb") == report.chunks == again.chunks  # idempotent
    await store.close()


async def test_retriever_node_returns_passages_within_the_sensitivity_ceiling(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    from langgraph.graph import END, START, StateGraph

    from hybridgraph.agents import RetrieverAgent
    from hybridgraph.state import NodeName, RunState

    (tmp_path / "supply.txt").write_text(CONTRACT, encoding="utf-8")
    store = QdrantStore(":memory:")
    await Ingestor(store, embedder).ingest([tmp_path / "supply.txt"], "kb")
    for ceiling, allowed in ((None, True), (Sensitivity.INTERNAL, False)):
        graph = StateGraph(RunState)
        graph.add_node(NodeName.RETRIEVE, RetrieverAgent(store, embedder, "kb", k=10, max_sensitivity=ceiling))
        graph.add_edge(START, NodeName.RETRIEVE)
        graph.add_edge(NodeName.RETRIEVE, END)
        state = await graph.compile().ainvoke({"query": "where is the payment made to"})
        passages = state["passages"]
        assert passages and passages[0]["score"] >= passages[-1]["score"]
        assert passages[0]["source"].endswith("supply.txt") and passages[0]["end"] > passages[0]["start"]
        assert any("DE8937" in p["text"] for p in passages) is allowed
    graph = StateGraph(RunState)
    graph.add_node(NodeName.RETRIEVE, RetrieverAgent(store, embedder, "kb", k=1))
    graph.add_edge(START, NodeName.RETRIEVE)
    graph.add_edge(NodeName.RETRIEVE, END)
    phrased = await graph.compile().ainvoke({"query": ["which law governs", "laws of the State of"]})
    assert "New York" in phrased["passages"][0]["text"]
    with pytest.raises(InputError, match="the retriever has no query"):
        await graph.compile().ainvoke({"query": [" "]})
    await store.close()
