"""E-mails to contributors about moderation decisions, and contact messages to the
staff (Django's mail settings)."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from registry.models import Action, ModerationReason

logger = logging.getLogger(__name__)

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
    """Tell the case's owner what staff decided and why, in French then English."""
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
    return send_mail(
        f"[Alliances territoriales] {french} / {english} : {case.title}"[:200],
        body,
        settings.DEFAULT_FROM_EMAIL,
        [owner.email],
    )


def notify_decision_on_commit(case, action, *, reason="", message="", revision=None):
    """Tell the owner once the decision is saved, and not if it is rolled back: what
    the moderation page, the admin's actions and any other decision path call right
    after the workflow method (`case.publish`, `case.request_changes`…)."""
    # Lazy: written in French with the rest of the e-mail, whatever the page's language.
    reason_label = dict(ModerationReason.choices).get(reason, "")
    transaction.on_commit(
        lambda: notify_decision(
            case, action, reason_label=reason_label, message=message, revision=revision
        )
    )


def notify_contact_message(contact):
    """Forward a contact-form message to the staff address; a reply goes to its sender."""
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
    email = EmailMessage(
        f"[Alliances territoriales] Contact\u00a0: {subject}"[:200],
        body,
        settings.DEFAULT_FROM_EMAIL,
        [settings.CONTACT_EMAIL],
        reply_to=[contact.email],
    )
    try:
        return email.send()
    except OSError:  # smtplib's errors included
        # The message is kept for staff in the moderation area: the visitor is not told
        # of a mail server's failure.
        logger.exception("Contact message %s could not be e-mailed to the staff", contact.pk)
        return 0
