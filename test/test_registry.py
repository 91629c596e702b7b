"""Issue 22: one registration mechanism (codecs/catalog.py). Listing codecs and opening a classical
one import no torch; every name resolves to a class that carries that name, except `auto`, whose
name is the codec it chose."""
from __future__ import annotations

import subprocess
import sys

import pytest

from rgbir_compress.codecs import catalog, registry


def test_listing_and_opening_a_classical_codec_import_no_torch():
    code = ("import sys\nfrom rgbir_compress.codecs import registry\nnames = registry.names()\n"
            "assert 'torch' not in sys.modules and 'imagecodecs' not in sys.modules\n"
            "registry.create('jpeg'); registry.create('avif-s9')\nprint(len(names), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == [str(len(catalog.CODECS)), "False"]


@pytest.mark.parametrize("name", [n for n in catalog.CODECS if n != "auto"])
def test_each_class_carries_its_catalog_name(name):
    assert registry.get_class(name).name == name


def test_every_class_carries_its_catalog_name():
    for name in ("jpeg", "avif-s9", "auto"):
        assert registry.get_class(name).name == name


def test_a_class_cannot_carry_two_names(monkeypatch):
    monkeypatch.setitem(catalog.CODECS, "jpeg-again", catalog.Entry(catalog.CODECS["jpeg"].target))
    registry.get_class("jpeg")
    with pytest.raises(TypeError, match="cannot also be"):
        registry.get_class("jpeg-again")


def test_unknown_names_are_key_errors():
    with pytest.raises(KeyError, match="available: auto"):
        registry.get_class("nope")
