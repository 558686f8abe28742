"""E-mails to contributors about moderation decisions, and contact messages to the
staff. Each is written here, in the request that decides it, and queued with
`queue_email`: sent by the task worker once the decision is committed, never
while the request waits (registry/tasks.py)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.signing import TimestampSigner
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from registry.models import Action, AuditLog, ModerationReason
from registry.models.case import FRESHNESS_MONTHS
from registry.tasks import queue_email

MODERATORS = "Modérateurs"

SUBJECTS = {
    Action.PUBLISH: ("Votre expérience est publiée", "Your case is published"),
    Action.REQUEST_CHANGES: (
        "Des modifications sont demandées sur votre expérience",
        "Changes are requested on your case",
    ),
    Action.REJECT: ("Votre expérience n'a pas été retenue", "Your case was not accepted"),
    Action.ARCHIVE: ("Votre expérience est archivée", "Your case is archived"),
}


def notify_decision(case, action, *, reason_label="", message="", revision=None):
    """Tell the case's owner what staff decided and why, in French then English,
    once the decision is committed."""
    owner = case.owner
    if owner is None or not owner.email or action not in SUBJECTS:
        return 0
    french, english = SUBJECTS[action]
    context = {
        "case": case,
        "action": action,
        "reason": reason_label,
        "message": message,
        "revision": revision,
        "url": settings.SITE_URL + case.get_absolute_url(),
        "dashboard_url": settings.SITE_URL + "/compte/tableau-de-bord/",
    }
    with translation.override("fr"):
        body = render_to_string("registry/email/decision.txt", context)
    return queue_email(
        f"[Alliances territoriales] {french} / {english} : {case.title}"[:200],
        body,
        [owner.email],
    )


def notify_decision_on_commit(case, action, *, reason="", message="", revision=None):
    """Tell the owner once the decision is saved, and not if it is rolled back: what
    the moderation page, the admin's actions and any other decision path call right
    after the workflow method (`case.publish`, `case.request_changes`…)."""
    # Lazy: written in French with the rest of the e-mail, whatever the page's language.
    reason_label = dict(ModerationReason.choices).get(reason, "")
    return notify_decision(
        case, action, reason_label=reason_label, message=message, revision=revision
    )


def notify_contact_message(contact):
    """Forward a contact-form message to the staff address once it is saved; a reply
    goes to its sender. The message is kept for staff in the moderation area
    whatever the mail server does."""
    if not settings.CONTACT_EMAIL:
        return 0
    with translation.override("fr"):
        subject = contact.get_subject_display()
        body = render_to_string(
            "registry/email/contact.txt",
            {
                "contact": contact,
                "url": settings.SITE_URL + reverse("moderation_contact_messages"),
            },
        )
    return queue_email(
        f"[Alliances territoriales] Contact\u00a0: {subject}"[:200],
        body,
        [settings.CONTACT_EMAIL],
        reply_to=[contact.email],
    )


# Freshness ------------------------------------------------------------------------
# A published case its owner has not confirmed for FRESHNESS_MONTHS is stale: the
# `send_freshness_reminders` command e-mails the owner a signed link, at most every
# REMINDER_EVERY_DAYS, and the link lives as long (a lost one is replaced by the next).

REMINDER_EVERY_DAYS = 30
FRESHNESS_LINK_MAX_AGE = timedelta(days=REMINDER_EVERY_DAYS)
# Per purpose: a token signed for anything else (e-mail confirmation…) is refused here.
FRESHNESS_SALT = "registry.freshness.confirm"


def last_reminder():
    """When the case of the row was last reminded (an annotation)."""
    return Subquery(
        AuditLog.objects.filter(case=OuterRef("pk"), action=Action.REMIND)
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def freshness_token(case):
    """The signed, expiring token of a case's « toujours exacte » link. It names
    the case, its version and its last verification, so that it confirms once
    what its owner read: an edit or a confirmation since makes it void."""
    verified = case.last_verified_on.isoformat() if case.last_verified_on else None
    return TimestampSigner(salt=FRESHNESS_SALT).sign_object(
        {"case": case.pk, "version": case.version, "verified": verified}
    )


def read_freshness_token(token):
    """The token's {"case", "version", "verified"}; raises `signing.SignatureExpired`
    for an old link and `signing.BadSignature` for a tampered one."""
    return TimestampSigner(salt=FRESHNESS_SALT).unsign_object(token, max_age=FRESHNESS_LINK_MAX_AGE)


def notify_freshness_owner(owner, cases):
    """One e-mail to `owner` about all their stale `cases`, each with its link to
    confirm it without a password and its link to the editor."""
    with translation.override("fr"):
        entries = [
            {
                "case": case,
                "confirm_url": settings.SITE_URL
                + reverse("freshness_confirm", args=[freshness_token(case)]),
                "edit_url": settings.SITE_URL + reverse("case_edit", args=[case.pk]),
                "url": settings.SITE_URL + case.get_absolute_url(),
            }
            for case in cases
        ]
        context = {"entries": entries, "months": FRESHNESS_MONTHS, "days": REMINDER_EVERY_DAYS}
        body = render_to_string("registry/email/freshness_reminder.txt", context)
    return queue_email(
        "[Alliances territoriales] Vos expériences sont-elles toujours exactes\u00a0? "
        "/ Are your cases still accurate?",
        body,
        [owner.email],
    )


def staff_addresses():
    """Who hears about the registry's freshness: the active members of the
    « Modérateurs » group, else the contact address."""
    addresses = list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=MODERATORS)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    return addresses or ([settings.CONTACT_EMAIL] if settings.CONTACT_EMAIL else [])


def notify_freshness_staff(*, stale, stale_count, reminded, unreachable, pioneers):
    """The staff's summary of a reminder run: the stale cases (the first of
    `stale`, `stale_count` in all), how many owners were reminded, the cases
    no owner can be reminded of, and the pioneers due for review."""
    recipients = staff_addresses()
    if not recipients:
        return 0
    with translation.override("fr"):
        context = {
            "stale": stale,
            "stale_count": stale_count,
            "reminded": reminded,
            "unreachable": unreachable,
            "pioneers": pioneers,
            "months": FRESHNESS_MONTHS,
            "site_url": settings.SITE_URL,
            "url": settings.SITE_URL + reverse("moderation_freshness"),
        }
        body = render_to_string("registry/email/freshness_summary.txt", context)
    return queue_email(
        "[Alliances territoriales] Fraîcheur du registre / Registry freshness",
        body,
        recipients,
    )


# Reports ---------------------------------------------------------------------------


def notify_new_report(report):
    """Tell staff (`staff_addresses`) a visitor reported a case, once the report is
    saved; a reply goes to the reporter when they left an address. The report waits
    in the moderation area whatever the mail server does."""
    recipients = staff_addresses()
    if not recipients:
        return 0
    context = {
        "report": report,
        "case_url": settings.SITE_URL + report.case.get_absolute_url(),
        "url": settings.SITE_URL + reverse("report_resolve", args=[report.pk]),
    }
    with translation.override("fr"):
        subject = f"[Alliances territoriales] Signalement\u00a0: {report.case.title}"[:200]
        body = render_to_string("registry/email/report_new.txt", context)
    contact = report.contact_email
    return queue_email(subject, body, recipients, reply_to=[contact] if contact else ())


def notify_report_resolved(report):
    """Tell the reporter what staff did about their report, in French then English,
    once the resolution is saved."""
    if not report.contact_email:
        return 0
    context = {"report": report, "url": settings.SITE_URL + report.case.get_absolute_url()}
    with translation.override("fr"):
        body = render_to_string("registry/email/report_resolved.txt", context)
    return queue_email(
        "[Alliances territoriales] Votre signalement est traité / Your report was handled",
        body,
        [report.contact_email],
    )


def notify_restore(case, version, *, reason):
    """Tell the case's owner that staff brought back an earlier version, and why, once
    the restore is saved."""
    owner = case.owner
    if owner is None or not owner.email:
        return 0
    context = {
        "case": case,
        "version": version,
        "reason": reason,
        "url": settings.SITE_URL + case.get_absolute_url(),
        "history_url": settings.SITE_URL + reverse("case_history", args=[case.pk]),
    }
    with translation.override("fr"):
        body = render_to_string("registry/email/restore.txt", context)
    return queue_email(
        "[Alliances territoriales] Une version antérieure de votre expérience est rétablie"
        f" / An earlier version of your case is back\u00a0: {case.title}"[:200],
        body,
        [owner.email],
    )


def message_recipients(message):
    """Who hears of a message in a case's thread: its owner when staff wrote; when
    the owner did, the moderator handling the submission, else the moderators."""
    case = message.case
    if message.from_staff:
        owner = case.owner
        return [owner.email] if owner is not None and owner.email else []
    target = case.in_review()
    handler = target.assigned_to if target is not None else None
    if handler is not None and handler.is_active and handler.email:
        return [handler.email]
    return staff_addresses()


def notify_case_message(message):
    """E-mail the other side of the thread about `message`, in French then English,
    once it is saved (not if it is rolled back)."""
    recipients = message_recipients(message)
    if not recipients:
        return 0
    case = message.case
    if message.from_staff:
        url = settings.SITE_URL + case.get_absolute_url() + "#fil"
    else:
        url = settings.SITE_URL + reverse("moderation_review", args=[case.pk]) + "#fil"
    context = {"message": message, "case": case, "url": url}
    with translation.override("fr"):
        body = render_to_string("registry/email/case_message.txt", context)
    return queue_email(
        f"[Alliances territoriales] Nouveau message / New message\u00a0: {case.title}"[:200],
        body,
        recipients,
    )


def notify_case_message_on_commit(message):
    """`notify_case_message`, sent once the message is saved (the name the thread's
    view calls it by, like the other notifications)."""
    return notify_case_message(message)


def notify_restore_on_commit(case, version, *, reason):
    """`notify_restore`, sent once the restore is saved and not if it is rolled back
    (the name the moderation page calls it by)."""
    return notify_restore(case, version, reason=reason)
