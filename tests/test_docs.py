"""Every registry metric is documented, and every documented metric exists."""

from __future__ import annotations

import re
from pathlib import Path

from deskmetrics.metrics import REGISTRY
from deskmetrics.metrics.docs import render_reference

ROOT = Path(__file__).resolve().parents[1]


def test_reference_is_generated_from_the_registry() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert text == render_reference(), "docs/metrics.md is stale: run `make docs`"


def test_every_metric_is_documented_and_nothing_else() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `([a-z_]+)`", text, flags=re.M))
    assert documented == set(REGISTRY)


def test_readme_lists_every_metric() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in REGISTRY if f"`{name}`" not in readme]
    assert missing == []
