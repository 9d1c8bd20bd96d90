"""Shared fixtures: Sphinx's testing plugin over ``tests/roots``, and a Graphviz check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ("sphinx.testing.fixtures",)
collect_ignore = ["roots"]

ROOTS = Path(__file__).parent / "roots"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return ROOTS


def project(rootdir: Path, tmp_path: Path, root: str, **settings: object) -> Path:
    """A copy of a test root with extra conf.py lines (as a user writes them, not overrides)."""
    source = tmp_path / "src"
    shutil.copytree(rootdir / f"test-{root}", source)
    with (source / "conf.py").open("a") as conf:
        conf.writelines(f"{name} = {value!r}\n" for name, value in settings.items())
    return source
