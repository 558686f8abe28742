"""The message thread of a case, between its owner and the moderators: shown on
the review page, in the editor and on the owner's view of the case page;
written here (POST only), by them alone (anyone else gets a 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.ratelimit import ratelimit
from registry.forms import MessageForm
from registry.models import Case
from registry.models.access import case_for
from registry.models.workflow import is_moderator
from registry.notifications import notify_case_message_on_commit

# Where the form was, so the writer comes back to the thread they wrote in.
RETURNS = {"relecture", "editeur", "fiche"}


def thread_url(case, where):
    if where == "relecture":
        return reverse("moderation_review", args=[case.pk]) + "#fil"
    if where == "editeur" and case.opens_in_editor:
        return reverse("case_edit", args=[case.pk]) + "#fil"
    return case.get_absolute_url() + "#fil"


@login_required
@require_POST
@ratelimit("case-message", limit=30, period=3600, key="user")
def case_message(request, pk):
    # The owner's cases and, for staff, every case: a 404 to anyone else.
    case = case_for(request.user, pk, queryset=Case.objects.editable_by(request.user))
    where = request.POST.get("retour")
    if where not in RETURNS or (where == "relecture" and not is_moderator(request.user)):
        where = "fiche"
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["body"]))
        return redirect(thread_url(case, where))
    try:
        with transaction.atomic():
            message = case.post_message(form.cleaned_data["body"], by=request.user)
            notify_case_message_on_commit(message)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(thread_url(case, where))
    messages.success(request, _("Message envoyé."))
    return redirect(thread_url(case, where))
