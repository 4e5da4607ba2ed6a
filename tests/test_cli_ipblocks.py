"""cli.ipblocks: ``ip block``, ``ip unblock``, ``ip list``."""

from __future__ import annotations

from models.audit import AuditEvent, IpBlock


def run(app, *args):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args))


def test_blocking_listing_and_unblocking_a_range(app, session):
    result = run(app, "ip", "block", "203.0.113.0/24", "--reason", "scraping", "--minutes", "30")
    assert result.exit_code == 0, result.output
    assert "Blocked 203.0.113.0/24 until" in result.output
    listing = run(app, "ip", "list")
    assert "203.0.113.0/24" in listing.output and "scraping" in listing.output
    assert run(app, "ip", "unblock", "203.0.113.0/24").exit_code == 0
    assert "No address is blocked." in run(app, "ip", "list").output
    assert {e.action for e in session.query(AuditEvent)} == {"ip.block", "ip.unblock"}


def test_a_block_without_minutes_lasts_until_lifted(app, session):
    assert run(app, "ip", "block", "198.51.100.7", "--reason", "abuse").exit_code == 0
    assert session.query(IpBlock).one().expires_at is None


def test_a_bad_address_is_refused_with_a_message(app, session):
    result = run(app, "ip", "block", "not-an-ip", "--reason", "x")
    assert result.exit_code != 0 and "is not an IP address or CIDR range" in result.output
    assert session.query(IpBlock).count() == 0


def test_unblocking_what_is_not_blocked_says_so(app):
    result = run(app, "ip", "unblock", "198.51.100.7")
    assert result.exit_code != 0 and "No active block on 198.51.100.7" in result.output
