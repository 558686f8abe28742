"""Deleting a draft: its owner's, never published, after a confirmation page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from registry.models import Case


@login_required
def case_delete(request, pk):
    """GET: what will go, and a button; POST: gone. Only the owner's own case
    (anyone else: 404, staff included: they reject, they do not delete), and only
    a draft never published (`Case.is_deletable`): otherwise the editor says why."""
    case = get_object_or_404(Case.objects.filter(owner=request.user), pk=pk)
    if not case.is_deletable:
        messages.error(
            request,
            _(
                "Seul un brouillon jamais publié peut être supprimé. Une expérience publiée "
                "ou relue reste dans le registre : retirez sa soumission, ou demandez son "
                "archivage à l'équipe de modération."
            ),
        )
        return redirect(case.get_absolute_url())
    if request.method == "POST":
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .filter(owner=request.user, pk=case.pk)
                .first()
            )
            if case is None:
                raise Http404
            title = case.title
            case.delete_draft(by=request.user)
        messages.success(request, _("Brouillon « %(title)s » supprimé.") % {"title": title})
        return redirect("accounts:dashboard")
    return render(
        request,
        "registry/case_delete.html",
        {
            "case": case,
            "partners": case.roster.count(),
            "territories": case.case_territories.count(),
            "breadcrumbs": [
                (_("Mes expériences"), None),
                (case.title, None),
            ],
        },
    )
