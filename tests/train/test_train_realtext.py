"""The real-text variant builds three domains from local corpora only."""

from __future__ import annotations

import pytest

from tilth.train import realtext


@pytest.mark.skipif(not realtext.GCIDE.exists(), reason="GCIDE dictionary not installed on this machine")
def test_local_corpus_has_three_domains_of_fixed_size_documents():
    t = realtext.documents(docs_per_domain=3, doc_chars=400).to_pylist()
    by = {}
    for r in t:
        by.setdefault(r["domain"], []).append(r["text"])
    assert sorted(by) == ["code", "dictionary", "prose"]
    assert all(len(v) == 3 and all(len(x) == 400 for x in v) for v in by.values())
    assert any("def " in x or "import " in x for x in by["code"])


@pytest.mark.skipif(not (realtext.GCIDE.exists() and realtext.PYDOC_HTML.is_dir() and realtext.WEB_DIRS[0].is_dir()),
                    reason="GCIDE, Python's HTML docs or the Debian Reference not installed on this machine")
def test_skewed_corpus_has_each_domain_its_own_number_of_documents():
    t = realtext.skewed_documents({"web": 5, "code": 2, "dictionary": 1, "papers": 1, "qa": 1}, doc_chars=300)
    by: dict = {}
    for r in t.to_pylist():
        by.setdefault(r["domain"], []).append(r["text"])
    assert {d: len(v) for d, v in by.items()} == {"code": 2, "dictionary": 1, "papers": 1, "qa": 1, "web": 5}
    assert all(len(x) == 300 for v in by.values() for x in v)
    assert not any("<div" in x or "</p>" in x for x in by["web"] + by["qa"])  # text, not markup
    with pytest.raises(FileNotFoundError, match="'qa'"):
        realtext.skewed_documents({"qa": 10_000}, doc_chars=2000)


def test_html_text_keeps_visible_text_only(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><head><style>p {x: 1}</style><script>var a = 1;</script></head>"
                    "<body><h1>Title</h1>\n\n<p>Some   <b>bold</b> text</p></body></html>")
    assert realtext.html_text(page) == "Title\nSome bold text"
