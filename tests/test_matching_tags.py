"""matching.tags: one spelling for every expertise tag."""

import pytest

from matching.tags import TagError, parse_tags, stack_tags


def test_tags_are_normalised_and_deduplicated_in_order():
    assert parse_tags("Security, python  best_practice,PYTHON") == [
        "security",
        "python",
        "best-practices",
    ]


@pytest.mark.parametrize("bad", ["<script>", "a b'c", "x" * 41, '"quoted"'])
def test_anything_but_a_slug_is_refused_by_name(bad):
    with pytest.raises(TagError, match="not a valid expertise tag"):
        parse_tags([bad])


def test_a_tickets_stack_skips_spellings_that_are_not_tags():
    assert stack_tags(["Python", "C++", "weird lang!"], ["Django"]) == ["python", "c++", "django"]
