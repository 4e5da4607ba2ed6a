"""The App manifest asks for exactly the events handled, with the least permissions."""

from __future__ import annotations

from bot.deliveries import handled_events
from forges.manifest import load_manifest, manifest_for
from webhooks.github import HANDLED_EVENTS, IMPLICIT_EVENTS


def test_the_manifest_events_are_exactly_the_events_handled():
    subscribed = set(load_manifest()["default_events"])
    assert subscribed == HANDLED_EVENTS - IMPLICIT_EVENTS
    assert handled_events("github") == HANDLED_EVENTS  # the receiver and the bot agree


def test_the_manifest_asks_for_the_least_permissions():
    assert load_manifest()["default_permissions"] == {
        "metadata": "read",
        "contents": "read",
        "pull_requests": "write",
        "issues": "write",
        "checks": "write",
    }


def test_the_manifest_points_github_at_the_running_server():
    manifest = manifest_for("https://vetted.example/")
    assert manifest["hook_attributes"] == {
        "url": "https://vetted.example/webhooks/github",
        "active": True,
    }
    assert manifest["redirect_url"] == "https://vetted.example/github/app/registered"
