"""Markdown written by reviewers and developers, turned into HTML that is safe to show.

Anyone who can comment can write Markdown, so the HTML it produces is never trusted: nh3 keeps
a short list of harmless tags and attributes, and every link gets ``rel="nofollow noopener"`` so
a review cannot lend its page rank or its window to whatever it links to.
"""

from __future__ import annotations

import threading

import markdown as md
import nh3
from markupsafe import Markup

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
_local = threading.local()


def _converter() -> md.Markdown:
    """One Markdown instance per thread: building one costs more than converting a comment."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(extensions=EXTENSIONS, output_format="html")
    return converter


def render_markdown(text: str | None) -> Markup:
    """Markdown in, sanitised HTML out (raw HTML in the source is escaped or dropped)."""
    if not text:
        return Markup("")
    converter = _converter()
    try:
        html = converter.convert(text)
    finally:
        converter.reset()
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
