"""Read a text document from a file or standard input, refusing what is not usable text."""

from __future__ import annotations

import sys
from pathlib import Path

from hybridgraph.errors import InputError

__all__ = ["check_text", "read_text_input"]


def read_text_input(source: str) -> str:
    """The UTF-8 text of file ``source``, or of standard input when ``source`` is '-'."""
    name = "standard input" if source == "-" else source
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file: {source}", fix="check the path") from None
    except IsADirectoryError:
        raise InputError(
            f"{source} is a folder, not a text file", fix="pass one file, or '-' for standard input"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}", fix="check the file's permissions") from None
    if b"\x00" in data[:8192]:
        raise InputError(
            f"{name} looks binary, not text",
            fix="convert it to plain text first, e.g. `pdftotext FILE.pdf -`",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not UTF-8 text (bad byte at offset {exc.start})",
            fix="re-encode it as UTF-8, e.g. `iconv -f latin1 -t utf-8`",
        ) from None
    return check_text(text, name)


def check_text(text: str, name: str = "the input") -> str:
    """``text`` if it has content; ``InputError`` if it is empty or only whitespace."""
    if not text.strip():
        raise InputError(f"{name} is empty", fix="pass a document with some text in it")
    return text
