"""The README is the front door (issue 17 §6): small, every command listed, no dead links.

Relative links in README.md, docs/*.md and bench/README.md must point to files that exist,
and a link to a heading of a Markdown file (``file.md#anchor``) to a heading it has, by
GitHub's rule for heading anchors.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from workstation.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# [text](target) and ![alt](target); the target ends at whitespace or ")".
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^(```|~~~)")


def _prose(path: Path) -> str:
    """The page without its fenced code blocks (a bracket in code is not a link)."""
    kept: list[str] = []
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    return "\n".join(kept)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in _prose(path).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = _anchor(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def _links(path: Path) -> list[str]:
    return _LINK.findall(_prose(path))


def test_readme_is_under_15_kb() -> None:
    assert README.stat().st_size < 15_000


def test_anchor_rule() -> None:
    assert (
        _anchor("Checking a bundle: `ews verify-bundle`") == "checking-a-bundle-ews-verify-bundle"
    )
    assert _anchor("Who holds an export (issue 16 §3)") == "who-holds-an-export-issue-16-3"
    assert _anchor("`ews items --json`") == "ews-items---json"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(page: Path) -> None:
    dead: list[str] = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        dest = page if not file_part else (page.parent / file_part).resolve()
        if not dest.exists():
            dead.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in _anchors(dest):
            dead.append(f"{target}: no heading #{fragment} in {dest.relative_to(ROOT)}")
    assert dead == []


def test_readme_lists_every_command() -> None:
    parser = _parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands = sorted(subs[0].choices)
    assert "init" in commands and "verify-bundle" in commands
    text = README.read_text(encoding="utf-8")
    missing = [c for c in commands if f"| `ews {c}` |" not in text]
    assert missing == []


def test_readme_images_exist() -> None:
    images = [t for t in _LINK.findall(_prose(README)) if t.endswith(".png")]
    assert len(images) == 8
    assert all((ROOT / t).is_file() for t in images)
