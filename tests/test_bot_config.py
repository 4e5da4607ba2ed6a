"""Per-repository configuration (vetted.yml) with defaults."""

from __future__ import annotations

from bot.config import DEFAULT_LABELS, parse_config


def test_no_file_means_the_default_labels_and_commands_on():
    config = parse_config(None)
    assert config.labels == DEFAULT_LABELS and config.commands and not config.problems


def test_custom_labels_and_switching_commands_off_are_read():
    config = parse_config("labels:\n  audit-me: [security, performance]\ncommands: false\n")
    assert config.labels == {"audit-me": ["security", "performance"]}
    assert config.commands is False


def test_a_broken_file_falls_back_to_defaults_and_says_why():
    assert "not valid YAML" in parse_config("labels: [unclosed").problems[0]
    assert parse_config("- a list").labels == DEFAULT_LABELS
    config = parse_config("labels:\n  x: [security, nonsense]\n")
    assert config.labels == {"x": ["security"]}
    assert "only security" in config.problems[0]
