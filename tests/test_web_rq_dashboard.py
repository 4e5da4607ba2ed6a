"""web.rq_dashboard: rq's dashboard at /admin/rq shows admins the real queues and jobs in Redis;
everyone else gets what every admin page gives them, its actions keep CSRF and are audited, its
pages get their own CSP, and made-up URLs answer 404, never a 500."""

from __future__ import annotations

import re

import pytest
from redis import Redis
from rq import Queue

from app import create_app
from jobs.dispatch import QUEUE_NAME, RqDispatcher, rq_job_id
from jobs.outbox import enqueue
from models.audit import AuditEvent
from tests.support import jobs as test_jobs
from tests.support.factories import make_user
from tests.support.hostile_inputs import probes
from tests.support.workspace import sign_in

PREFIX = "/admin/rq"


@pytest.fixture
def app_config(app_config, redis_url):
    app_config["redis_url"] = redis_url
    return app_config


@pytest.fixture
def queue(redis_url) -> Queue:
    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


@pytest.fixture
def admin(session):
    user = make_user(session, "admin@example.com", "admin")
    session.commit()
    return user


@pytest.fixture
def admin_client(client, admin):
    sign_in(client, admin)
    return client


def _dispatched_row(session, settings, tag: str):
    """An outbox row put on the real rq queue by the real dispatcher."""
    row = enqueue(session, test_jobs.count_runs, tag=tag)
    session.commit()
    assert RqDispatcher(settings).dispatch_once() == 1
    session.refresh(row)
    return row


def _dashboard_urls(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every route of the mounted blueprint, with plausible values, and its methods."""
    values = {"instance_number": "0", "per_page": "8", "page": "1", "order": "asc"}
    values |= {"queue_name": QUEUE_NAME, "registry_name": "queued", "job_id": "x"}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("rq_dashboard."):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[^:<>]+:)?{name}>", values.get(name, "x"), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def _open(client, method: str, url: str):  # type: ignore[no-untyped-def]
    """Routing first sends URLs naming the default instance to the canonical one (308)."""
    response = client.open(url, method=method)
    if response.status_code == 308:
        response = client.open(response.headers["Location"], method=method)
    return response


def test_admins_see_the_real_queue_and_the_job_waiting_on_it(admin_client, session, settings):
    row = _dispatched_row(session, settings, "waiting")

    page = admin_client.get(f"{PREFIX}/")
    assert page.status_code == 200 and "Queues" in page.text
    data = admin_client.get(f"{PREFIX}/0/data/queues.json").get_json()
    assert [(q["name"], q["count"]) for q in data["queues"]] == [(QUEUE_NAME, 1)]

    jobs = admin_client.get(f"{PREFIX}/0/data/jobs/{QUEUE_NAME}/queued/8/asc/1.json").get_json()
    assert [j["id"] for j in jobs["jobs"]] == [rq_job_id(row)]
    assert f"tests.support.jobs.count_runs (outbox {row.id})" in jobs["jobs"][0]["description"]
    job_page = admin_client.get(f"{PREFIX}/0/view/job/{rq_job_id(row)}")
    assert job_page.status_code == 200 and rq_job_id(row) in job_page.text


def test_a_failed_job_is_listed_with_its_error(admin_client, queue):
    job = test_jobs.failed_rq_job(queue, "the scanner exploded")

    counts = admin_client.get(f"{PREFIX}/0/data/queues.json").get_json()["queues"][0]
    assert counts["failed_job_registry_count"] == 1
    failed = admin_client.get(f"{PREFIX}/0/data/jobs/{QUEUE_NAME}/failed/8/asc/1.json").get_json()
    assert [j["id"] for j in failed["jobs"]] == [job.id]
    assert "RuntimeError: the scanner exploded" in failed["jobs"][0]["exc_info"]
    detail = admin_client.get(f"{PREFIX}/0/data/job/{job.id}.json").get_json()
    assert detail["status"] == "failed" and "the scanner exploded" in detail["exc_info"]


def test_signed_out_visitors_are_sent_to_sign_in_and_see_nothing(client, session, settings):
    _dispatched_row(session, settings, "secret-tag")
    for method, url in _dashboard_urls(client.application):
        response = _open(client, method, url)
        assert response.status_code in (302, 400), (method, url, response.status_code)
        assert "/sign-in" in response.headers.get("Location", "/sign-in"), (method, url)
        assert "outbox" not in response.text, (method, url)


def test_signed_in_non_admins_are_refused_everything_and_change_nothing(
    client, session, settings, queue
):
    failed = test_jobs.failed_rq_job(queue, "keep me")
    _dispatched_row(session, settings, "mine")
    reviewer = make_user(session, "rev@example.com", "reviewer")
    session.commit()
    sign_in(client, reviewer)
    for method, url in _dashboard_urls(client.application):
        url = url.replace("/job/x", f"/job/{failed.id}")
        response = _open(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "outbox" not in response.text and "keep me" not in response.text
    assert queue.count == 1 and failed.get_status(refresh=True) == "failed"


def test_every_action_without_the_csrf_token_is_refused(app_config, admin, queue):
    app = create_app({**app_config, "wtf_csrf_enabled": True})
    client = app.test_client()
    with app.app_context():
        sign_in(client, admin)
    failed = test_jobs.failed_rq_job(queue, "stay failed")
    posts = [url for method, url in _dashboard_urls(app) if method == "POST"]
    assert len(posts) >= 5
    for url in posts:
        response = client.post(url.replace("/job/x", f"/job/{failed.id}"))
        assert response.status_code == 400, (url, response.status_code)
    assert failed.get_status(refresh=True) == "failed"


def test_its_own_javascript_sends_the_cookie_token_and_the_action_is_audited(
    app_config, admin, queue, session
):
    app = create_app({**app_config, "wtf_csrf_enabled": True})
    client = app.test_client()
    with app.app_context():
        sign_in(client, admin)
    failed = test_jobs.failed_rq_job(queue, "try again")
    assert client.get(f"{PREFIX}/0/view/jobs/{QUEUE_NAME}/failed/8/asc/1").status_code == 200
    cookie = client.get_cookie("_csrf_token", path=PREFIX)
    assert cookie is not None and cookie.same_site == "Strict" and not cookie.http_only

    # what the package's jQuery does: POST with X-CSRFToken from that cookie
    requeued = client.post(
        f"{PREFIX}/job/{failed.id}/requeue", headers={"X-CSRFToken": cookie.value}
    )
    assert requeued.status_code == 200 and requeued.get_json() == {"status": "OK"}
    assert failed.get_status(refresh=True) == "queued" and queue.count == 1
    event = session.query(AuditEvent).filter_by(action="rq.job.requeue").one()
    assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "job", failed.id)


def test_requeue_all_is_not_done_by_following_a_link(admin_client, queue):
    failed = test_jobs.failed_rq_job(queue, "not by GET")
    assert admin_client.get(f"{PREFIX}/requeue/{QUEUE_NAME}").status_code == 405
    assert failed.get_status(refresh=True) == "failed"
    assert admin_client.post(f"{PREFIX}/requeue/{QUEUE_NAME}").get_json()["count"] == 1
    assert failed.get_status(refresh=True) == "queued"


@pytest.mark.parametrize(
    "path",
    [
        "/1/view/queues",
        "/7/data/queues.json",
        "/0/view/jobs/no-such-queue/queued/8/asc/1",
        "/0/view/jobs/x');alert(1);('/queued/8/asc/1",
        "/0/data/jobs/vetted/no-such-registry/8/asc/1.json",
        "/0/data/jobs/vetted/queued/0/asc/1.json",
        "/0/data/jobs/vetted/queued/eight/asc/1.json",
        "/0/data/jobs/vetted/queued/8/sideways/1.json",
        "/0/view/job/no-such-job",
        "/0/data/job/no-such-job.json",
    ],
)
def test_made_up_urls_answer_404(admin_client, path):
    response = admin_client.get(PREFIX + path)
    assert response.status_code == 404
    assert "alert(1)" not in response.text


def test_no_hostile_input_to_the_dashboard_causes_a_server_error(admin_client, queue):
    test_jobs.failed_rq_job(queue, "<img src=x onerror=alert(1)>")
    app = admin_client.application
    mine = [p for p in probes(app, {"name", "csrf_token"}, {}) if p.url.startswith(PREFIX)]
    assert len(mine) > 100
    failures = []
    for probe in mine:
        response = admin_client.open(probe.url, method=probe.method, **probe.kwargs)
        if response.status_code >= 500 or "Traceback" in response.get_data(as_text=True):
            failures.append(f"{response.status_code} {probe.describe()}")
    assert not failures, "\n".join(failures[:40])


def test_its_pages_get_a_nonce_and_eval_and_nothing_else_is_relaxed(admin_client):
    page = admin_client.get(f"{PREFIX}/")
    csp = page.headers["Content-Security-Policy"]
    script_src = csp.split("script-src", 1)[1].split(";", 1)[0]
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    assert "'unsafe-eval'" in script_src and "unsafe-inline" not in script_src
    assert f'nonce="{nonce}"' in page.text
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert nonce not in admin_client.get(f"{PREFIX}/").headers["Content-Security-Policy"]

    elsewhere = admin_client.get("/dashboard").headers["Content-Security-Policy"]
    assert "unsafe-eval" not in elsewhere and "nonce-" not in elsewhere


def test_admins_find_it_in_the_navigation(admin_client):
    page = admin_client.get("/dashboard").text
    assert f'href="{PREFIX}/"' in page


@pytest.mark.parametrize("config", [{"redis_url": ""}, {"rq_dashboard_enabled": False}])
def test_without_redis_or_when_disabled_there_is_no_dashboard(app_config, admin, config):
    app = create_app({**app_config, **config})
    client = app.test_client()
    with app.app_context():
        sign_in(client, admin)
    assert client.get(f"{PREFIX}/").status_code == 404
    assert PREFIX not in client.get("/dashboard").text
