"""E-mails to contributors about moderation decisions (Django's mail settings)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from registry.models import Action

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
