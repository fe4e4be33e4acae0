"""Reading documents from disk: PDF, DOCX, HTML, Markdown, text; and finding them in folders.

A file is read once, as bytes, and its format's reader (``hybridgraph.tools.readers``) takes
the text from those bytes, with decompression bounded. Every failure is an ``InputError`` that
names the file, the real cause (permission, encoding, a link loop, a decompression bomb) and
what to do; the ingestion loop reports it and goes on with the next file.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hybridgraph.errors import InputError
from hybridgraph.textinput import decode_text, read_bytes, refuse_nul
from hybridgraph.tools.readers import UnpackLimits, read_docx, read_html, read_pdf

__all__ = ["MAX_BYTES", "SUFFIXES", "LoadedDocument", "expand_paths", "load_document"]

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
    """The text of ``path``; ``doc_type`` is "contract" or "document" (guessed when not given).
    A compressed format may unpack to ``UnpackLimits.for_file(max_bytes)``; text with a NUL is refused."""
    _check_file(path, max_bytes)
    data = read_bytes(path)
    try:
        text = _extract(path.suffix.lower(), data, path.name, UnpackLimits.for_file(max_bytes))
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - each reader fails in its own way on a damaged file
        raise InputError(
            f"{path.name} could not be read as {path.suffix.lstrip('.').upper()} ({type(exc).__name__})",
            fix="check that the file opens in its usual program, or convert it to text",
        ) from None
    refuse_nul(text, f"the text extracted from {path.name}")
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


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given (whatever their type, so an unsupported one is reported), and inside folders,
    recursively and in name order, the supported files (a broken link among them) and every link
    that loops, so that ``load_document`` reports it rather than it being skipped quietly. Links
    to folders are followed, except one that leads back to a folder it is in: that one is listed."""
    files: list[Path] = []
    for path in paths:
        files += sorted(_walk(path, ())) if path.is_dir() else [path]
    return files


def _walk(folder: Path, above: tuple[Path, ...]) -> list[Path]:
    real = folder.resolve()
    if real in above:
        return [folder]
    try:
        entries = list(folder.iterdir())
    except OSError:  # unreadable: load_document names the cause
        return [folder]
    found: list[Path] = []
    for entry in entries:
        if entry.is_dir():
            found += _walk(entry, (*above, real))
        elif entry.suffix.lower() in SUFFIXES or _loops(entry):
            found.append(entry)
    return found


def _loops(path: Path) -> bool:
    try:
        path.stat()
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _check_file(path: Path, max_bytes: int) -> None:
    if path.is_dir():
        _refuse_folder(path)
    try:
        size = path.stat().st_size
    except OSError:
        read_bytes(path)  # raises the InputError that names the cause (missing, a loop, a broken link)
        raise
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"{path.name}: '{path.suffix or 'no extension'}' is not a supported format",
            fix=f"convert it to one of {', '.join(SUFFIXES)}",
        )
    if size > max_bytes:
        raise InputError(
            f"{path.name} is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit",
            fix="split the document, or raise the limit with --max-mb",
        )
    if size == 0:
        raise InputError(f"{path.name} is empty", fix="pass a document with some text in it")


def _refuse_folder(path: Path) -> None:
    if path.is_symlink() and path.parent.resolve().is_relative_to(path.resolve()):
        raise InputError(
            f"{path} is a symbolic link loop: it leads back to a folder that contains it",
            fix="remove the link, or point it outside the folder",
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"permission denied: cannot list the folder {path}", fix=f"run `chmod u+rx '{path}'`")
    raise InputError(f"{path} is a folder, not a file", fix="pass files, or folders that contain them")


def _extract(suffix: str, data: bytes, name: str, limits: UnpackLimits) -> str:
    if suffix == ".pdf":
        return read_pdf(data, name, limits)
    if suffix == ".docx":
        return read_docx(data, name, limits)
    if suffix in (".html", ".htm"):
        return read_html(data, name)
    return decode_text(data, name)
