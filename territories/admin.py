"""The geography in the admin: looked up, never edited.

Territories come from the official COG files through `load_territories`; a
change made by hand would be overwritten by the next load, so staff may only
view them. The admin still serves them to every autocomplete field that points
at a territory, labelled so that homonyms are told apart.
"""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from stdnum.util import clean

from territories.models import Territory, TerritoryKind


def territory_choice_label(territory):
    """ "Saint-Étienne (42)", "Loire (42) — Département", "Guyane — Région".

    The kind is spelt out above the commune level because a région, a
    département and an EPCI may share a name (Guyane, Martinique…)."""
    if territory.kind == TerritoryKind.COMMUNE:
        return territory.label
    return f"{territory.label} — {territory.get_kind_display()}"


class TerritoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return territory_choice_label(obj)


class TerritoryLabelsMixin:
    """For admins with territory autocomplete fields: the territory already
    chosen is shown with the same label as the autocomplete results."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Territory:
            kwargs["form_class"] = TerritoryChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RegionFilter(admin.SimpleListFilter):
    """The 18 régions; choosing one keeps everything inside it (an EPCI that
    straddles two régions shows under both)."""

    title = _("région")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [(str(region.pk), region.name) for region in Territory.objects.regions()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(ancestor_links__ancestor_id=self.value())


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "code",
        "departement_code",
        "epci_category",
        "population",
    )
    list_filter = ("kind", "epci_category", "is_overseas", RegionFilter)
    # Required by the autocomplete view; the lookup itself is `get_search_results`.
    search_fields = ("name_key", "code", "siren")
    search_help_text = _("Nom (accents et tirets indifférents), code INSEE ou SIREN.")
    fields = (
        "kind",
        "code",
        "name",
        "name_key",
        "region",
        "departement",
        "epci",
        "epci_category",
        "population",
        "siren",
        "postal_codes",
        "is_overseas",
    )
    readonly_fields = ("name_key",)

    @admin.display(description=_("département"), ordering="code")
    def departement_code(self, obj):
        # Read from the territory's own code: no query per row.
        if obj.kind in (TerritoryKind.COMMUNE, TerritoryKind.DEPARTEMENT):
            return obj.departement_code
        return "—"

    def get_search_results(self, request, queryset, search_term):
        """Names whatever the accents, case and hyphens ("saint etienne" finds
        Saint-Étienne), or an INSEE code or SIREN typed with or without spaces.

        Most populated first: the changelist re-sorts by its own columns, the
        autocomplete keeps this order so the city comes before its namesakes."""
        if not search_term.strip():
            return queryset, False
        code = clean(search_term, " .-").strip().upper()
        by_code = queryset.filter(Q(code=code) | Q(siren=code))
        return (queryset.search(search_term) | by_code).by_population(), False

    def autocomplete_label(self, obj):
        return territory_choice_label(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
