"""Freshness: the « toujours exacte » link of a reminder e-mail, which confirms a
published case without a password, and the staff's page of stale cases and of
pioneers due for review (`send_freshness_reminders` sends the e-mails)."""

from django.core import signing
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from registry.models import Case
from registry.models.case import FRESHNESS_MONTHS, stale_limit
from registry.notifications import (
    FRESHNESS_LINK_MAX_AGE,
    last_reminder,
    read_freshness_token,
)
from registry.views.moderation import staff_required

# Enough for a page that staff read; the counts say how many there are in all.
LIST_LIMIT = 200


def refused(request, message, *, status=400):
    return render(request, "registry/freshness/refused.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def freshness_confirm(request, token):
    """GET shows the case and a button; only the POST confirms it (a mail
    scanner following the link changes nothing). The token is the proof: its
    owner received it, so no account is needed."""
    try:
        claim = read_freshness_token(token)
    except signing.SignatureExpired:
        days = FRESHNESS_LINK_MAX_AGE.days
        return refused(
            request,
            _(
                "Ce lien a expiré : il valait %(days)d jours. Le prochain rappel vous "
                "en enverra un nouveau, ou connectez-vous pour confirmer l'expérience depuis "
                "votre tableau de bord."
            )
            % {"days": days},
        )
    except signing.BadSignature:
        return refused(
            request,
            _(
                "Ce lien n'est pas valide : il a peut-être été coupé ou modifié. Copiez "
                "l'adresse entière depuis l'e-mail, ou connectez-vous pour confirmer "
                "l'expérience depuis votre tableau de bord."
            ),
        )
    case = Case.objects.published().filter(pk=claim.get("case")).first()
    if case is None:
        return refused(
            request,
            _("Cette expérience n'est plus publiée : il n'y a rien à confirmer."),
            status=404,
        )
    verified = case.last_verified_on.isoformat() if case.last_verified_on else None
    if claim.get("verified") != verified:
        # Confirmed since the e-mail (this link already, or from the dashboard).
        return render(request, "registry/freshness/confirm.html", {"case": case, "done": True})
    if claim.get("version") != case.version:
        return refused(
            request,
            _(
                "Cette expérience a été modifiée depuis l'envoi de ce lien : relisez-la, "
                "puis confirmez-la depuis votre tableau de bord."
            ),
            status=409,
        )
    if request.method == "POST":
        user = request.user
        by = user if user.is_authenticated and user.pk == case.owner_id else None
        case.confirm_accurate(by=by, data={"via": "reminder_link"})
        return render(
            request, "registry/freshness/confirm.html", {"case": case, "done": True, "now": True}
        )
    return render(request, "registry/freshness/confirm.html", {"case": case, "done": False})


@staff_required
def moderation_freshness(request):
    """Published cases nobody confirmed for FRESHNESS_MONTHS, the longest first,
    and pioneers whose review date has come."""
    today = timezone.localdate()
    stale = (
        Case.objects.unverified_since(stale_limit(today))
        .select_related("owner")
        .annotate(
            verified_on=Coalesce("last_verified_on", TruncDate("published_at")),
            last_reminded=last_reminder(),
        )
        .order_by("verified", "id")
    )
    pioneers = (
        Case.objects.pioneers_due(today)
        .select_related("owner", "pioneer_by")
        .order_by("pioneer_review_on", "id")
    )
    context = {
        "stale": stale[:LIST_LIMIT],
        "stale_count": stale.count(),
        "pioneers": pioneers[:LIST_LIMIT],
        "pioneer_count": pioneers.count(),
        "months": FRESHNESS_MONTHS,
        "breadcrumbs": [(_("Modération"), reverse("moderation_queue")), (_("Fraîcheur"), None)],
    }
    return render(request, "registry/freshness/staff.html", context)
