"""Review HTML becomes plain text: no markup survives, line structure does."""

from __future__ import annotations

import pytest

from services.aggregator.review_text import review_html_to_text


def test_line_breaks_and_block_ends_become_newlines() -> None:
    html = "First line<br/>second line<br><br />After a gap<p>A paragraph</p><div>A block</div>"
    assert review_html_to_text(html) == (
        "First line\nsecond line\n\nAfter a gap\nA paragraph\n\nA block"
    )


def test_goodreads_style_review_keeps_quotes_and_link_text() -> None:
    html = (
        'Great book.<br /><br /><blockquote>"Not all those who wander are lost."</blockquote>'
        'See <a href="https://example.com" onclick="steal()">my blog</a> for <b>more</b>.'
    )
    assert review_html_to_text(html) == (
        'Great book.\n\n"Not all those who wander are lost."\nSee my blog for more.'
    )


def test_script_and_style_content_is_dropped() -> None:
    html = (
        "<style>p { color: red }</style>Safe<script>document.cookie='x'</script> text"
        "<template><b>hidden</b></template>"
    )
    assert review_html_to_text(html) == "Safe text"


def test_an_unclosed_script_drops_everything_after_it() -> None:
    assert review_html_to_text("Kept<script>alert(1) and the rest") == "Kept"


def test_entities_are_unescaped_once_into_text() -> None:
    text = review_html_to_text(
        "Fish &amp; chips &lt;b&gt;bold?&lt;/b&gt; &#8212; &eacute;t&eacute;"
    )
    # The escaped tag is now literal text: a viewer shows it as text, never as markup.
    assert text == "Fish & chips <b>bold?</b> \u2014 \u00e9t\u00e9"


@pytest.mark.parametrize(
    "html",
    [
        '<img src=x onerror="alert(1)">',
        "<iframe src='javascript:alert(1)'></iframe>",
        '<svg onload="alert(1)"><circle/></svg>',
        "<!-- a comment --><p></p>",
    ],
)
def test_markup_without_text_leaves_no_review(html: str) -> None:
    assert review_html_to_text(html) is None


def test_no_tag_survives_in_text_that_had_real_markup() -> None:
    html = '<div class="x"><p><i>Italic</i> and <span style="x">span</span></p><ul><li>one</li><li>two</li></ul></div>'
    text = review_html_to_text(html)
    assert text == "Italic and span\n\none\n\ntwo"
    assert text is not None and "<" not in text and ">" not in text


def test_whitespace_collapses_like_html_and_control_characters_go() -> None:
    html = "  Many    spaces\n\tand\r\nnewlines\x00 here\x07  "
    assert review_html_to_text(html) == "Many spaces and newlines here"


@pytest.mark.parametrize("empty", [None, "", "   ", "<br/><br/>", "<p> </p>"])
def test_empty_reviews_are_none(empty: str | None) -> None:
    assert review_html_to_text(empty) is None


def test_non_latin_text_is_kept() -> None:
    assert review_html_to_text("Отличная книга!<br/>素晴らしい") == "Отличная книга!\n素晴らしい"
