"""Read a document's bytes and text, refusing what is not usable text with the real cause.

One rule for every command that reads a document (``run``, ``redact``, ``ingest``, ``checks``,
``ask -``): a file or standard input that holds a NUL byte anywhere, or bytes that are not
UTF-8, is refused with an ``InputError`` that gives the byte offset and the fix. NULs are
refused rather than stripped because they mark binary or UTF-16 data, and because a NUL inside
a name must never hide the name from detection. The same holds for the text a PDF or DOCX
reader extracts (``refuse_nul``). A file that cannot be opened is refused with its cause:
missing, a folder, permission denied, or a symbolic link loop.
"""

from __future__ import annotations

import codecs
import errno
import sys
from pathlib import Path

from hybridgraph.errors import InputError

__all__ = ["check_text", "decode_text", "read_bytes", "read_text_file", "read_text_input", "refuse_nul"]

_BINARY_FIX = (
    "convert it to plain UTF-8 text first (e.g. `pdftotext FILE.pdf -`; for UTF-16, `iconv -f utf-16 -t utf-8`), "
    "or remove the NUL bytes with `tr -d '\\000'`"
)


def read_text_input(source: str) -> str:
    """The UTF-8 text of file ``source``, or of standard input when ``source`` is '-'."""
    if source == "-":
        return check_text(decode_text(sys.stdin.buffer.read(), "standard input"), "standard input")
    return check_text(decode_text(read_bytes(Path(source)), source), source)


def read_text_file(path: Path) -> str:
    """The UTF-8 text of file ``path`` (a configuration, a checklist), by the same rule as documents."""
    return decode_text(read_bytes(path), str(path))


def read_bytes(path: Path) -> bytes:
    """The bytes of file ``path``; ``InputError`` naming the cause and its fix when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(
                f"{path} is a broken symbolic link", fix="point the link at a file, or remove it"
            ) from None
        raise InputError(f"no such file: {path}", fix="check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a file", fix="pass a file, or '-' for standard input") from None
    except PermissionError:
        raise InputError(
            f"permission denied: cannot read {path}",
            fix=f"make it readable (`chmod u+r '{path}'`), or run as the file's owner",
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path} is a symbolic link loop", fix="point the link at a file, or remove it") from None
        raise InputError(f"cannot read {path}: {exc.strerror}", fix="check the file and the disk") from None


def decode_text(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped). ``InputError`` with the byte offset when
    it holds a NUL byte anywhere, or bytes that are not UTF-8."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"{name} contains a NUL byte at offset {nul}: it looks binary, not text", fix=_BINARY_FIX)
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        raise InputError(
            f"{name} is not UTF-8 text: invalid byte 0x{data[offset]:02X} at offset {offset}",
            fix="re-encode it as UTF-8, e.g. `iconv -f latin1 -t utf-8 FILE > FILE.utf8`, or save it as UTF-8",
        ) from None


def refuse_nul(text: str, name: str) -> str:
    """``text`` unchanged; ``InputError`` with the character offset when it holds a NUL
    (``name`` says whose text it is: "the text extracted from x.pdf", "line 3's text")."""
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(
            f"{name} contains a NUL character at offset {nul}",
            fix="pass plain UTF-8 text without NULs (convert a document with another tool, e.g. `pdftotext`)",
        )
    return text


def check_text(text: str, name: str = "the input") -> str:
    """``text`` if it has content; ``InputError`` if it is empty or only whitespace."""
    if not text.strip():
        raise InputError(f"{name} is empty", fix="pass a document with some text in it")
    return text
