"""Document files made by hand for tests: a minimal DOCX and a minimal PDF (offsets computed)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

_DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    'wordprocessingml/2006/main"><w:body>{}</w:body></w:document>'
)


def docx(path: Path, paragraphs: list[str], *, extra: dict[str, bytes] | None = None) -> Path:
    """A DOCX with one paragraph per item, deflated, and ``extra`` parts (name to bytes) beside it."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("word/document.xml", _DOCUMENT_XML.format(body))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def text_page(text: str) -> bytes:
    """A page's content stream that shows ``text`` in Helvetica."""
    return f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()


def pdf(path: Path, pages: list[bytes], *, compress: bool = False, form: bytes = b"") -> Path:
    """A PDF with one content stream per page (FlateDecode when ``compress``) and a form XObject
    /Fm1 with the content ``form``, which pages may draw (``/Fm1 Do``)."""
    n = len(pages)
    font, xobject = 3 + 2 * n, 4 + 2 * n
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()]
    for i, content in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> /XObject << /Fm1 {xobject} 0 R >> >> >>".encode()
        )
        objects.append(_stream(zlib.compress(content, 9) if compress else content, compress))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    form_dict = f"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >> >>"
    objects.append(_stream(form, False, form_dict.encode()))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def _stream(data: bytes, flate: bool, entries: bytes = b"") -> bytes:
    filters = b" /Filter /FlateDecode" if flate else b""
    return b"<< /Length %d%s %s >>\nstream\n" % (len(data), filters, entries) + data + b"\nendstream"
