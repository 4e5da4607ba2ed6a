"""reviews.diffs: suggestions and fixes as small line diffs."""

from reviews.diffs import line_diff, suggestion_diff


def test_a_suggestion_shows_the_selected_lines_removed_and_the_replacement_added():
    diff = suggestion_diff(["a = 1", "b = 2"], "a = 10\nb = 2")
    assert [(d.kind, d.text) for d in diff] == [
        ("del", "a = 1"),
        ("del", "b = 2"),
        ("add", "a = 10"),
        ("add", "b = 2"),
    ]
    assert [d.sign for d in diff] == ["-", "-", "+", "+"]


def test_line_diff_marks_changes_with_hunks_and_context():
    diff = line_diff("one\ntwo\nthree\n", "one\n2\nthree\n")
    kinds = [d.kind for d in diff]
    assert kinds[0] == "hunk" and "del" in kinds and "add" in kinds and "context" in kinds


def test_identical_text_has_no_diff():
    assert line_diff("same\n", "same\n") == []
