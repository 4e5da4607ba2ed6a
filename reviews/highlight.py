"""Syntax highlighting for the code viewer: one self-contained HTML fragment per source line.

Pygments' HTML formatter closes and reopens its spans at every newline, so splitting its output
on newlines gives lines that can be placed in a table (and interleaved with comment threads)
without breaking the markup. Binary and huge files are reported as such, not rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

MAX_RENDER_BYTES = 1024 * 1024
MAX_RENDER_LINES = 20_000
_FORMATTER = HtmlFormatter(nowrap=True)


@dataclass
class RenderedFile:
    path: str
    kind: str  # "text" | "binary" | "huge"
    size: int
    language: str = "Text"
    lines: list[Markup] = field(default_factory=list)
    source_lines: list[str] = field(default_factory=list)

    @property
    def line_count(self) -> int:
        return len(self.source_lines)


def is_binary(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return True
    try:
        data[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(data[:8192]) - 4  # a cut multi-byte character is still text
    return False


def lexer_for(path: str) -> Lexer:
    try:
        return get_lexer_for_filename(path, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


def render_file(path: str, data: bytes) -> RenderedFile:
    size = len(data)
    if is_binary(data):
        return RenderedFile(path, "binary", size)
    text = data.decode("utf-8", errors="replace")
    source_lines = text.splitlines()
    if size > MAX_RENDER_BYTES or len(source_lines) > MAX_RENDER_LINES:
        return RenderedFile(path, "huge", size, source_lines=[])
    lexer = lexer_for(path)
    html = highlight("\n".join(source_lines), lexer, _FORMATTER)
    lines = html.split("\n")
    if len(lines) > len(source_lines):
        lines = lines[: len(source_lines)]
    lines += [""] * (len(source_lines) - len(lines))
    return RenderedFile(
        path,
        "text",
        size,
        language=lexer.name,
        lines=[Markup(line) for line in lines],  # noqa: S704 - Pygments escapes the source
        source_lines=source_lines,
    )


def stylesheet(selector: str = ".vt-code") -> str:
    return HtmlFormatter(style="default").get_style_defs(selector)
