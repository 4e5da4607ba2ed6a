"""Parsing PR comments into commands (pure)."""

from __future__ import annotations

from bot.commands import Command, parse_command, review_types_from_labels
from bot.config import DEFAULT_LABELS


def test_review_with_types_and_free_text_keeps_both():
    command = parse_command("/review security best-practices please look at auth.py")
    assert command == Command("review", ("security", "best-practices"), "please look at auth.py")


def test_review_alone_asks_for_no_particular_type_and_aliases_are_understood():
    assert parse_command("/review") == Command("review")
    assert parse_command("/Review perf best_practices").review_types == (
        "performance",
        "best-practices",
    )


def test_the_first_command_line_counts_and_prose_around_it_is_ignored():
    body = "Thanks!\n\n/status\n/cancel"
    assert parse_command(body).name == "status"
    assert parse_command("no command here, just a /path/in/text") is None
    assert parse_command(None) is None


def test_rate_takes_a_score_from_1_to_5_and_an_optional_comment():
    assert parse_command("/rate 5 Very thorough") == Command("rate", score=5, text="Very thorough")
    assert parse_command("/rate 4/5").score == 4
    for bad in ("/rate", "/rate 0", "/rate 6 great", "/rate five"):
        command = parse_command(bad)
        assert command.name == "rate" and command.score is None and "1 to 5" in command.problem


def test_unknown_commands_get_the_help_text_with_the_reason():
    command = parse_command("/deploy now")
    assert command.name == "help" and "Unknown command `/deploy`" in command.problem
    assert parse_command("/help").name == "help"


def test_labels_map_to_review_types_and_plain_vetted_means_all_of_them():
    assert review_types_from_labels(["bug"], DEFAULT_LABELS) is None
    assert review_types_from_labels(["vetted:security"], DEFAULT_LABELS) == ["security"]
    assert review_types_from_labels(["vetted"], DEFAULT_LABELS) == [
        "security",
        "performance",
        "best-practices",
    ]
