"""The staff's back office: vocabularies, organisations, cases and their history.

A case saved in the admin goes through the model like every other write: its
inline rows saved, `Case.record_staff_edit` gives it a new version number,
rebuilds its index and logs who changed what; featuring or no longer featuring
it as a pioneer is `case.feature` / `case.unfeature`, under the one pioneer rule. Codes of the
référentiel never change and nothing is deleted that a case may rely on.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from registry.models import (
    AuditLog,
    Case,
    CasePartner,
    CaseRevision,
    CaseSource,
    CaseStatus,
    CaseTerritory,
    CaseVersion,
    ContactMessage,
    ContactStatus,
    Organization,
    Term,
    Vocabulary,
)
from registry.models.index import refresh_cases_tagged
from registry.models.vocabulary import TAGS
from registry.models.workflow import pioneer_errors
from registry.text import identifiers
from territories.admin import TerritoryLabelsMixin

admin.site.site_header = _("Registre des alliances territoriales — administration")
admin.site.site_title = _("Registre des alliances territoriales")
admin.site.index_title = _("Administration du registre")


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete results labelled by the target admin's `autocomplete_label(obj)`
    when it has one, so that "Sainte-Colombe (05)" and "Sainte-Colombe (69)" differ."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        autocomplete_label = getattr(self.model_admin, "autocomplete_label", None)
        if autocomplete_label is not None:
            result["text"] = str(autocomplete_label(obj))
        return result


def labelled_autocomplete_view(request):
    return LabelledAutocompleteJsonView.as_view(admin_site=admin.site)(request)


# The default site's own hook for this view; the URL is built after every admin
# module is imported, so this instance attribute is the one it routes to.
admin.site.autocomplete_view = labelled_autocomplete_view

# Addresses typed without a scheme are taken as https (Django 6's default).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}



# --- Vocabularies ---------------------------------------------------------


# Cases are found by their tags' labels: a relabelled term is searched for by its new name.
LABELS = {"label_fr", "label_en"}


def reindex_cases_tagged(model_admin, request, terms):
    count = refresh_cases_tagged(terms)
    model_admin.message_user(
        request,
        ngettext(
            "%(count)s expérience réindexée sous le nouveau libellé.",
            "%(count)s expériences réindexées sous le nouveau libellé.",
            count,
        )
        % {"count": number_format(count, force_grouping=True)},
        messages.INFO,
    )


class TermInline(admin.TabularInline):
    """The terms of a vocabulary, to review their labels at a glance. New terms
    are added from the term admin, where the code is chosen once."""

    model = Term
    fields = ("code", "label_fr", "label_en", "parent", "is_active", "position")
    readonly_fields = ("code", "parent")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Vocabulary)
class VocabularyAdmin(admin.ModelAdmin):
    list_display = ("label_fr", "code", "label_en", "basis", "term_count", "position")
    list_filter = ("basis",)
    search_fields = ("code", "label_fr", "label_en")
    inlines = (TermInline,)

    @admin.display(description=_("termes"), ordering="term_count")
    def term_count(self, obj):
        return obj.term_count

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(term_count=Count("terms"))

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        relabelled = [f.instance for f in formset.forms if LABELS & set(f.changed_data)]
        if relabelled:
            reindex_cases_tagged(self, request, relabelled)

    # The lists are those of the référentiel, loaded by `load_vocabularies`,
    # and the code refers to them by code.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("code", "vocabulary", "label_fr", "label_en", "parent", "basis", "is_active")
    list_display_links = ("code", "label_fr")
    list_filter = ("vocabulary", "basis", "is_active")
    list_select_related = ("vocabulary", "parent")
    search_fields = ("code", "label_fr", "label_en")
    fields = (
        "vocabulary",
        "code",
        "parent",
        "label_fr",
        "label_en",
        "description_fr",
        "description_en",
        "basis",
        "is_active",
        "position",
    )
    actions = ("retire_terms", "restore_terms")

    def get_readonly_fields(self, request, obj=None):
        # Codes are identifiers used in URLs, filters and exports.
        return ("vocabulary", "code", "parent") if obj else ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and LABELS & set(form.changed_data):
            reindex_cases_tagged(self, request, [obj])

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retirer les termes sélectionnés"), permissions=["change"])
    def retire_terms(self, request, queryset):
        count = queryset.filter(is_active=True).update(is_active=False)
        self.message_user(
            request,
            ngettext(
                "%(count)d terme retiré : il reste sur les expériences existantes.",
                "%(count)d termes retirés : ils restent sur les expériences existantes.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Remettre en usage les termes sélectionnés"), permissions=["change"]
    )
    def restore_terms(self, request, queryset):
        count = queryset.filter(is_active=False).update(is_active=True)
        self.message_user(
            request,
            ngettext("%(count)d terme remis en usage.", "%(count)d termes remis en usage.", count)
            % {"count": count},
            messages.SUCCESS,
        )


# --- Organisations --------------------------------------------------------

IDENTIFIER_FIELDS = ("siren", "siret", "rna")


def identifier_formfield(name):
    # Longer than the column: "552 100 554 00013" fits once compacted.
    model_field = Organization._meta.get_field(name)
    return forms.CharField(
        label=model_field.verbose_name,
        help_text=model_field.help_text,
        required=False,
        max_length=30,
        empty_value=None,
    )


class OrganizationAdminForm(forms.ModelForm):
    """Identifiers may be typed as printed on a Kbis, with spaces or dots: the
    form fields accept them and hand the model the compact value. Validity
    (checksums, SIRET starting with the SIREN, RNA only for associations) is the
    model's, shown on each field. The model and the other fields come from
    OrganizationAdmin (`ModelAdmin.get_form`)."""

    siren = identifier_formfield("siren")
    siret = identifier_formfield("siret")
    rna = identifier_formfield("rna")

    def clean_siren(self):
        return identifiers.compact(self.cleaned_data["siren"]) or None

    def clean_siret(self):
        return identifiers.compact(self.cleaned_data["siret"]) or None

    def clean_rna(self):
        return identifiers.compact(self.cleaned_data["rna"]) or None


@admin.register(Organization)
class OrganizationAdmin(TerritoryLabelsMixin, admin.ModelAdmin):
    form = OrganizationAdminForm
    formfield_overrides = URL_FIELDS
    list_display = ("name", "actor_type", "siren", "rna", "seat_label", "is_demo")
    list_filter = ("actor_type", "is_demo")
    list_select_related = ("actor_type", "seat")
    # Required by the autocomplete view; the lookup itself is `get_search_results`.
    search_fields = ("name_key", "siren", "siret", "rna")
    search_help_text = _("Nom (accents indifférents), SIREN, SIRET ou numéro RNA.")
    autocomplete_fields = ("seat", "governed_territory")
    readonly_fields = ("slug", "created_by", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {"fields": ("name", "slug", "actor_type", "company_size", "description", "website")},
        ),
        (_("Identifiants officiels"), {"fields": IDENTIFIER_FIELDS}),
        (_("Territoire"), {"fields": ("seat", "governed_territory")}),
        (_("Suivi"), {"fields": ("is_demo", "created_by", "created_at", "updated_at")}),
    )

    @admin.display(description=_("territoire du siège"), ordering="seat__name_key")
    def seat_label(self, obj):
        return obj.seat.label if obj.seat_id else "—"

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- Cases ----------------------------------------------------------------


class CasePartnerInline(admin.TabularInline):
    model = CasePartner
    fields = ("organization", "role", "contribution", "position")
    autocomplete_fields = ("organization",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "role")


class CaseTerritoryInline(TerritoryLabelsMixin, admin.TabularInline):
    model = CaseTerritory
    fields = ("territory",)
    autocomplete_fields = ("territory",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("territory")


class CaseSourceInline(admin.TabularInline):
    model = CaseSource
    formfield_overrides = URL_FIELDS
    fields = ("title", "url", "position")
    extra = 0


class AuditLogInline(admin.TabularInline):
    """The case's history, as the audit log recorded it (never edited)."""

    model = AuditLog
    fk_name = "case"
    fields = ("created_at", "action", "actor", "from_status", "to_status", "reason", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def tag_label(term):
    """ "Thème — Emploi", "Pratique du référentiel — Animer › Mobiliser": the
    vocabulary first, so that the selector reads as groups."""
    name = f"{term.parent.label} › {term.label}" if term.parent_id else term.label
    return f"{term.vocabulary.label} — {name}"


class TagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return tag_label(obj)


class CaseAdminForm(forms.ModelForm):
    # The model and fields come from CaseAdmin (`ModelAdmin.get_form`).
    class Meta:
        help_texts = {
            "published_at": _("Renseignée automatiquement à la publication si vide."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired terms are no longer offered, but those already on the case stay
        # listed: a selector that hid them would drop them on save.
        for name, vocabularies in (
            ("terms", tuple(TAGS)),
            ("pioneer_criteria", ("pioneer_criterion",)),
        ):
            if name not in self.fields:
                continue
            current = (
                Q(pk__in=getattr(self.instance, name).values("pk")) if self.instance.pk else Q()
            )
            self.fields[name].queryset = (
                Term.objects.filter(vocabulary__code__in=vocabularies)
                .filter(Q(is_active=True) | current)
                .select_related("vocabulary", "parent")
            )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("status") == CaseStatus.PUBLISHED and not cleaned_data.get(
            "published_at"
        ):
            cleaned_data["published_at"] = timezone.now()
        if cleaned_data.get("is_pioneer"):
            # The pioneer rule; a case featured already is not featured again.
            featuring = not self.initial.get("is_pioneer")
            errors = pioneer_errors(
                reason=cleaned_data.get("pioneer_reason"),
                status=cleaned_data.get("status", self.instance.status) if featuring else None,
            )
            if errors:
                self.add_error(None, errors)
        return cleaned_data


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    form = CaseAdminForm
    list_display = ("title", "status", "is_pioneer", "first_territory", "published_at", "owner")
    list_filter = ("status", "is_pioneer", "is_demo", "phase", "scale")
    list_select_related = ("owner",)
    search_fields = ("title", "slug")
    date_hierarchy = "published_at"
    autocomplete_fields = ("owner",)
    filter_horizontal = ("terms", "pioneer_criteria")
    inlines = (CasePartnerInline, CaseTerritoryInline, CaseSourceInline, AuditLogInline)
    fieldsets = (
        (None, {"fields": ("title", "slug", "status", "owner", "summary")}),
        (_("Récit"), {"fields": ("description", "context", "actions", "results", "lessons")}),
        (
            _("Repères"),
            {"fields": ("start_year", "end_year", "phase", "scale", "terms", "contact_email")},
        ),
        (
            _("Expérience pionnière"),
            {
                "fields": (
                    "is_pioneer",
                    "pioneer_criteria",
                    "pioneer_reason",
                    "pioneer_review_on",
                    "pioneer_by",
                    "pioneer_at",
                )
            },
        ),
        (
            _("Suivi"),
            {
                "fields": (
                    "published_at",
                    "submitted_at",
                    "last_verified_on",
                    "is_demo",
                    "version",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        (
            _("Index de recherche"),
            {
                "classes": ("collapse",),
                "fields": (
                    "family_mask",
                    "search_names",
                    "search_text",
                ),
            },
        ),
    )
    readonly_fields = (
        "pioneer_by",
        "pioneer_at",
        "submitted_at",
        "version",
        "created_at",
        "updated_at",
        "family_mask",
        "search_names",
        "search_text",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "case_territories",
                    queryset=CaseTerritory.objects.select_related("territory").order_by("id"),
                )
            )
        )

    @admin.display(description=_("territoire"))
    def first_territory(self, obj):
        links = obj.case_territories.all()
        return links[0].territory.label if links else "—"

    def get_readonly_fields(self, request, obj=None):
        # The slug is in every permalink once the case exists.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ("title",)}

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("terms", "pioneer_criteria"):
            kwargs["form_class"] = TagChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if "is_pioneer" in form.changed_data:
            # Written by `feature` / `unfeature` once the criteria are saved.
            obj.is_pioneer = form.initial.get("is_pioneer", False)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """After the inlines: the model rebuilds the case's index (partner mix,
        search documents) and writes down who changed what."""
        super().save_related(request, form, formsets, change)
        case = form.instance
        changed = [*form.changed_data]
        changed += [formset.model._meta.model_name for formset in formsets if formset.has_changed()]
        case.record_staff_edit(
            by=request.user,
            created=not change,
            from_status=form.initial.get("status", "") if change else "",
            fields=changed,
        )
        if "is_pioneer" in form.changed_data:
            if form.cleaned_data["is_pioneer"]:
                case.feature(
                    by=request.user,
                    criteria=list(case.pioneer_criteria.all()),
                    reason=case.pioneer_reason,
                    review_on=case.pioneer_review_on,
                )
            else:
                case.unfeature(by=request.user)


# --- History (read only) --------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the application, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "action",
        "actor",
        "case",
        "organization",
        "from_status",
        "to_status",
        "reason",
    )
    list_filter = ("action", "reason")
    list_select_related = ("actor", "case", "organization")
    search_fields = ("case__title", "organization__name", "actor__email", "message")
    date_hierarchy = "created_at"


@admin.register(CaseVersion)
class CaseVersionAdmin(ReadOnlyAdmin):
    list_display = ("case", "number", "action", "status", "created_by", "created_at")
    list_filter = ("action",)
    list_select_related = ("case", "created_by")
    search_fields = ("case__title", "case__slug")


@admin.register(CaseRevision)
class CaseRevisionAdmin(ReadOnlyAdmin):
    list_display = ("case", "status", "author", "base_version", "submitted_at", "updated_at")
    list_filter = ("status",)
    list_select_related = ("case", "author")
    search_fields = ("case__title", "case__slug")


# --- Contact messages ------------------------------------------------------


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    """What visitors wrote stays as written; staff only mark it handled."""

    list_display = ("created_at", "subject", "email", "name", "status", "handled_by")
    list_filter = ("status", "subject")
    list_select_related = ("handled_by",)
    search_fields = ("email", "name", "message")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "subject",
        "name",
        "email",
        "sender",
        "language",
        "message",
        "status",
        "handled_by",
        "handled_at",
    )
    readonly_fields = fields
    actions = ["mark_handled"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Marquer comme traités"), permissions=["change"])
    def mark_handled(self, request, queryset):
        handled = 0
        for message in queryset.filter(status=ContactStatus.NEW):
            message.mark_handled(by=request.user)
            handled += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d message marqué comme traité.",
                "%(count)d messages marqués comme traités.",
                handled,
            )
            % {"count": handled},
            messages.SUCCESS,
        )
