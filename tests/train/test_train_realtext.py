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
