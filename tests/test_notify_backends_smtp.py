"""The SMTP backend against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from jobs.dispatch import drain
from models.notifications import EmailDelivery, NotificationPreference
from notify import jobs
from notify.backends import PermanentEmailError, TransientEmailError
from notify.backends.base import OutgoingEmail
from notify.backends.smtp import SmtpBackend
from tests.support.factories import make_ticket, make_user
from tests.support.mail import Collector, running_smtp_server
from tests.support.notify import make_offer, make_reviewer
from tests.support.services import free_port

LINK = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def smtp_server():
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def app_config(app_config, smtp_server):
    port, _ = smtp_server
    app_config.update(email_backend="smtp", smtp_host="127.0.0.1", smtp_port=port)
    return app_config


def links(text: str) -> list[str]:
    return LINK.findall(text.replace("&amp;", "&"))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def offered(session):
    dev = make_user(session, "dev@example.com")
    rev = make_reviewer(session)
    ticket = make_ticket(session, dev)
    offer = make_offer(session, ticket, rev)
    session.commit()
    return ticket, offer, rev


def offer_mail(session, settings, smtp_server, offer):
    _, collector = smtp_server
    jobs.notify_event("offer.created", offer_id=offer.id)
    drain(settings)
    return next(r for r in collector.messages if r.recipients == ["rev@example.com"])


def test_an_offer_email_arrives_with_headers_both_parts_and_working_links(
    session, settings, client, smtp_server, offered
):
    ticket, offer, _ = offered
    received = offer_mail(session, settings, smtp_server, offer)
    mail = received.message

    assert received.sender == "no-reply@vetted.local"
    assert mail["From"] == "Vetted <no-reply@vetted.local>"
    assert mail["Subject"] == f"[{ticket.ticket_id}] New review request {ticket.ticket_id}"
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@localhost>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://localhost/notifications/unsubscribe?token=")
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for part in (text, html):
        found = links(part)
        assert f"http://localhost/tickets/{ticket.ticket_id}" in found
        assert unsubscribe in found
        assert sum("/email-answer?token=" in u for u in found) == 2
    # every link in the e-mail opens a page on the site (no 404, no 500)
    for url in set(links(text)) - {f"http://localhost/tickets/{ticket.ticket_id}"}:
        response = client.get(path_of(url))
        if url.endswith("/settings/notifications"):  # asks the signed-out reader to sign in
            assert response.status_code == 302 and "/sign-in" in response.location
        else:
            assert response.status_code == 200, url
    # opening the links (as mail scanners do) changed nothing
    session.refresh(offer)
    assert offer.status == "offered"


@pytest.fixture
def matched(session, settings):
    """A ticket offered by the matching room itself to a verified reviewer."""
    from matching.offers import offer_next
    from reviews.state import transition
    from tests.support.reviewers import make_reviewer as make_verified_reviewer

    dev = make_user(session, "dev@example.com")
    profile = make_verified_reviewer(session, "rev@example.com", ["security", "python"])
    ticket = make_ticket(session, dev, review_types=["security"], languages=["python"])
    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    offer = offer_next(session, ticket, settings)
    assert offer is not None and offer.reviewer_id == profile.user_id
    session.commit()
    return ticket, offer, profile.user_id


def answer_links(settings, collector):
    drain(settings)
    received = next(
        r
        for r in collector.messages
        if r.recipients == ["rev@example.com"] and "New review request" in r.message["Subject"]
    )
    text = received.message.get_body(("plain",)).get_content()
    html = received.message.get_body(("html",)).get_content()
    urls = [u for u in links(text) if "/email-answer?" in u]
    assert urls == [u for u in links(html) if "/email-answer?" in u]
    return urls  # accept, decline


def test_the_accept_link_in_the_email_works_once(session, settings, client, smtp_server, matched):
    ticket, offer, reviewer_id = matched
    accept, decline = answer_links(settings, smtp_server[1])

    first = client.post(path_of(accept))
    assert first.status_code == 200, first.data
    assert b"You accepted review request" in first.data
    session.expire_all()
    session.refresh(ticket)
    assert (ticket.status, ticket.reviewer_id) == ("in_review", reviewer_id)
    again = client.post(path_of(accept))
    assert again.status_code == 409 and b"works only once" in again.data
    assert client.post(path_of(decline)).status_code == 409
    assert client.get(path_of(accept)).status_code == 409
    session.refresh(offer)
    assert offer.status == "accepted"


def test_the_decline_link_in_the_email_works_once_and_keeps_the_reason(
    session, settings, client, smtp_server, matched
):
    ticket, offer, _ = matched
    accept, decline = answer_links(settings, smtp_server[1])

    response = client.post(path_of(decline), data={"reason": "Not my stack"})
    assert response.status_code == 200 and b"You declined" in response.data
    session.expire_all()
    session.refresh(offer)
    assert (offer.status, offer.reason) == ("declined", "Not my stack")
    assert client.post(path_of(decline)).status_code == 409
    assert client.post(path_of(accept)).status_code == 409


def test_one_click_unsubscribe_from_the_header_stops_that_email(
    session, settings, client, smtp_server, offered
):
    _, offer, rev = offered
    _, collector = smtp_server
    mail = offer_mail(session, settings, smtp_server, offer).message
    url = mail["List-Unsubscribe"].strip("<>")

    response = client.post(
        path_of(url),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    pref = session.scalar(
        select(NotificationPreference).where(NotificationPreference.user_id == rev.id)
    )
    assert (pref.event, pref.email) == ("offer.created", False)

    second = make_offer(session, make_ticket(session, offer.submission.owner), rev)
    session.commit()

    def to_reviewer() -> int:
        return sum(r.recipients == ["rev@example.com"] for r in collector.messages)

    before = to_reviewer()
    jobs.notify_event("offer.created", offer_id=second.id)
    drain(settings)
    assert to_reviewer() == before


def test_an_unreachable_smtp_server_is_a_transient_error(settings):
    backend = SmtpBackend(settings.with_overrides(smtp_port=free_port(), smtp_timeout_seconds=2))
    email = OutgoingEmail("a@example.com", "s", "t", "<p>h</p>", "x@vetted.local", "<1@x>")
    with pytest.raises(TransientEmailError):
        backend.send(email)


def test_an_unknown_security_mode_is_refused_with_its_name(settings):
    with pytest.raises(PermanentEmailError, match="SMTP_SECURITY"):
        SmtpBackend(settings.with_overrides(smtp_security="tls13"))


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_with_credentials_delivers_and_checks_the_certificate(
    settings, tmp_path, monkeypatch
):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []
    lock = threading.Lock()

    def authenticator(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
        with lock:
            logins.append((data.login, data.password))
        ok = data.login == b"mailer" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    collector = Collector()
    port = free_port()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our test CA, as an operator would
        secure = settings.with_overrides(
            smtp_port=port,
            smtp_security="starttls",
            smtp_username="mailer",
            smtp_password="s3cret",
            smtp_timeout_seconds=5,
        )
        email = OutgoingEmail(
            "a@example.com", "Hello", "text", "<p>html</p>", "x@vetted.local", "<2@x>"
        )
        assert SmtpBackend(secure).send(email) == "<2@x>"
        assert [r.recipients for r in collector.messages] == [["a@example.com"]]
        monkeypatch.delenv("SSL_CERT_FILE")
        with pytest.raises(TransientEmailError):  # an untrusted certificate is never accepted
            SmtpBackend(secure).send(email)
    finally:
        controller.stop()
    assert logins[0] == (b"mailer", b"s3cret")
    assert len(collector.messages) == 1


def test_smtp_deliveries_are_recorded_sent(session, settings, smtp_server, offered):
    _, offer, _ = offered
    offer_mail(session, settings, smtp_server, offer)
    session.expire_all()
    statuses = {d.status for d in session.scalars(select(EmailDelivery))}
    assert statuses == {"sent"}


def test_refused_credentials_are_a_permanent_error(settings):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
        return AuthResult(success=data.password == b"s3cret", handled=False)

    collector = Collector()
    port = free_port()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        wrong = settings.with_overrides(
            smtp_port=port, smtp_username="mailer", smtp_password="nope", smtp_timeout_seconds=5
        )
        email = OutgoingEmail("a@example.com", "Hi", "t", "<p>h</p>", "x@vetted.local", "<3@x>")
        with pytest.raises(PermanentEmailError, match="login refused"):
            SmtpBackend(wrong).send(email)
    finally:
        controller.stop()
    assert collector.messages == []
