"""Sources stay inside the repository: code cites `docs/clinical-reference.md` (or the
publication), never a document outside the repository or an issue number, and every
section of the reference it points to exists. Whoever carries the project on has only the
repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "clinical-reference.md"
OUTSIDE_DOCUMENT = "PRODUCT" + ".md"  # spelled apart so this file does not match itself
ISSUE_TAG = re.compile(r"\b[Ii]ssue \d+\b")
CITED_ANCHOR = re.compile(r"docs/clinical-reference\.md#([A-Za-z0-9_-]+)")


def source_files() -> list[Path]:
    """Every .py and .html file of the project and its tests, this file aside."""
    files = [
        path
        for folder in (ROOT / "kapcare", ROOT / "tests")
        for pattern in ("*.py", "*.html")
        for path in folder.rglob(pattern)
    ]
    return sorted(path for path in files if path.resolve() != Path(__file__).resolve())


def cited_files() -> list[Path]:
    """Everything that may cite a section of the reference: the code, the docs, the README."""
    return [*source_files(), *sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation other than
    hyphens and underscores dropped, each space a hyphen."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def reference_anchors(markdown: str) -> set[str]:
    """The anchors of every heading, with GitHub's -1, -2 … for a repeated heading."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        match = re.match(r"#{1,6} +(.+?) *#*$", line)
        if in_code or not match:
            continue
        slug = github_slug(match.group(1))
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Minimum interval between doses", "minimum-interval-between-doses"),
        ("PHQ-9", "phq-9"),
        ("C-SSRS screener triage", "c-ssrs-screener-triage"),
        ("Licence and training (KAP)", "licence-and-training-kap"),
        ("Response & remission", "response--remission"),
    ],
)
def test_headings_get_the_anchor_github_gives_them(heading, anchor):
    assert github_slug(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor():
    assert reference_anchors("## Codes\n### Codes\n```\n# Codes\n```\n") == {"codes", "codes-1"}


def test_no_file_cites_a_document_outside_the_repository():
    offenders = [
        f"{relative(path)}:{number}"
        for path in source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE_DOCUMENT in line
    ]
    assert offenders == [], f"cite docs/clinical-reference.md instead: {offenders}"


def test_no_file_cites_an_issue_number():
    offenders = [
        f"{relative(path)}:{number}: {line.strip()}"
        for path in source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ISSUE_TAG.search(line)
    ]
    assert offenders == [], f"say what it is, not which issue asked for it: {offenders}"


def test_every_cited_section_of_the_clinical_reference_exists():
    anchors = reference_anchors(REFERENCE.read_text(encoding="utf-8"))
    missing = [
        f"{relative(path)}: #{anchor}"
        for path in cited_files()
        for anchor in CITED_ANCHOR.findall(path.read_text(encoding="utf-8"))
        if anchor not in anchors
    ]
    assert missing == [], f"no such heading in docs/clinical-reference.md: {missing}"


def test_the_code_cites_the_clinical_reference():
    """The check above is empty-handed unless the code actually points at sections."""
    cited = {
        anchor
        for path in source_files()
        for anchor in CITED_ANCHOR.findall(path.read_text(encoding="utf-8"))
    }
    assert {"minimum-interval-between-doses", "induction-series", "askp3"} <= cited
