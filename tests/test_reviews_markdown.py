"""reviews.markdown: Markdown rendered, anything dangerous removed."""

from reviews.markdown import render_markdown


def test_markdown_is_rendered_to_html():
    html = render_markdown("**bold** and `code`\n\n- one\n- two")
    assert (
        "<strong>bold</strong>" in html and "<code>code</code>" in html and "<li>one</li>" in html
    )


def test_script_tags_and_event_handlers_are_removed():
    html = render_markdown('<script>alert(1)</script><img src=x onerror="alert(2)"> hi')
    assert "<script" not in html and "alert" not in html and "onerror" not in html
    assert "hi" in html


def test_javascript_links_lose_their_href_and_links_get_nofollow_noopener():
    html = render_markdown("[bad](javascript:alert(1)) [good](https://example.com)")
    assert "javascript:" not in html
    assert 'href="https://example.com"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_fenced_code_is_escaped_not_interpreted():
    html = render_markdown("```\n<b>not bold</b>\n```")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""
