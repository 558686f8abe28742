"""The case editor: write a case, keep it as a draft, submit it for review.

One page, one form, several buttons. Searching a territory or a partner
re-displays the page with the candidates, keeping every value typed; saving
validates everything and writes in one transaction. A published case is never
changed here: edits go to a revision that staff review.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.ratelimit import ratelimit
from registry.forms import (
    CaseForm,
    EditSummaryForm,
    MessageForm,
    NewOrganizationForm,
    PartnerSearchForm,
    PlacesForm,
    RosterFormSet,
    SourcesForm,
    TagsForm,
    organization_by_identifier,
    same_organization,
    sources_as_text,
)
from registry.models import (
    EDITABLE_STATUSES,
    Case,
    CaseStatus,
    Organization,
    RevisionStatus,
    Term,
    TransitionNotAllowed,
)
from registry.models.access import case_for
from registry.models.case import SNAPSHOT_FIELDS
from registry.models.workflow import WITHDRAW_FIRST, VersionConflict
from registry.search.duplicates import (
    new_organization_duplicates,
    same_title_cases,
    similar_cases,
)
from registry.text.guard import unix_line_endings
from territories.models import Territory, TerritoryKind

REVISABLE_STATUSES = {CaseStatus.PUBLISHED}
# The buttons that re-display the page (a search, adding or removing a territory
# or a partner) rather than save it; with JavaScript they update their section
# in place (static/js/editor.js).
ROUND_TRIPS = {
    "find_territory",
    "add_territory",
    "remove_territory",
    "find_partner",
    "add_partner",
    "create_partner",
}


class Editor:
    """The bound forms of one editor page, built from POST data or from a snapshot.

    Forms are checked, and show errors, only when `checked` (a save or a
    submission): a new page or a search shows no « Ce champ est obligatoire »."""

    def __init__(
        self, data=None, *, user, snapshot=None, version=None, summary="", checked=False
    ):
        if data is None:
            data = self.initial_data(snapshot or {}, version)
            data["summary-edit_summary"] = summary
            self.is_bound = False
        else:
            self.is_bound = True
        self.data = data
        self.case_form = CaseForm(data, prefix="case")
        self.tags = TagsForm(data, prefix="tags")
        self.places = PlacesForm(data, prefix="places")
        self.user = user
        self.roster = RosterFormSet(data, prefix="roster", form_kwargs={"user": user})
        self.partner_search = PartnerSearchForm(data, prefix="find")
        self.new_organization = NewOrganizationForm(data, prefix="neworg")
        self.sources = SourcesForm(data, prefix="sources")
        self.summary = EditSummaryForm(data, prefix="summary")
        self.checked = checked
        if not checked:
            for form in (self.case_form, self.tags, self.places, self.sources, self.summary):
                hold_errors(form)
            if self.roster.management_form.is_valid():
                self.roster._errors = []
                self.roster._non_form_errors = self.roster.error_class(error_class="nonform")
                for form in self.roster.forms:
                    hold_errors(form)
            else:  # a tampered row count: the formset says so, and builds no row
                self.roster.full_clean()

    @staticmethod
    def initial_data(snapshot, version):
        """POST-like data for a snapshot, so that a fresh page and a re-displayed
        page are the same bound forms."""
        data = QueryDict(mutable=True)
        for name in SNAPSHOT_FIELDS:
            value = snapshot.get(name)
            data[f"case-{name}"] = "" if value is None else str(value)
        data["case-version"] = "" if version is None else str(version)
        terms = {(t.vocabulary.code, t.code): t for t in Term.objects.select_related("vocabulary")}
        for name in ("phase", "scale"):
            term = terms.get((name, snapshot.get(name)))
            data[f"case-{name}"] = str(term.pk) if term else ""
        for vocabulary, code in snapshot.get("terms", []):
            term = terms.get((vocabulary, code))
            if term is not None:
                data.appendlist(f"tags-{vocabulary}", str(term.pk))
        for kind, code in snapshot.get("territories", []):
            data.appendlist("places-territories", f"{kind}:{code}")
        roster = snapshot.get("roster", [])
        data["roster-TOTAL_FORMS"] = str(len(roster))
        data["roster-INITIAL_FORMS"] = "0"
        for index, entry in enumerate(roster):
            role = terms.get(("partner_role", entry["role"]))
            data[f"roster-{index}-organization"] = str(entry["organization"])
            data[f"roster-{index}-role"] = str(role.pk) if role else ""
            data[f"roster-{index}-contribution"] = entry.get("contribution", "")
        data["sources-sources"] = sources_as_text(snapshot.get("sources", []))
        return data

    def forms(self):
        return [self.case_form, self.tags, self.places, self.roster, self.sources, self.summary]

    def is_valid(self):
        assert self.checked, "an editor built to keep what was typed is not checked"
        results = [form.is_valid() for form in self.forms()]  # every form, for every error
        return all(results)

    def error_summary(self):
        """Every error of a checked page, in page order, each linking to the
        field to correct (the GOV.UK / DSFR error summary): (anchor, label, message)."""
        if not self.checked:
            return []
        entries = [(None, None, error) for error in self.case_form.non_field_errors()]
        form = self.case_form

        def of_fields(form, names):
            for name in names:
                field = form[name]
                if field.errors:
                    entries.append((field.auto_id, field.label, " ".join(field.errors)))

        of_fields(form, ["title", "summary", "start_year", "end_year", "phase", "scale"])
        if self.places["territories"].errors:
            entries.append(
                (
                    self.places["territory_query"].auto_id,
                    self.places["territories"].label,
                    " ".join(self.places["territories"].errors),
                )
            )
        partners = _("Partenaires")
        for error in self.roster.non_form_errors():
            entries.append(("id_find-partner_query", partners, error))
        for number, row in enumerate(self.roster.forms, start=1):
            problems = [str(error) for errors in row.errors.values() for error in errors]
            if problems:
                label = _("Partenaire n° %(number)d") % {"number": number}
                entries.append((row["role"].auto_id, label, " ".join(problems)))
        for field in self.tags:
            if field.errors:  # practices are grouped by métier, each with its own id
                anchor = "etiquettes" if field.name == "practice" else f"{field.auto_id}_0"
                entries.append((anchor, field.label, " ".join(field.errors)))
        of_fields(form, ["description", "context", "actions", "results", "lessons"])
        of_fields(self.sources, ["sources"])
        of_fields(form, ["contact_email"])
        of_fields(self.summary, ["edit_summary"])
        return [
            {"anchor": anchor, "label": label, "message": message}
            for anchor, label, message in entries
        ]

    def snapshot(self):
        """The content typed, in the shape of `Case.snapshot()`."""
        data = dict(self.case_form.cleaned_data)
        data.pop("version", None)
        data["phase"] = data["phase"].code if data.get("phase") else None
        data["scale"] = data["scale"].code if data.get("scale") else None
        data["terms"] = sorted([t.vocabulary.code, t.code] for t in self.tags.terms())
        data["territories"] = sorted(
            [t.kind, t.code] for t in self.places.cleaned_data["territories"]
        )
        data["roster"] = [
            {
                "organization": entry["organization"].pk,
                "organization_name": entry["organization"].name,
                "role": entry["role"].code,
                "contribution": entry.get("contribution", ""),
            }
            for entry in self.roster.kept()
        ]
        data["sources"] = self.sources.cleaned_data["sources"]
        return data

    # Interactions that re-display the page -------------------------------------------

    def chosen_territories(self):
        tokens = self.data.getlist("places-territories")
        by_token = {}
        for token in tokens:
            kind, _, code = token.partition(":")
            by_token[token] = (kind, code)
        found = Territory.objects.none()
        for kind, code in by_token.values():
            found |= Territory.objects.filter(kind=kind, code=code)
        return list(found.select_related("departement"))

    def roster_rows(self):
        """Each roster form with its organisation, for display: named only when the
        person may see it, or named it by its public identifier."""
        keys = [form["organization"].value() for form in self.roster.forms]
        organizations = (
            Organization.objects.visible_to(self.user)
            .select_related("actor_type")
            .in_bulk([pk for pk in map(posted_id, keys) if pk is not None])
        )
        return [
            {
                "form": form,
                "organization": organizations.get(posted_id(key))
                or organization_by_identifier(key),
            }
            for form, key in zip(self.roster.forms, keys, strict=True)
        ]


def hold_errors(form):
    """Keep `form` bound to what was typed, unchecked: Django checks a bound form
    the first time its errors are read, and the page reads them."""
    form._errors = ErrorDict()
    form.cleaned_data = {}


def posted_id(value):
    """The integer id a form posted, or None (ASCII digits only: "²" is a digit to
    str.isdigit, not to int)."""
    value = str(value or "")
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def roster_size(data):
    """The row count the roster's management form posts, or None when the formset
    refuses it (not a number, or more rows than it builds): the page then shows the
    formset's error."""
    value = posted_id(data.get("roster-TOTAL_FORMS") or "0")
    return value if value is not None and value <= RosterFormSet.absolute_max else None


def mutable(data):
    return data.copy()


def posted_data(post):
    """The editor's POST, line breaks as `\n`: a browser sends `\r\n` but counts
    one character against a field's `maxlength`, as its counter does."""
    data = post.copy()
    for key, values in list(data.lists()):
        data.setlist(key, [unix_line_endings(value) for value in values])
    return data


def default_action(data):
    """What Enter in a text field does without JavaScript (the form's first,
    hidden button): search what a search box holds, else save."""
    if (data.get("places-territory_query") or "").strip():
        return "find_territory"
    if (data.get("find-partner_query") or "").strip():
        return "find_partner"
    return "save"


def add_territory(data, token):
    data = mutable(data)
    if token not in data.getlist("places-territories"):
        data.appendlist("places-territories", token)
    data["places-territory_query"] = ""
    return data


def remove_territory(data, token):
    data = mutable(data)
    data.setlist(
        "places-territories", [t for t in data.getlist("places-territories") if t != token]
    )
    return data


def partner_key(organization, user):
    """How a roster row names `organization`: by id when `user` may see it, by its
    public identifier otherwise (see `PartnerChoiceField`)."""
    if Organization.objects.visible_to(user).filter(pk=organization.pk).exists():
        return str(organization.pk)
    if organization.siren:
        return f"siren:{organization.siren}"
    return f"rna:{organization.rna}"


def add_partner(data, key):
    total = roster_size(data)
    if total is None:
        return data
    data = mutable(data)
    default_role = Term.objects.of("partner_role").filter(code="partenaire").first()
    data[f"roster-{total}-organization"] = key
    data[f"roster-{total}-role"] = str(default_role.pk) if default_role else ""
    data[f"roster-{total}-contribution"] = ""
    data["roster-TOTAL_FORMS"] = str(total + 1)
    data.setdefault("roster-INITIAL_FORMS", "0")
    data["find-partner_query"] = ""
    # Done: the new-organisation panel starts again empty and unchecked.
    data.pop("action", None)
    for key in list(data):
        if key.startswith("neworg-"):
            del data[key]
    return data


@login_required
@ratelimit("case-create", limit=60, period=3600, key="user")
def case_create(request):
    return edit(request, case=None)


@login_required
def case_edit(request, pk):
    return edit(request, case=case_for(request.user, pk, write=True))


def edit(request, *, case):
    revision = None
    if case is not None and case.status in REVISABLE_STATUSES:
        revision = case.open_revision()
    elif case is not None and case.status not in EDITABLE_STATUSES:
        if case.is_submitted:
            messages.error(
                request,
                _("Cette expérience attend sa relecture : retirez la soumission pour la modifier."),
            )
        else:
            messages.error(
                request, _("Cette expérience ne peut plus être modifiée dans son état actuel.")
            )
        return redirect(case.get_absolute_url())
    if revision is not None and revision.status == RevisionStatus.SUBMITTED:
        messages.error(request, WITHDRAW_FIRST)
        return redirect(case.get_absolute_url())
    context = {"case": case, "revision": revision, "candidates": {}, "duplicates": []}

    if request.method != "POST":
        if revision is not None:
            editor = Editor(
                snapshot=revision.data,
                version=revision.lock_version,
                summary=revision.edit_summary,
                user=request.user,
            )
        elif case is not None:
            editor = Editor(
                snapshot=case.snapshot(),
                version=case.version,
                summary=case.edit_summary,
                user=request.user,
            )
            context["duplicates"] = similar_cases(case, seen_by=request.user)
        else:
            editor = Editor(snapshot={}, version=None, user=request.user)
        return render_editor(request, editor, context)

    data = posted_data(request.POST)
    action, _sep, value = data.get("action", "save").partition(":")
    if action == "default":
        action = default_action(data)
    if action == "add_territory":
        data = add_territory(data, value)
    elif action == "remove_territory":
        data = remove_territory(data, value)
    elif action == "add_partner":
        # By id among the organisations this person may see, or by public identifier.
        organization = organization_by_identifier(value) or (
            Organization.objects.visible_to(request.user).filter(pk=posted_id(value) or 0).first()
        )
        if organization is not None:
            data = add_partner(data, partner_key(organization, request.user))
    editor = Editor(data, user=request.user, checked=action not in ROUND_TRIPS)

    if action == "find_territory":
        query = editor.places.query()
        context["candidates"]["territories"] = list(
            Territory.objects.search(query).select_related("departement")[:15]
        )
        context["searched_territory"] = query
        return render_editor(request, editor, context)
    if action == "find_partner":
        query = editor.partner_search.query()
        context["candidates"]["organizations"] = list(
            Organization.objects.visible_to(request.user)
            .search(query)
            .select_related("actor_type", "seat")[:15]
        )
        context["searched_partner"] = query
        return render_editor(request, editor, context)
    if action == "create_partner":
        return create_partner(request, editor, context)
    if action in {"add_territory", "remove_territory", "add_partner"}:
        context["acted"] = (action, value)
        return render_editor(request, editor, context)

    if not editor.is_valid():
        return render_editor(request, editor, context, status=400)
    try:
        case, revision = save_editor(request.user, editor, case=case, revision=revision)
    except VersionConflict as conflict:
        # Keep what was typed; the next save applies it over the other person's edit.
        data = mutable(editor.data)
        data["case-version"] = str(conflict.current_version)
        editor = Editor(data, user=request.user, checked=True)
        editor.is_valid()
        editor.case_form.add_error(
            None,
            _(
                "Quelqu'un d'autre a modifié cette expérience pendant que vous la modifiiez. "
                "Vos saisies sont conservées ci-dessous : vérifiez-les puis enregistrez à nouveau "
                "pour les appliquer."
            ),
        )
        return render_editor(request, editor, context, status=409)
    except TransitionNotAllowed as error:  # its status changed since the page was read
        messages.error(request, " ".join(error.messages))
        return redirect(case.get_absolute_url())

    if action == "submit":
        return submit(request, case.pk)
    messages.success(request, _("Brouillon enregistré."))
    return redirect("case_edit", pk=case.pk)


def create_partner(request, editor, context):
    """« Créer et ajouter »: the new organisation is checked (only now: the panel
    shows no error before), an identifier already held or a twin of the same
    name and type is put on the roster instead, similar ones are offered until
    the contributor confirms; then it is created, theirs, and added."""
    form = editor.new_organization
    valid = form.is_valid()
    cleaned = form.cleaned_data
    context["show_new_organization"] = True
    # A taken identifier is checked whatever else is wrong (the form's own
    # uniqueness check already refuses it): the organisation that holds it is
    # offered instead, by name only to those who may see it.
    duplicates = new_organization_duplicates(
        seen_by=request.user,
        name=cleaned.get("name") if valid else "",
        siren=cleaned.get("siren"),
        siret=cleaned.get("siret"),
        rna=cleaned.get("rna"),
    )
    if duplicates.identifier_taken:
        context["candidates"]["organizations"] = duplicates.same_identifier
        context["unseen_organizations"] = duplicates.unseen_identifier
        context["taken_identifier"] = True
        return render_editor(request, editor, context, status=400)
    if not valid:
        return render_editor(request, editor, context, status=400)
    if duplicates.block(confirmed=cleaned.get("confirm_new")):
        context["candidates"]["organizations"] = duplicates.candidates
        context["similar_organizations"] = True
        return render_editor(request, editor, context)
    # Confirmed, yet the same name (legal form aside) and type: that one, not a twin.
    twin = same_organization(
        seen_by=request.user,
        name=cleaned["name"],
        actor_type=cleaned["actor_type"],
        seat=cleaned.get("seat"),
    )
    if twin is not None:
        messages.success(
            request,
            _("« %(name)s » existe déjà : elle est ajoutée au tour de table.")
            % {"name": twin.name},
        )
        return added(request, editor, context, twin)
    try:
        with transaction.atomic():
            organization = form.save(commit=False)
            organization.created_by = request.user
            organization.full_clean()
            organization.save()
    except ValidationError as error:  # a model rule, or a uniqueness race
        form.add_error(None, error)
        return render_editor(request, editor, context, status=400)
    messages.success(
        request, _("Organisation « %(name)s » créée et ajoutée.") % {"name": organization.name}
    )
    return added(request, editor, context, organization)


def added(request, editor, context, organization):
    """The page again, `organization` now on the roster and the panel closed."""
    context["show_new_organization"] = False
    editor = Editor(
        add_partner(editor.data, partner_key(organization, request.user)), user=request.user
    )
    return render_editor(request, editor, context)


def save_editor(user, editor, *, case, revision):
    """Write the editor's content: a new draft, the draft itself, or the open
    revision of a published case. Returns the case and the revision written."""
    snapshot = editor.snapshot()
    version = editor.case_form.cleaned_data.get("version")
    summary = editor.summary.cleaned_data.get("edit_summary", "")
    if case is None:
        return Case.objects.create_draft(owner=user, snapshot=snapshot), None
    if case.status in REVISABLE_STATUSES:
        return case, case.propose_revision(snapshot, by=user, version=version, summary=summary)
    return case.replace_content(snapshot, by=user, version=version, summary=summary), revision


def completeness(editor, *, territories, roster_rows):
    """What is missing before submission, and what is recommended, from what the
    page holds (typed, perhaps not saved yet): the rule of
    `Case.missing_for_submission`, read from the editor's data."""
    data = editor.data
    required = []
    if not (data.get("case-title") or "").strip():
        required.append(_("un titre"))
    if not (data.get("case-summary") or "").strip():
        required.append(_("un résumé"))
    if not territories:
        required.append(_("au moins un territoire"))
    partners = {
        row["organization"].pk
        for row in roster_rows
        if row["organization"] is not None and not row["form"]["remove"].value()
    }
    if len(partners) < 2:
        required.append(_("au moins deux partenaires distincts"))
    chosen = [posted_id(pk) for pk in data.getlist("tags-theme") + data.getlist("tags-practice")]
    vocabularies = set(
        Term.objects.filter(pk__in=[pk for pk in chosen if pk is not None]).values_list(
            "vocabulary__code", flat=True
        )
    )
    if "theme" not in vocabularies:
        required.append(_("au moins un thème"))
    recommended = []
    for field, label in (
        ("description", _("une description")),
        ("results", _("les résultats")),
        ("lessons", _("les enseignements")),
        ("start_year", _("l'année de démarrage")),
    ):
        if not (data.get(f"case-{field}") or "").strip():
            recommended.append(label)
    if "practice" not in vocabularies:
        recommended.append(_("au moins une pratique du référentiel"))
    done = 9 - len(required) - len(recommended)
    return {
        "required": required,
        "recommended": recommended,
        "percent": max(0, min(100, round(100 * done / 9))),
    }


def focus_target(request, editor, context, roster_rows):
    """The id of the element the page returns to after a round-trip or a failed
    save: the error summary, the new roster row, the first candidate, the search
    box when nothing was found, the first field of the new organisation to
    correct. Without JavaScript the element carries `autofocus`; editor.js
    focuses it after updating the section in place."""
    if context.get("error_summary") or editor.case_form.non_field_errors():
        return "error-summary"
    if request.method != "POST":
        return None
    organization = editor.new_organization
    if organization.submitted and organization.errors and not context.get("taken_identifier"):
        for field in organization:
            if field.errors:
                return field.auto_id
        return organization["name"].auto_id
    posted_rows = roster_size(request.POST)
    if posted_rows is not None and len(roster_rows) > posted_rows:
        return editor.roster.forms[posted_rows]["role"].auto_id  # the row just added
    if "organizations" in context["candidates"]:
        if context["candidates"]["organizations"]:
            return "partner-candidate-1"
        if context.get("unseen_organizations"):
            return "partner-unseen-1"
        return "id_find-partner_query"
    if context["candidates"].get("territories"):
        return "territory-candidate-1"
    if "territories" in context["candidates"]:
        return "id_places-territory_query"
    if context.get("acted", ("",))[0] in {"add_territory", "remove_territory"}:
        return "id_places-territory_query"
    return None


def announcement(editor, context, roster_rows, territories):
    """What a screen reader hears once a section was updated in place (the
    page's polite live region, filled by editor.js)."""
    candidates = context["candidates"]
    if "territories" in candidates:
        count = len(candidates["territories"])
        return ngettext(
            "%(count)d territoire trouvé pour « %(query)s ».",
            "%(count)d territoires trouvés pour « %(query)s ».",
            count,
        ) % {"count": count, "query": context.get("searched_territory", "")}
    if context.get("taken_identifier") or context.get("similar_organizations"):
        count = len(candidates.get("organizations") or []) + len(
            context.get("unseen_organizations") or []
        )
        return ngettext(
            "%(count)d organisation existante proposée avant d'en créer une nouvelle.",
            "%(count)d organisations existantes proposées avant d'en créer une nouvelle.",
            count,
        ) % {"count": count}
    if "organizations" in candidates:
        count = len(candidates["organizations"])
        return ngettext(
            "%(count)d organisation trouvée pour « %(query)s ».",
            "%(count)d organisations trouvées pour « %(query)s ».",
            count,
        ) % {"count": count, "query": context.get("searched_partner", "")}
    action, value = context.get("acted", ("", ""))
    if action in {"add_territory", "remove_territory"}:
        kind, _sep, code = value.partition(":")
        place = Territory.objects.filter(kind=kind, code=code).first()
        name = place.label if place else code
        if action == "add_territory":
            return _("Territoire ajouté : %(name)s.") % {"name": name}
        return _("Territoire retiré : %(name)s.") % {"name": name}
    if editor.new_organization.submitted and editor.new_organization.errors:
        return _("La nouvelle organisation n'est pas créée : un champ est à corriger.")
    return ""


def revision_message(revision):
    """Staff's request for changes on the open revision, while it is sent back."""
    if revision is None or revision.status != RevisionStatus.CHANGES_REQUESTED:
        return None
    return revision.changes_requested()


def render_editor(request, editor, context, status=200):
    case = context.get("case")
    roster_rows = editor.roster_rows()
    territories = editor.chosen_territories()
    context["error_summary"] = editor.error_summary()
    focus = focus_target(request, editor, context, roster_rows)
    for form in (editor.case_form, editor.new_organization, *editor.roster.forms):
        for field in form:
            if field.auto_id == focus:  # a widget Django renders: told here
                field.field.widget.attrs["autofocus"] = True
    added_row = next((row for row in roster_rows if row["form"]["role"].auto_id == focus), None)
    same_title = same_title_cases(
        editor.data.get("case-title") or "",
        territories,
        seen_by=request.user,
        exclude_pk=case.pk if case else None,
    )
    context["duplicates"] = [
        other for other in context.get("duplicates", []) if other not in same_title
    ]
    context.update(
        {
            "editor": editor,
            "roster_rows": roster_rows,
            "chosen_territories": territories,
            "completeness": completeness(editor, territories=territories, roster_rows=roster_rows),
            "same_title": same_title,
            "focus": focus,
            "announce": (
                _("Partenaire ajouté : %(name)s.") % {"name": added_row["organization"].name}
                if added_row and added_row["organization"]
                else announcement(editor, context, roster_rows, territories)
            ),
            "unsaved": editor.is_bound and request.method == "POST",
            "revision_message": revision_message(context.get("revision")),
            "thread": case.thread() if case else [],
            "message_form": MessageForm(),
            "breadcrumbs": [
                (_("Mes expériences"), None),
                (case.title if case else _("Nouvelle expérience"), None),
            ],
        }
    )
    return render(request, "registry/editor.html", context, status=status)


@login_required
@require_POST
@ratelimit("submit", limit=20, period=3600, key="user")
def submit(request, pk):
    case = case_for(request.user, pk, write=True)
    if case.status in REVISABLE_STATUSES:
        revision = case.open_revision()
        if revision is None:
            raise Http404
        try:
            revision.submit(by=request.user)
        except TransitionNotAllowed as error:
            messages.error(request, " ".join(error.messages))
        else:
            if revision.status == RevisionStatus.PUBLISHED:
                messages.success(
                    request, _("Vos modifications sont publiées (contributeur de confiance).")
                )
            else:
                messages.success(request, _("Vos modifications sont envoyées à la modération."))
        return redirect(case.get_absolute_url())
    try:
        case.submit(by=request.user)
    except TransitionNotAllowed as error:
        messages.error(
            request,
            _("L'expérience ne peut pas encore être soumise. Il manque : %(missing)s.")
            % {"missing": ", ".join(str(m) for m in error.messages)},
        )
        return redirect("case_edit", pk=case.pk)
    if case.status == CaseStatus.PUBLISHED:
        messages.success(request, _("Expérience publiée (contributeur de confiance)."))
    else:
        messages.success(request, _("Expérience soumise : l'équipe de modération va la relire."))
    return redirect(case.get_absolute_url())


@login_required
@require_POST
def withdraw(request, pk):
    """Take a submission back from the queue: the case (a draft again), or the
    submitted revision of a published case (its changes editable again)."""
    case = case_for(request.user, pk, write=True)
    revision = case.open_revision() if case.status in REVISABLE_STATUSES else None
    try:
        if revision is not None:
            revision.withdraw(by=request.user)
        else:
            case.withdraw(by=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, " ".join(error.messages))
        return redirect(case.get_absolute_url())
    if revision is not None:
        messages.success(
            request,
            _("Soumission retirée : vos modifications sont de nouveau modifiables."),
        )
    else:
        messages.success(
            request, _("Soumission retirée : l'expérience est redevenue un brouillon.")
        )
    return redirect(reverse("case_edit", kwargs={"pk": case.pk}))


@login_required
def suggest_territories(request):
    """Autocomplete of the territory picker: accent-insensitive, homonyms told apart."""
    query = request.GET.get("q", "")[:100]
    territories = Territory.objects.search(query).select_related("departement")
    if request.GET.get("kind") in TerritoryKind.values:  # the seat of an organisation: communes
        territories = territories.filter(kind=request.GET["kind"])
    territories = territories[:12]
    return JsonResponse(
        {
            "results": [
                {
                    "value": f"{t.kind}:{t.code}",
                    "label": t.label,
                    "detail": str(t.get_kind_display()),
                }
                for t in territories
            ]
        }
    )


@login_required
def suggest_organizations(request):
    """Autocomplete of the partner picker: by name, SIREN or RNA, among the
    organisations the contributor may see."""
    query = request.GET.get("q", "")[:150]
    visible = Organization.objects.visible_to(request.user)
    organizations = (
        visible.search(query).select_related("actor_type")[:12] if query.strip() else []
    )
    return JsonResponse(
        {
            "results": [
                {
                    "value": str(o.pk),
                    "label": o.name,
                    "detail": " · ".join(
                        part for part in (o.actor_type.label, o.siren or o.rna or "") if part
                    ),
                }
                for o in organizations
            ]
        }
    )
