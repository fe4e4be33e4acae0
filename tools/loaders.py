"""Reading documents from disk with LangChain's community loaders: PDF, DOCX, HTML, Markdown, text.

Every failure is an ``InputError`` that names the file and what to do; the ingestion loop
reports it and goes on with the next file.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridgraph.errors import InputError

__all__ = ["MAX_BYTES", "SUFFIXES", "LoadedDocument", "load_document"]

#: Files larger than this are refused (``max_bytes`` overrides it).
MAX_BYTES = 20 * 1024 * 1024
SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")
_CONTRACT_WORDS = re.compile(r"\b(?:agreement|contract|terms and conditions)\b", re.IGNORECASE)
_NUMBERED = re.compile(r"(?m)^[ \t]*(?:\d{1,2}\.|ARTICLE|Section)[ \t]")


@dataclass(frozen=True)
class LoadedDocument:
    """A document's text, where it came from, and its type: contract, checklist or document."""

    text: str
    source: str
    doc_type: str


def load_document(path: Path, max_bytes: int = MAX_BYTES, doc_type: str | None = None) -> LoadedDocument:
    """The text of ``path``; ``doc_type`` is "contract" or "document" (guessed when not given)."""
    _check_file(path, max_bytes)
    try:
        pages = _loader(path).load()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - each reader fails in its own way on a damaged file
        raise InputError(
            f"{path.name} could not be read as {path.suffix.lstrip('.').upper()} ({type(exc).__name__})",
            fix="check that the file opens in its usual program, or convert it to text",
        ) from None
    text = "\n\n".join(page.page_content for page in pages)
    if not text.strip():
        raise InputError(
            f"{path.name} has no text",
            fix="a scanned PDF needs OCR first; otherwise check that the file is not empty",
        )
    return LoadedDocument(text, str(path), doc_type or guess_doc_type(text))


def guess_doc_type(text: str) -> str:
    """The type from the text: "checklist" if its title says so, "contract" if its opening names an
    agreement (both need numbered sections), else "document"."""
    if len(_NUMBERED.findall(text)) < 3:
        return "document"
    if re.search(r"\bchecklist\b", text[:300], re.IGNORECASE):
        return "checklist"
    return "contract" if _CONTRACT_WORDS.search(text[:3000]) else "document"


def _check_file(path: Path, max_bytes: int) -> None:
    if not path.is_file():
        raise InputError(f"{path} is not a file", fix="pass files, or folders that contain them")
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"{path.name}: '{path.suffix or 'no extension'}' is not a supported format",
            fix=f"convert it to one of {', '.join(SUFFIXES)}",
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{path.name} is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit",
            fix="split the document, or raise the limit with --max-mb",
        )
    if size == 0:
        raise InputError(f"{path.name} is empty", fix="pass a document with some text in it")


def _loader(path: Path) -> Any:
    with warnings.catch_warnings():
        # langchain-community announces its sunset on import; the loaders used here still work.
        warnings.simplefilter("ignore", DeprecationWarning)
        return _pick_loader(path)


def _pick_loader(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from langchain_community.document_loaders import PyPDFLoader

        return PyPDFLoader(str(path))
    if suffix == ".docx":
        from langchain_community.document_loaders import Docx2txtLoader

        return Docx2txtLoader(str(path))
    if suffix in (".html", ".htm"):
        from langchain_community.document_loaders import BSHTMLLoader

        return BSHTMLLoader(str(path), open_encoding="utf-8", bs_kwargs={"features": "html.parser"})
    from langchain_community.document_loaders import TextLoader

    return TextLoader(str(path), encoding="utf-8")
