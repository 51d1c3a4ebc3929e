"""What changed between two versions of a text, in words: shown to a patient asked to sign
a consent again, and to staff comparing an education page's versions. Pure functions over
plain strings (difflib's SequenceMatcher on the words)."""

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One run of words: kept ("same"), added ("added") or taken out ("removed")."""

    kind: str
    text: str


_WORDS = re.compile(r"\S+")


def word_changes(old: str, new: str) -> list[Change]:
    """`new` against `old` word by word (whitespace ignored), as runs of kept, added and
    removed words, for a reader asked to sign again: what changed in words."""
    old_words, new_words = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    changes: list[Change] = []
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            changes.append(Change("same", " ".join(new_words[b_start:b_end])))
            continue
        if tag in ("delete", "replace"):
            changes.append(Change("removed", " ".join(old_words[a_start:a_end])))
        if tag in ("insert", "replace"):
            changes.append(Change("added", " ".join(new_words[b_start:b_end])))
    return changes


def has_changes(changes: list[Change]) -> bool:
    return any(change.kind != "same" for change in changes)


def shorten_unchanged(changes: list[Change], keep: int = 12) -> list[Change]:
    """Long unchanged runs cut to their first and last `keep` words around an ellipsis,
    so that a reader's eye lands on the changes."""
    shortened = []
    for change in changes:
        words = change.text.split(" ")
        if change.kind == "same" and len(words) > 2 * keep + 1:
            change = Change("same", " ".join([*words[:keep], "…", *words[-keep:]]))
        shortened.append(change)
    return shortened


_MARKUP = re.compile(r"[*_`#>]+")


def markdown_word_changes(old: str, new: str) -> list[Change]:
    """`word_changes` of two Markdown texts read as words: emphasis and heading marks are
    left out, so that only what a reader sees is compared; long unchanged runs shortened."""
    return shorten_unchanged(word_changes(_MARKUP.sub("", old or ""), _MARKUP.sub("", new or "")))
