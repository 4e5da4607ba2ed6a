"""reviews.highlight: one HTML fragment per line; binary and huge files are not rendered."""

from reviews.highlight import MAX_RENDER_LINES, render_file


def test_each_source_line_becomes_one_self_contained_fragment():
    source = b'def f():\n    """a\n    multi-line docstring"""\n    return 1 < 2\n'
    rendered = render_file("x.py", source)
    assert rendered.kind == "text" and rendered.language == "Python"
    assert rendered.line_count == 4 and len(rendered.lines) == 4
    for line in rendered.lines:
        assert line.count("<span") == line.count("</span>")
    assert "&lt;" in rendered.lines[3]


def test_html_in_source_is_escaped():
    rendered = render_file("page.txt", b"<script>alert(1)</script>\n")
    assert "<script>" not in rendered.lines[0]


def test_binary_files_are_reported_as_binary():
    assert render_file("logo.png", b"\x89PNG\x00\x00\x01").kind == "binary"


def test_huge_files_are_reported_as_too_large():
    data = b"x = 1\n" * (MAX_RENDER_LINES + 1)
    rendered = render_file("big.py", data)
    assert rendered.kind == "huge" and rendered.lines == []


def test_unknown_extensions_fall_back_to_plain_text():
    assert render_file("notes.unknownext", b"hello\n").language == "Text only"
