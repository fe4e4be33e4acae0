"""Hostile and broken input files: decompression bombs, NUL bytes, bad encodings, permissions, link loops.

Every fixture is made in tmp_path (the builders: tests/document_files.py). Each refusal is an
InputError that names the cause and the fix, and never quotes the document.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from types import SimpleNamespace

import document_files
import pytest
from document_files import pdf, text_page

from hybridgraph.errors import InputError
from hybridgraph.textinput import decode_text, read_bytes, read_text_input
from hybridgraph.tools.loaders import expand_paths, load_document
from hybridgraph.tools.readers import UnpackLimits, check_archive

SECRET = "Bartholomew Fitzgerald"


def docx(path: Path, body: str = SECRET, *, extra: dict[str, bytes] | None = None) -> Path:
    return document_files.docx(path, [body], extra=extra)


def denied(self: Path) -> bytes:
    """``Path.read_bytes`` of a file this user may not read (tests run as root, who reads all)."""
    raise PermissionError(13, "Permission denied", str(self))


def refusal(path: Path, **kwargs: int) -> InputError:
    with pytest.raises(InputError) as caught:
        load_document(path, **kwargs)
    error = caught.value
    assert error.fix and SECRET not in str(error)
    return error


# Decompression bombs


def test_a_normal_docx_and_pdf_are_read(tmp_path: Path) -> None:
    assert SECRET in load_document(docx(tmp_path / "a.docx")).text
    assert load_document(pdf(tmp_path / "a.pdf", [text_page("Page one"), text_page("Page two")])).text == (
        "Page one\n\nPage two"
    )
    assert "Page one" in load_document(pdf(tmp_path / "b.pdf", [text_page("Page one")], compress=True)).text


def test_a_docx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = docx(tmp_path / "bomb.docx", SECRET + " " * (50 * 2**20))  # ~50 KB that expand to 50 MB
    assert bomb.stat().st_size < 200_000
    error = refusal(bomb)
    assert "decompression bomb" in error.message and "times" in error.message


def test_a_docx_over_the_unpacked_limit_is_refused(tmp_path: Path) -> None:
    # ~1 MB that compress about 18 times: the ratio is fine, the unpacked size is not (5 x 100 KB)
    noise = b"".join(os.urandom(1) + b" " * 40 for _ in range(25_000))
    big = docx(tmp_path / "big.docx", extra={"word/media/noise.bin": noise})
    error = refusal(big, max_bytes=100_000)
    assert "limit for unpacked content" in error.message and "--max-mb" in (error.fix or "")
    assert SECRET in load_document(big, max_bytes=1_000_000).text  # 5 MB unpacked allowed: read


def test_an_archive_with_too_many_parts_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for i in range(30):
            z.writestr(f"part{i}", b"")
    with pytest.raises(InputError, match="30 parts, over the limit of 20"):
        check_archive(buffer.getvalue(), "x.docx", UnpackLimits(unpacked_bytes=10**6, members=20))


def test_a_damaged_docx_says_so(tmp_path: Path) -> None:
    (tmp_path / "bad.docx").write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a valid zip archive" in refusal(tmp_path / "bad.docx").message


def test_a_pdf_stream_bomb_is_refused(tmp_path: Path) -> None:
    content = text_page(SECRET) + b"\n" + b" " * (40 * 2**20)  # 40 MB of spaces, deflated to ~40 KB
    error = refusal(pdf(tmp_path / "bomb.pdf", [content], compress=True))
    assert "decompression bomb" in error.message


def test_a_pdf_with_too_many_pages_or_too_much_text_is_refused(tmp_path: Path) -> None:
    from hybridgraph.tools.readers import read_pdf

    many = pdf(tmp_path / "many.pdf", [text_page("x")] * 12).read_bytes()
    with pytest.raises(InputError, match="12 pages, over the limit of 10"):
        read_pdf(many, "many.pdf", UnpackLimits(unpacked_bytes=10**6, pages=10))
    # a form drawn 200 times: a tiny page that extracts to 80,000 characters
    amplified = pdf(tmp_path / "amp.pdf", [b"/Fm1 Do " * 200], form=text_page("y" * 400)).read_bytes()
    with pytest.raises(InputError, match="more than 20,000 characters of text"):
        read_pdf(amplified, "amp.pdf", UnpackLimits(unpacked_bytes=20_000))


# NUL bytes and encodings: one rule for every command


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_a_nul_anywhere_is_refused_with_its_offset(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"doc{suffix}"
    data = b"a" * 10_000 + b"Bartholo\x00mew Fitzgerald"  # past the first 8 KB
    path.write_bytes(data)
    error = refusal(path)
    assert "NUL byte at offset 10008" in error.message and "binary" in error.message
    with pytest.raises(InputError, match="NUL byte at offset 10008"):
        read_text_input(str(path))


def test_stdin_follows_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        buffer = io.BytesIO(b"x" * 9000 + b"\x00")

    monkeypatch.setattr("sys.stdin", Stdin)
    with pytest.raises(InputError, match="standard input contains a NUL byte at offset 9000"):
        read_text_input("-")


@pytest.mark.parametrize(
    ("data", "offset"), [(b"caf\xe9", 3), (b"\xef\xbb\xbfab\xffc", 5), (b"ok\n" * 5000 + b"\xc3", 15000)]
)
def test_invalid_utf8_names_the_encoding_the_offset_and_the_fix(data: bytes, offset: int) -> None:
    with pytest.raises(InputError) as caught:
        decode_text(data, "x.txt")
    assert f"not UTF-8 text: invalid byte 0x{data[offset]:02X} at offset {offset}" in caught.value.message
    assert "iconv" in (caught.value.fix or "")


def test_a_byte_order_mark_is_dropped() -> None:
    assert decode_text(b"\xef\xbb\xbfhello", "x.txt") == "hello"


def test_invalid_utf8_in_a_document_is_an_encoding_error(tmp_path: Path) -> None:
    (tmp_path / "latin.md").write_bytes("Vertrag über Lieferungen".encode("latin-1"))
    assert "not UTF-8 text" in refusal(tmp_path / "latin.md").message


# The real cause of a file that cannot be read


def test_permission_denied_says_so_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.md"
    path.write_text("text")

    monkeypatch.setattr(Path, "read_bytes", denied)
    error = refusal(path)
    assert error.message == f"permission denied: cannot read {path}"
    assert "chmod u+r" in (error.fix or "") and "owner" in (error.fix or "")
    assert "could not be read as" not in error.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("text")
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        read_bytes(path)


def test_a_link_loop_and_a_broken_link_are_named(tmp_path: Path) -> None:
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    assert "symbolic link loop" in refusal(tmp_path / "loop.md").message
    assert "broken symbolic link" in refusal(tmp_path / "gone.md").message


def test_link_loops_in_a_folder_are_listed_not_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("one")
    (folder / "sub" / "b.md").write_text("two")
    (folder / "sub" / "back").symlink_to(folder)  # a folder link that leads back up
    (folder / "self.txt").symlink_to(folder / "self.txt")
    (folder / "self").symlink_to(folder / "self")  # a loop without a supported suffix
    (folder / "picture.png").write_bytes(b"\x89PNG")  # unsupported: not listed
    found = expand_paths([folder])
    assert found == sorted(
        [folder / "a.txt", folder / "self", folder / "self.txt", folder / "sub" / "b.md", folder / "sub" / "back"]
    )
    assert "leads back to a folder that contains it" in refusal(folder / "sub" / "back").message
    assert "symbolic link loop" in refusal(folder / "self").message


def test_folder_links_that_do_not_loop_are_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "c.txt").write_text("three")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "linked").symlink_to(tmp_path / "elsewhere")
    assert expand_paths([tmp_path / "docs"]) == [tmp_path / "docs" / "linked" / "c.txt"]


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    assert "is a folder, not a file" in refusal(tmp_path).message


# ingest says what it skipped, and exits non-zero


def test_ingest_exits_non_zero_and_names_what_it_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hybridgraph.cli import knowledge
    from hybridgraph.cli.main import app

    # what Ingestor.ingest reports (an IngestReport), without loading the embedder and the store
    report = SimpleNamespace(files=1, chunks=3, seconds=0.5, skipped=[("docs/loop.md", "a symbolic link loop")])

    async def fake_ingest(*args: object) -> SimpleNamespace:
        return report

    monkeypatch.setattr(knowledge, "_ingest", fake_ingest)
    result = CliRunner().invoke(app, ["ingest", "docs", "--collection", "kb"])
    assert result.exit_code == 1
    assert "docs/loop.md" in result.output and "symbolic link loop" in result.output
    assert "1 skipped" in result.output and "1 file(s) skipped" in result.output
    report.skipped.clear()
    assert CliRunner().invoke(app, ["ingest", "docs", "--collection", "kb"]).exit_code == 0


def test_a_nul_in_a_redact_batch_line_is_that_line_s_error() -> None:
    from typing import Any, cast

    from hybridgraph.cli.redact import _batch_line

    result = _batch_line(cast(Any, None), '{"id": "a", "text": "Bartholo\\u0000mew"}', 3)
    assert result == {"id": "a", "line": 3, "error": "the text contains a NUL character at offset 8"}


def test_configuration_files_name_the_cause_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridgraph.errors import ConfigError
    from hybridgraph.policies import Policy
    from hybridgraph.tools.checklist import load_checklist

    (tmp_path / "policy.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ConfigError, match="invalid byte 0xE9 at offset 9") as caught:
        Policy.from_file(tmp_path / "policy.yaml")
    assert "iconv" in (caught.value.fix or "")
    (tmp_path / "list.md").write_text("# Checklist\n")
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(ConfigError, match="cannot read the checklist: permission denied") as locked:
        load_checklist(str(tmp_path / "list.md"))
    assert "chmod" in (locked.value.fix or "")
