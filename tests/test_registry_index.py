"""The committed built-in operator index matches the operators' metadata, and a recipe loads only its own
operators' modules."""

import subprocess
import sys

from tilth.ops import registry
from tilth.ops.builtin_index import BUILTIN


def test_builtin_index_is_current():
    assert BUILTIN == registry.builtin_index(), "stale: run `tilth docs`"


def test_getting_one_operator_imports_only_its_module():
    code = ("import sys; from tilth.ops import registry; registry.get('length_filter'); "
            "print(sorted(m for m in sys.modules if m.startswith('tilth.ops.') and m.count('.') == 3))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out)
    assert "tilth.ops.process.length_filter" in loaded
    assert "tilth.ops.acquire.html_reader" not in loaded and "tilth.ops.rewrite.llm_rewrite" not in loaded


def test_unknown_name_still_suggests_from_every_operator():
    try:
        registry.get("minhash_dedupe")
    except registry.UnknownOperator as e:
        assert e.suggestions[0] == "minhash_dedup"
    else:
        raise AssertionError("no error")
