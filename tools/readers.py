"""The text of a document's bytes, per format, with decompression bounded.

A DOCX is a zip archive and a PDF holds compressed streams, so a small file can expand to
gigabytes. Before anything is extracted, ``check_archive`` compares the sizes that the zip's
directory declares (Python's ``zipfile`` never inflates a member past its declared size) with
``UnpackLimits`` (a reader of any other zip-based format must open it through
``check_archive`` too); a PDF is read page by page, and its decoded content streams and
extracted text are counted as they grow, while pypdf bounds each stream it inflates. Past a
limit the reader stops with an ``InputError`` that says which limit and the fix, never what
the document says. HTML, Markdown and text go through ``decode_text``: UTF-8 only, no NUL bytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from hybridgraph.errors import InputError
from hybridgraph.textinput import decode_text

__all__ = ["UNPACK_FACTOR", "UnpackLimits", "check_archive", "read_docx", "read_html", "read_pdf"]

#: By default a file may unpack to this many times the size limit of the file itself.
UNPACK_FACTOR = 5
#: Expansion ratios above this are refused for parts larger than ``_RATIO_FLOOR``.
MAX_RATIO = 100.0
_RATIO_FLOOR = 1 << 20  # a small part may compress well; a bomb is large by definition
_BOMB_FIX = (
    "open it in its usual program and save it again; if it is genuine, convert it to text "
    "(e.g. `pandoc FILE.docx -t plain`, `pdftotext FILE.pdf`) and pass that"
)


@dataclass(frozen=True)
class UnpackLimits:
    """How far a compressed document may expand: ``unpacked_bytes`` in all (and as many characters
    of extracted text), ``ratio`` times its packed size, ``members`` zip entries, ``pages`` pages."""

    unpacked_bytes: int
    ratio: float = MAX_RATIO
    members: int = 10_000
    pages: int = 5_000

    @classmethod
    def for_file(cls, max_bytes: int) -> UnpackLimits:
        """The limits that go with a file size limit of ``max_bytes``."""
        return cls(unpacked_bytes=UNPACK_FACTOR * max_bytes)


def read_html(data: bytes, name: str) -> str:
    """The text of an HTML page (UTF-8), without its markup."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(decode_text(data, name), "html.parser").get_text()


def read_docx(data: bytes, name: str, limits: UnpackLimits) -> str:
    """The text of a DOCX: headers, body and footers, once its archive passed ``check_archive``."""
    import docx2txt  # type: ignore[import-untyped]

    check_archive(data, name, limits).close()
    return str(docx2txt.process(io.BytesIO(data)))


def check_archive(data: bytes, name: str, limits: UnpackLimits) -> zipfile.ZipFile:
    """The zip archive in ``data``, opened, once its declared sizes are within ``limits``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise InputError(f"{name} is damaged: it is not a valid zip archive", fix=_BOMB_FIX) from None
    members = archive.infolist()
    if len(members) > limits.members:
        archive.close()
        raise InputError(f"{name} holds {len(members):,} parts, over the limit of {limits.members:,}", fix=_BOMB_FIX)
    try:
        _check_expansion(name, sum(m.file_size for m in members), len(data), limits)
        for member in members:
            _check_ratio(name, member.file_size, member.compress_size, limits)
    except InputError:
        archive.close()
        raise
    return archive


def read_pdf(data: bytes, name: str, limits: UnpackLimits) -> str:
    """The text of a PDF, its pages' texts stripped and joined by blank lines."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > limits.pages:
            raise InputError(f"{name} has {len(reader.pages):,} pages, over the limit of {limits.pages:,}", fix=_SPLIT)
        return "\n\n".join(_pdf_pages(reader, name, len(data), limits))
    except LimitReachedError:
        raise InputError(f"{name} holds a stream that expands past pypdf's safety limit", fix=_BOMB_FIX) from None


def _pdf_pages(reader: Any, name: str, packed: int, limits: UnpackLimits) -> list[str]:
    texts: list[str] = []
    unpacked = characters = 0
    for page in reader.pages:
        contents = page.get_contents()
        unpacked += 0 if contents is None else len(contents.get_data())
        _check_expansion(name, unpacked, packed, limits)
        texts.append(page.extract_text(extraction_mode="plain").strip())
        characters += len(texts[-1])
        if characters > limits.unpacked_bytes:
            raise InputError(f"{name} holds more than {limits.unpacked_bytes:,} characters of text", fix=_SPLIT)
    return texts


_SPLIT = "split the document into smaller files, or raise the limit (ingest: --max-mb)"


def _check_expansion(name: str, unpacked: int, packed: int, limits: UnpackLimits) -> None:
    _check_ratio(name, unpacked, packed, limits)  # first: a bomb is named as one
    if unpacked > limits.unpacked_bytes:
        raise InputError(
            f"{name} expands to at least {_mb(unpacked)} ({_mb(packed)} packed), over the "
            f"{_mb(limits.unpacked_bytes)} limit for unpacked content",
            fix=_SPLIT,
        )


def _check_ratio(name: str, unpacked: int, packed: int, limits: UnpackLimits) -> None:
    if unpacked > _RATIO_FLOOR and unpacked > limits.ratio * max(packed, 1):
        raise InputError(
            f"{name} expands {unpacked / max(packed, 1):,.0f} times ({_mb(packed)} to {_mb(unpacked)}), "
            f"over the limit of {limits.ratio:.0f} times: it looks like a decompression bomb",
            fix=_BOMB_FIX,
        )


def _mb(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"
