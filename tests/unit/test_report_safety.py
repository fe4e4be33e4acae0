"""Reports load no remote resources: images, links and HTML from a document render as text."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from hybridgraph.tools.reports import build_report, markdown, md_text, to_html

HOSTILE = [
    "![logo](http://evil.example/track.png)",
    '<img src="http://evil.example/a.png">',
    "[click here](https://evil.example/phish)",
    "<https://evil.example/auto>",
    "see www.evil.example and http://evil.example/x or mail spy@evil.example",
    "visit evil.example.com/login or bücher.example",
    "[ref]\n\n[ref]: http://evil.example/ref.png",
    "<script>alert(1)</script> `code` *em* _em_ | cell | ~~gone~~ &amp; #heading",
]


def hostile_report(text: str) -> str:
    document = f"1. Liability. {text} The cap is the fees paid."
    finding = {
        "category": "Cap on Liability",
        "quote": document,
        "start": 0,
        "end": len(document),
        "status": "violation",
        "rule": "R-1",
        "explanation": f"the clause says {text}",
        "review": f"check {text}",
        "route": "local",
        "route_reason": "default",
        "confidence": 0.9,
    }
    state = {"document": document, "findings": [finding], "warnings": [f"note {text}"], "run_id": "r1"}
    return markdown(build_report(state, "contract-review", f"{text[:20]}.txt"))


@pytest.mark.parametrize("text", HOSTILE)
def test_the_html_report_renders_document_markup_as_text(text: str) -> None:
    state_md = hostile_report(text)
    page = to_html(build_report({"findings": [], "warnings": [text]}, "p", "s.txt"))
    for rendered in (MarkdownIt("commonmark").enable("table").render(state_md), page):
        assert not re.search(r"<(img|a|script|iframe|link|object|embed)\b", rendered, re.IGNORECASE)
        assert not re.search(r"<[^>]*\b(src|href)=", rendered, re.IGNORECASE)  # escaped text is fine
    assert "evil" not in text or "evil" in MarkdownIt("commonmark").render(state_md)  # shown, as text


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_leaves_no_autolink_for_a_gfm_viewer(text: str) -> None:
    # GitHub and VS Code also link bare URLs, www. names, domain names and e-mail addresses
    report = hostile_report(text)
    for trigger in (r"(?<!\\):/", r"[^\W\d_]\.[^\W\d_]", r"(?<!\\)@", r"(?<!\\)<", r"(?<!\\)\]\("):
        assert not re.search(trigger, report), trigger  # each is escaped with a backslash


def test_md_text_keeps_the_text_on_one_line() -> None:
    assert md_text("a\n\n[x]: http://e.example\n  b") == "a \\[x\\]: http\\://e\\.example b"
    assert md_text("fees of 1.5 times. See e.g. 3.a") == "fees of 1.5 times. See e\\.g. 3\\.a"
    assert MarkdownIt("commonmark").render(md_text("![i](http://e.example/p.png)")) == (
        "<p>![i](http://e.example/p.png)</p>\n"
    )


def test_the_html_page_has_a_content_security_policy_that_blocks_loads() -> None:
    page = to_html(build_report({"findings": []}, "p", "s.txt"))
    assert (
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">" in page
    )
    assert "no-referrer" in page
