"""Staff pages for merging organisations: the likely duplicates, listed and
searchable; the preview of one merge, with what moves; its confirmation."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import CasePartner, Organization
from registry.search.duplicates import likely_duplicate_pairs
from registry.views.moderation import staff_required

SEARCH_RESULTS_SHOWN = 30


class MergeForm(forms.Form):
    """Two organisations named by the end of their address (their slug)."""

    survivor = forms.ModelChoiceField(
        label=gettext_lazy("Organisation conservée"),
        queryset=Organization.objects.all(),
        to_field_name="slug",
        widget=forms.TextInput,
        help_text=gettext_lazy("Son identifiant d'URL (la fin de l'adresse de sa page)."),
        error_messages={
            "required": gettext_lazy("Indiquez l'organisation à conserver."),
            "invalid_choice": gettext_lazy(
                "Aucune organisation n'a l'identifiant d'URL « %(value)s » : "
                "elle a peut-être déjà été fusionnée. Choisissez-la dans la liste."
            ),
        },
    )
    duplicate = forms.ModelChoiceField(
        label=gettext_lazy("Doublon à fusionner"),
        queryset=Organization.objects.all(),
        to_field_name="slug",
        widget=forms.TextInput,
        help_text=gettext_lazy("Ses partenariats passent à l'organisation conservée."),
        error_messages={
            "required": gettext_lazy("Indiquez le doublon à fusionner."),
            "invalid_choice": gettext_lazy(
                "Aucune organisation n'a l'identifiant d'URL « %(value)s » : "
                "elle a peut-être déjà été fusionnée. Choisissez-la dans la liste."
            ),
        },
    )

    def clean(self):
        data = super().clean()
        if data.get("survivor") and data.get("survivor") == data.get("duplicate"):
            raise ValidationError(_("Choisissez deux organisations différentes."))
        return data


def merge_url(survivor, duplicate):
    query = urlencode({"survivor": survivor.slug, "duplicate": duplicate.slug})
    return f"{reverse('moderation_merge_preview')}?{query}"


@staff_required
def moderation_merge(request):
    """GET: the likely duplicates, searchable by name or identifier. POST (from
    the preview's confirmation): the merge itself."""
    if request.method == "POST":
        return merge_confirm(request)
    query = request.GET.get("q", "").strip()[:150]
    pairs = [
        {"pair": pair, "url": merge_url(pair.survivor, pair.duplicate)}
        for pair in likely_duplicate_pairs(query=query)
    ]
    found = []
    if query:
        found = list(
            Organization.objects.search(query)
            .with_related()
            .annotate(case_count=Count("roster_entries__case", distinct=True))
            .order_by("name_key", "pk")[:SEARCH_RESULTS_SHOWN]
        )
    context = {
        "pairs": pairs,
        "query": query,
        "found": found,
        "form": MergeForm(),
        "breadcrumbs": [(_("Modération"), "/moderation/"), (_("Fusionner"), None)],
    }
    return render(request, "registry/moderation/merge.html", context)


def merge_confirm(request):
    form = MergeForm(request.POST)
    if not form.is_valid():
        return render_preview(request, form)
    survivor, duplicate = form.cleaned_data["survivor"], form.cleaned_data["duplicate"]
    moved = Organization.objects.merge(survivor=survivor, duplicate=duplicate, by=request.user)
    messages.success(
        request,
        _("« %(duplicate)s » fusionnée dans « %(survivor)s » : %(count)d partenariat(s) repris.")
        % {"duplicate": duplicate.name, "survivor": survivor.name, "count": moved},
    )
    return redirect("moderation_merge")


@staff_required
def moderation_merge_preview(request):
    """What a merge would do, before it is done: both organisations side by
    side, the roster entries and members that move, the identifiers and fields
    the survivor takes over; then a confirmation button (POST)."""
    return render_preview(request, MergeForm(request.GET or None))


def render_preview(request, form):
    context = {
        "form": form,
        "breadcrumbs": [
            (_("Modération"), "/moderation/"),
            (_("Fusionner"), reverse("moderation_merge")),
            (_("Aperçu"), None),
        ],
    }
    if form.is_bound and form.is_valid():
        survivor, duplicate = form.cleaned_data["survivor"], form.cleaned_data["duplicate"]
        context.update(merge_preview(survivor, duplicate))
        context["swap_url"] = merge_url(duplicate, survivor)
    return render(request, "registry/moderation/merge_preview.html", context)


def merge_preview(survivor, duplicate):
    """What `Organization.objects.merge` would move, read without writing."""
    survivor, duplicate = (
        Organization.objects.with_related()
        .select_related("governed_territory", "created_by")
        .annotate(
            case_count=Count("roster_entries__case", distinct=True),
            member_count=Count("members", distinct=True),
        )
        .get(pk=organization.pk)
        for organization in (survivor, duplicate)
    )
    held = set(CasePartner.objects.filter(organization=survivor).values_list("case_id", "role_id"))
    entries = list(
        CasePartner.objects.filter(organization=duplicate)
        .select_related("case", "role")
        .order_by("case__title", "pk")
    )
    for entry in entries:
        entry.joins_twin = (entry.case_id, entry.role_id) in held
    taken_over = [
        (field, getattr(duplicate, field))
        for field in ("siren", "siret", "rna", "website", "seat", "governed_territory")
        if getattr(duplicate, field) and not getattr(survivor, field)
    ]
    labels = {
        field: Organization._meta.get_field(field).verbose_name for field, _value in taken_over
    }
    return {
        "survivor": survivor,
        "duplicate": duplicate,
        "entries": entries,
        "case_count": len({entry.case_id for entry in entries}),
        "taken_over": [(labels[field], value) for field, value in taken_over],
        "description_taken_over": bool(duplicate.description and not survivor.description),
    }
