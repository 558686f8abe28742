"""Who may have which case: one rule for the editor, the history, moderation and the API.

A case someone may not know exists is a 404 to them (another contributor's draft,
anything unpublished for a visitor); a case they may see but not change is a 403
(someone else's published case). Staff see and change every case, on the site and
in the API alike (`CaseQuerySet.visible_to` and `editable_by`)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from registry.models.case import Case


def case_for(user, pk, *, write=False, queryset=None, for_update=False):
    """The case `pk` as `user` may have it, from `queryset` (all cases by default):
    Http404 when `user` may not see it, PermissionDenied when `write` and they may
    see it but not change it. `for_update` locks the row (inside a transaction)."""
    queryset = Case.objects.all() if queryset is None else queryset
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    case = queryset.visible_to(user).filter(pk=pk).first()
    if case is None:
        message = _("Aucune expérience ne porte l'identifiant « %(id)s ».")
        raise Http404(message % {"id": pk})
    if write and not Case.objects.editable_by(user).filter(pk=case.pk).exists():
        raise PermissionDenied(
            _("Seuls son auteur et l'équipe de modération modifient cette expérience.")
        )
    return case
