"""E-mails are sent outside the request: queued once the decision is committed,
sent by the task worker (`manage.py db_worker`), tried again when the mail server
fails (registry/tasks.py)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from registry.models import CaseStatus
from registry.tasks import RETRY_DELAYS, queue_email, send_email
from tests.factories import CaseFactory, term
from tests.mail_backends import FlakyEmailBackend

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database_tasks(settings):
    """The production set-up: e-mails wait in the tasks table for the worker."""
    settings.TASKS = DATABASE_BACKEND


@pytest.fixture
def flaky_mail_server(settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.FlakyEmailBackend"
    yield FlakyEmailBackend
    FlakyEmailBackend.failures = 0


@pytest.fixture(autouse=True)
def worker_inside_the_test_transaction(monkeypatch):
    """Between tasks the worker closes a connection it finds inside a transaction,
    as a long-running process should; the test's own transaction is one, and must
    stay open for the worker to see the test's rows."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker():
    """What `manage.py db_worker` does, until no task is due."""
    out = io.StringIO()
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=out)
    return out.getvalue()


def make_due(tasks):
    """Move the clock past the retry delay of the waiting tasks."""
    tasks.update(run_after=timezone.now() - timedelta(seconds=1))


def submitted_case(owner):
    return CaseFactory(
        owner=owner,
        status=CaseStatus.SUBMITTED,
        title="Cantine solidaire de Tourcoing",
        tags=[term("theme", "sante")],
    )


def status_of(case):
    case.refresh_from_db()
    return case.status


def publish(client, case):
    return client.post(
        reverse("moderation_review", args=[case.pk]), {"decision": "publish", "message": ""}
    )


def test_a_decision_email_waits_for_the_commit_then_for_the_worker(
    moderator_client, contributor, mailoutbox, database_tasks, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = publish(moderator_client, case)
    assert response.status_code == 302
    # The decision is answered; nothing is sent nor even queued before its commit.
    assert after_commit and not DBTaskResult.objects.exists() and not mailoutbox

    for callback in after_commit:
        callback()
    (waiting,) = DBTaskResult.objects.all()
    assert waiting.status == TaskResultStatus.READY and waiting.task_path.endswith("send_email")
    assert not mailoutbox  # the worker sends it, not the request

    run_worker()
    waiting.refresh_from_db()
    assert waiting.status == TaskResultStatus.SUCCESSFUL
    (email,) = mailoutbox
    assert email.to == [contributor.email]
    assert "publiée" in email.subject and case.title in email.subject
    assert case.title in email.body


def test_a_rolled_back_decision_sends_nothing(
    contributor, mailoutbox, database_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        queue_email("Un autre message, lui validé", "…", [contributor.email])
        with pytest.raises(RuntimeError), transaction.atomic():
            queue_email("Votre expérience est publiée", "…", [contributor.email])
            raise RuntimeError("the decision failed")
    assert len(after_commit) == 1
    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert [email.subject for email in mailoutbox] == ["Un autre message, lui validé"]


def test_a_failing_mail_server_does_not_fail_the_decision_and_the_worker_tries_again(
    moderator_client,
    contributor,
    mailoutbox,
    database_tasks,
    flaky_mail_server,
    django_capture_on_commit_callbacks,
    caplog,
):
    flaky_mail_server.failures = 2
    case = submitted_case(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        response = publish(moderator_client, case)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED

    run_worker()
    first, second = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == TaskResultStatus.FAILED
    assert second.status == TaskResultStatus.READY
    assert second.args_kwargs["kwargs"]["attempt"] == 2  # the second attempt
    assert second.run_after >= first.finished_at + timedelta(seconds=RETRY_DELAYS[0] - 0.5)
    assert "trying again in 1 s" in caplog.text
    assert not mailoutbox

    run_worker()  # not due yet: nothing happens
    assert DBTaskResult.objects.ready().count() == 0 and not mailoutbox

    make_due(DBTaskResult.objects.filter(status=TaskResultStatus.READY))
    run_worker()  # fails again, waits 5 s
    third = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert third.args_kwargs["kwargs"]["attempt"] == 3

    make_due(DBTaskResult.objects.filter(pk=third.pk))
    run_worker()  # the server is back
    third.refresh_from_db()
    assert third.status == TaskResultStatus.SUCCESSFUL
    (email,) = mailoutbox
    assert email.to == [contributor.email] and case.title in email.subject
    assert DBTaskResult.objects.failed().count() == 2


def test_the_worker_gives_up_after_the_last_retry(
    contributor, mailoutbox, database_tasks, flaky_mail_server, caplog
):
    flaky_mail_server.failures = 1
    send_email.enqueue(
        subject="Sujet",
        body="Corps",
        from_email="registre@example.org",
        to=[contributor.email],
        attempt=len(RETRY_DELAYS) + 1,
    )
    run_worker()
    (task,) = DBTaskResult.objects.all()
    assert task.status == TaskResultStatus.FAILED
    assert "SMTPServerDisconnected" in task.exception_class_path
    assert "not sent after 6 attempts; giving up" in caplog.text and not mailoutbox


def test_the_immediate_backend_sends_at_commit_and_a_failure_is_logged_not_raised(
    moderator_client,
    contributor,
    mailoutbox,
    flaky_mail_server,
    django_capture_on_commit_callbacks,
    caplog,
):
    # The development and test set-up (TASK_BACKEND=immediate): no worker to run.
    refused, sent = submitted_case(contributor), submitted_case(contributor)
    flaky_mail_server.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = publish(moderator_client, refused)
    assert response.status_code == 302
    assert status_of(refused) == CaseStatus.PUBLISHED
    assert not mailoutbox and "not sent; giving up" in caplog.text

    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        publish(moderator_client, sent)
    assert not mailoutbox  # not before the commit
    for callback in after_commit:
        callback()
    (email,) = mailoutbox
    assert email.to == [contributor.email]
    assert not DBTaskResult.objects.exists()


def test_a_message_keeps_its_reply_address_and_headers(
    contributor, mailoutbox, database_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            "Contact",
            "Bonjour",
            [contributor.email],
            reply_to=["visiteur@example.org"],
            headers={"X-Registre": "contact"},
        )
    run_worker()
    (email,) = mailoutbox
    assert email.reply_to == ["visiteur@example.org"]
    assert email.extra_headers == {"X-Registre": "contact"}
    assert email.from_email == "registre@alliances.example"
