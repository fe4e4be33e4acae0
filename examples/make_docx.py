"""Write a plain-text document as a minimal Word (.docx) file: one paragraph per block of lines.

    python examples/make_docx.py examples/ndas/mutual-nda.txt examples/ndas/mutual-nda.docx

The sample DOCX files in examples/ were made with it; the pipelines read them through
LangChain's Docx2txtLoader, as they would read any Word file.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def paragraphs(text: str) -> list[str]:
    """Blocks of text separated by blank lines, each joined into one line (Markdown marks dropped)."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return [" ".join(re.sub(r"^#+\s*|\*\*", "", line).strip() for line in b.splitlines()) for b in blocks]


def document_xml(text: str) -> str:
    """The WordprocessingML body: one <w:p> per paragraph."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs(text))
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    return f'{head}<w:document xmlns:w="{NS}"><w:body>{body}</w:body></w:document>'


def write_docx(source: Path, target: Path) -> None:
    """Write ``source`` (UTF-8 text) as the Word file ``target``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("[Content_Types].xml", CONTENT_TYPES)
        docx.writestr("_rels/.rels", RELS)
        docx.writestr("word/document.xml", document_xml(source.read_text(encoding="utf-8")))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python examples/make_docx.py SOURCE.txt TARGET.docx")
    write_docx(Path(sys.argv[1]), Path(sys.argv[2]))
