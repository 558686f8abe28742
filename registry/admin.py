"""The staff's back office: vocabularies, organisations, cases and their history.

A case saved in the admin goes through the model like every other write: its
inline rows saved, `Case.record_staff_edit` gives it a new version number,
rebuilds its index and logs who changed what; featuring or no longer featuring
it as a pioneer is `case.feature` / `case.unfeature`, under the one pioneer rule. Codes of the
référentiel never change and nothing is deleted that a case may rely on.
"""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Prefetch, Q
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from registry.forms import PioneerForm
from registry.models import (
    Action,
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
    ModerationReason,
    Organization,
    Report,
    ReportStatus,
    Term,
    Vocabulary,
)
from registry.models.index import bump_registry_version, refresh_cases_tagged
from registry.models.vocabulary import TAGS
from registry.models.workflow import validate_reason
from registry.notifications import notify_decision_on_commit
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


class LineEndingsForm(forms.ModelForm):
    """Browsers send a textarea's line breaks as CRLF: the admin's text is kept with
    `\\n` alone, as the API and the snapshots write it, so that the next review of
    the case does not show every paragraph as changed."""

    def clean(self):
        cleaned_data = super().clean()
        for name, value in cleaned_data.items():
            if isinstance(value, str):
                cleaned_data[name] = normalize_newlines(value)
        return cleaned_data



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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and LABELS & set(form.changed_data):
            # A list's label heads its section on every case page.
            bump_registry_version(relabelled=True)

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
    form = LineEndingsForm
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


class OrganizationAdminForm(LineEndingsForm):
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
        if change:
            obj.record_staff_edit(fields=form.changed_data)


# --- Cases ----------------------------------------------------------------


class CasePartnerInline(admin.TabularInline):
    model = CasePartner
    form = LineEndingsForm
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
    form = LineEndingsForm
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


class CaseAdminForm(LineEndingsForm):
    # The model and fields come from CaseAdmin (`ModelAdmin.get_form`).

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired terms are no longer offered, but those already on the case stay
        # listed: a selector that hid them would drop them on save.
        if "terms" in self.fields:
            current = Q(pk__in=self.instance.terms.values("pk")) if self.instance.pk else Q()
            self.fields["terms"].queryset = (
                Term.objects.filter(vocabulary__code__in=tuple(TAGS))
                .filter(Q(is_active=True) | current)
                .select_related("vocabulary", "parent")
            )


# --- Case actions: the workflow's own methods -------------------------------------


class ReasonForm(forms.Form):
    """Why staff send a case back or refuse it: the moderation page's rule
    (`validate_reason`), shown on the fields."""

    reason = forms.ChoiceField(
        label=_("Motif"), choices=[("", "—"), *ModerationReason.choices], required=False
    )
    message = forms.CharField(
        label=_("Message au contributeur"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        required=False,
        max_length=3000,
        help_text=_("Envoyé par e-mail et affiché sur sa fiche."),
    )

    def __init__(self, *args, message_required, **kwargs):
        super().__init__(*args, **kwargs)
        self.message_required = message_required

    def clean(self):
        data = super().clean()
        data["message"] = normalize_newlines(data.get("message", ""))
        try:
            validate_reason(
                data.get("reason"), data["message"], message_required=self.message_required
            )
        except ValidationError as error:
            self.add_error(None, error)
        return data


ACTION_FORMS = {
    "request_changes": (
        partial(ReasonForm, message_required=True),
        _("Demander des modifications"),
        _(
            "Les expériences ci-dessous retournent à leur auteur, avec ce motif et ce message, "
            "envoyés par e-mail."
        ),
    ),
    "reject": (
        partial(ReasonForm, message_required=False),
        _("Refuser"),
        _("Les expériences ci-dessous sont refusées ; leur auteur reçoit ce motif par e-mail."),
    ),
    "feature": (
        PioneerForm,
        _("Mettre en avant"),
        _("Les expériences ci-dessous sont mises en avant comme pionnières."),
    ),
}


def refusal_text(error):
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error) or str(_("Vous ne pouvez pas effectuer cette action."))


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Content is edited here; the status and the pioneer mark change only
    through the actions of the list, which call the workflow's methods (with
    their checks, e-mails, audit rows and versions), as the moderation pages do."""

    form = CaseAdminForm
    list_display = ("title", "status", "is_pioneer", "first_territory", "published_at", "owner")
    list_filter = ("status", "is_pioneer", "is_demo", "phase", "scale")
    list_select_related = ("owner",)
    search_fields = ("title", "slug")
    date_hierarchy = "published_at"
    autocomplete_fields = ("owner",)
    filter_horizontal = ("terms",)
    inlines = (CasePartnerInline, CaseTerritoryInline, CaseSourceInline, AuditLogInline)
    actions = (
        "publish",
        "request_changes",
        "reject",
        "archive",
        "unarchive",
        "feature",
        "unfeature",
    )
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
                "description": _(
                    "Mise en avant et fin de la mise en avant : actions de la liste des "
                    "expériences."
                ),
                "fields": (
                    "is_pioneer",
                    "pioneer_criteria_list",
                    "pioneer_reason",
                    "pioneer_review_on",
                    "pioneer_by",
                    "pioneer_at",
                ),
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
    # The workflow's fields: written by its methods only.
    readonly_fields = (
        "status",
        "is_pioneer",
        "pioneer_criteria_list",
        "pioneer_reason",
        "pioneer_review_on",
        "pioneer_by",
        "pioneer_at",
        "published_at",
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

    @admin.display(description=_("critères de l'expérience pionnière"))
    def pioneer_criteria_list(self, obj):
        criteria = obj.pioneer_criteria.select_related("vocabulary", "parent") if obj.pk else []
        return " ; ".join(tag_label(term) for term in criteria) or "—"

    def get_readonly_fields(self, request, obj=None):
        # The slug is in every permalink once the case exists.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ("title",)}

    def get_changeform_initial_data(self, request):
        # A case added here is a draft of the staff member, unless another owner is chosen.
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "terms":
            kwargs["form_class"] = TagChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.status = CaseStatus.DRAFT
            obj.owner = obj.owner or request.user
        else:
            # What visitors read until now, kept by `record_staff_edit` if no version holds it.
            form.previous_snapshot = Case.objects.get(pk=obj.pk).snapshot()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """After the inlines: the model rebuilds the case's index (partner mix,
        search documents), writes down who changed what and keeps the content
        of a published case as a version."""
        super().save_related(request, form, formsets, change)
        changed = [*form.changed_data]
        changed += [formset.model._meta.model_name for formset in formsets if formset.has_changed()]
        form.instance.record_staff_edit(
            by=request.user,
            created=not change,
            fields=changed,
            previous=getattr(form, "previous_snapshot", None),
        )

    # Actions --------------------------------------------------------------------

    def run_on_each(self, request, queryset, decide, done_message):
        """`decide(case)` on every selected case, each in its own transaction: one
        the workflow refuses (wrong status, incomplete, reason missing) is named
        in an error message and the others go on."""
        done = 0
        for case in queryset.select_related("owner").order_by("pk"):
            try:
                with transaction.atomic():
                    decide(case)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request,
                    _("« %(title)s » : %(error)s")
                    % {"title": case.title, "error": refusal_text(error)},
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request, done_message % {"count": done}, messages.SUCCESS
            )

    def ask_first(self, request, queryset, action):
        """The form an action needs (a reason, a message, criteria), on a page of
        its own before anything is done; None once filled in and valid."""
        form_class, title, intro = ACTION_FORMS[action]
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            return None, form
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": self.model._meta,
            "cases": list(queryset.select_related("owner").order_by("pk")),
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        response = TemplateResponse(request, "admin/registry/case/action_form.html", context)
        return response, form

    @admin.action(description=_("Publier les expériences soumises"), permissions=["change"])
    def publish(self, request, queryset):
        def decide(case):
            case.publish(by=request.user)
            notify_decision_on_commit(case, Action.PUBLISH)

        self.run_on_each(
            request, queryset, decide, ngettext_lazy(
                "%(count)s expérience publiée, son auteur prévenu.",
                "%(count)s expériences publiées, leurs auteurs prévenus.",
                "count",
            )
        )

    @admin.action(description=_("Demander des modifications…"), permissions=["change"])
    def request_changes(self, request, queryset):
        page, form = self.ask_first(request, queryset, "request_changes")
        if page is not None:
            return page
        reason, message = form.cleaned_data["reason"], form.cleaned_data["message"]

        def decide(case):
            case.request_changes(by=request.user, reason=reason, message=message)
            notify_decision_on_commit(
                case, Action.REQUEST_CHANGES, reason=reason, message=message
            )

        self.run_on_each(
            request,
            queryset,
            decide,
            ngettext_lazy(
                "Modifications demandées sur %(count)s expérience, son auteur prévenu.",
                "Modifications demandées sur %(count)s expériences, leurs auteurs prévenus.",
                "count",
            ),
        )
        return None

    @admin.action(description=_("Refuser…"), permissions=["change"])
    def reject(self, request, queryset):
        page, form = self.ask_first(request, queryset, "reject")
        if page is not None:
            return page
        reason, message = form.cleaned_data["reason"], form.cleaned_data["message"]

        def decide(case):
            case.reject(by=request.user, reason=reason, message=message)
            notify_decision_on_commit(case, Action.REJECT, reason=reason, message=message)

        self.run_on_each(
            request, queryset, decide, ngettext_lazy(
                "%(count)s expérience refusée, son auteur prévenu.",
                "%(count)s expériences refusées, leurs auteurs prévenus.",
                "count",
            )
        )
        return None

    @admin.action(description=_("Archiver les expériences publiées"), permissions=["change"])
    def archive(self, request, queryset):
        def decide(case):
            case.archive(by=request.user)
            notify_decision_on_commit(case, Action.ARCHIVE)

        self.run_on_each(
            request, queryset, decide, ngettext_lazy(
                "%(count)s expérience archivée, son auteur prévenu.",
                "%(count)s expériences archivées, leurs auteurs prévenus.",
                "count",
            )
        )

    @admin.action(description=_("Republier les expériences archivées"), permissions=["change"])
    def unarchive(self, request, queryset):
        self.run_on_each(
            request,
            queryset,
            lambda case: case.unarchive(by=request.user),
            ngettext_lazy(
                "%(count)s expérience republiée.", "%(count)s expériences republiées.", "count"
            ),
        )

    @admin.action(description=_("Mettre en avant comme pionnières…"), permissions=["change"])
    def feature(self, request, queryset):
        page, form = self.ask_first(request, queryset, "feature")
        if page is not None:
            return page
        data = form.cleaned_data
        self.run_on_each(
            request,
            queryset,
            lambda case: case.feature(
                by=request.user,
                criteria=list(data["criteria"]),
                reason=data["reason"],
                review_on=data.get("review_on"),
            ),
            ngettext_lazy(
                "%(count)s expérience mise en avant comme pionnière.",
                "%(count)s expériences mises en avant comme pionnières.",
                "count",
            ),
        )
        return None

    @admin.action(description=_("Ne plus mettre en avant"), permissions=["change"])
    def unfeature(self, request, queryset):
        self.run_on_each(
            request,
            queryset.filter(is_pioneer=True),
            lambda case: case.unfeature(by=request.user),
            ngettext_lazy(
                "%(count)s expérience n'est plus mise en avant.",
                "%(count)s expériences ne sont plus mises en avant.",
                "count",
            ),
        )


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


# --- Reports ---------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Reports of visitors, as they wrote them, with how to answer them; staff
    mark them handled (who and when written down, as on the moderation page)."""

    list_display = ("created_at", "status", "reason", "case", "reporter_contact", "resolved_by")
    list_filter = ("status", "reason")
    list_select_related = ("case", "reporter", "resolved_by")
    search_fields = ("case__title", "reporter_email", "reporter__email", "message")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "case",
        "reason",
        "message",
        "reporter_contact",
        "status",
        "resolved_by",
        "resolved_at",
        "outcome",
        "resolution_note",
    )
    readonly_fields = fields
    actions = ["mark_resolved"]

    @admin.display(description=_("contact du déclarant"))
    def reporter_contact(self, obj):
        email = obj.contact_email
        if not email:
            return _("anonyme, sans adresse")
        return format_html('<a href="mailto:{}">{}</a>', email, email)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Marquer comme traités"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        resolved = 0
        for report in queryset.filter(status=ReportStatus.OPEN).select_related("case"):
            # No outcome from a list action: the moderation page asks for one.
            resolved += report.resolve(by=request.user, outcome="", note="")
        self.message_user(
            request,
            ngettext(
                "%(count)d signalement marqué comme traité.",
                "%(count)d signalements marqués comme traités.",
                resolved,
            )
            % {"count": resolved},
            messages.SUCCESS,
        )
