"""A consent document's Markdown as safe HTML, for the pages and the PDF alike.

The text is written by a clinic's admin and signed by patients, so what it can produce is
kept small: CommonMark without raw HTML, then an allow-list sanitiser (nh3) as a second
line of defence — headings, paragraphs, lists, emphasis, links, rules, quotes and line
breaks, nothing that runs or loads anything.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "br",
        "hr",
        "blockquote",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

_parser = MarkdownIt("commonmark", {"html": False})


def _only_allowed_attributes(tag: str, attribute: str, value: str) -> str | None:
    """nh3 also lets `lang` and `title` through on every tag; keep only the allow-list."""
    return value if attribute in ALLOWED_ATTRIBUTES.get(tag, ()) else None


def render_markdown(text: str, *, heading_offset: int = 0) -> SafeString:
    """`text` (Markdown) as sanitised HTML.

    `heading_offset` moves every heading down that many levels (at most to h6), so that a
    document's own "# Title" sits under the page's h1 where the page has one.
    """
    tokens = _parser.parse(text or "")
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(6, int(token.tag[1]) + heading_offset)
                token.tag = f"h{level}"
    html = _parser.renderer.render(tokens, _parser.options, {})
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_only_allowed_attributes,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # sanitised by nh3 just above
