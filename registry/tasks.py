"""The site's e-mails, sent outside the request.

Every e-mail of the site (moderation decisions, sign-up confirmations, reports,
contact messages, freshness reminders) is written where it is decided, in that
request's language, then handed to `queue_email`: once the transaction that
decided it commits, the `send_email` task is enqueued on the task backend of
`settings.TASKS`. In production that backend is the database and
`manage.py db_worker` sends the message, so a slow or failing mail server slows
or fails no page; a failure is tried again later (`RETRY_DELAYS`). In
development and tests the immediate backend sends it right after the commit, in
the same process.

The task takes only text (it is stored as JSON until a worker runs it), never
a model instance: what the e-mail says is fixed when it is queued.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# Seconds to wait before each new try of an e-mail the mail server refused or
# could not be reached for: six tries in all over about twelve minutes, then the
# task is marked failed (with its traceback, in the admin's task results).
RETRY_DELAYS = (1, 5, 30, 120, 600)


@task()
def send_email(subject, body, from_email, to, reply_to=(), headers=None, attempt=1):
    """Send one plain-text e-mail through Django's mail settings; on a mail
    server's failure, enqueue itself again after the next of `RETRY_DELAYS`.
    Returns the number of messages sent (1)."""
    message = EmailMessage(
        subject, body, from_email, list(to), reply_to=list(reply_to), headers=headers or None
    )
    try:
        return message.send()
    except OSError:  # smtplib.SMTPException included
        if not send_email.get_backend().supports_defer:
            # The immediate backend (development): no later to try again in.
            logger.exception("E-mail « %s » to %s not sent; giving up", subject, ", ".join(to))
            raise
        if attempt > len(RETRY_DELAYS):
            logger.exception(
                "E-mail « %s » to %s not sent after %d attempts; giving up",
                subject,
                ", ".join(to),
                attempt,
            )
            raise
        delay = RETRY_DELAYS[attempt - 1]
        logger.warning(
            "E-mail « %s » to %s not sent (attempt %d); trying again in %d s",
            subject,
            ", ".join(to),
            attempt,
            delay,
            exc_info=True,
        )
        send_email.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            subject=subject,
            body=body,
            from_email=from_email,
            to=list(to),
            reply_to=list(reply_to),
            headers=headers,
            attempt=attempt + 1,
        )
        # This attempt stays recorded as failed; the new task carries the next one.
        raise


def queue_email(subject, body, to, *, reply_to=(), headers=None, from_email=None):
    """Send an e-mail once the current transaction commits (at once outside one),
    never if it is rolled back. `subject` and `body` are text already rendered in
    the right language. Returns the number of recipients."""
    to = [address for address in to if address]
    if not to:
        return 0
    arguments = {
        "subject": str(subject),
        "body": str(body),
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "to": to,
        "reply_to": [address for address in reply_to if address],
        "headers": dict(headers) if headers else None,
    }
    # Robust: a task backend that cannot be reached is logged, and the decision,
    # already committed, does not answer 500.
    transaction.on_commit(lambda: send_email.enqueue(**arguments), robust=True)
    return len(to)
