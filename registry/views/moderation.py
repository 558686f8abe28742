"""Staff pages: the moderation queue, reviewing one submission, pioneers,
case history and restoring a version, contact messages (merging organisations:
`registry.views.merge`)."""

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from registry.forms import MessageForm, PioneerForm
from registry.models import (
    Action,
    AuditLog,
    Case,
    CasePartner,
    CaseRevision,
    CaseStatus,
    ContactMessage,
    ContactStatus,
    ModerationReason,
    Organization,
    Report,
    RevisionStatus,
    Term,
    TransitionNotAllowed,
    Vocabulary,
    block_account,
)
from registry.models.access import case_for
from registry.models.workflow import is_moderator, validate_reason
from registry.notifications import notify_decision_on_commit, notify_restore_on_commit
from registry.search.duplicates import similar_cases
from registry.text.diff import SnapshotNames, codes_in, diff_snapshots
from territories.models import Territory


def staff_required(view):
    """Log in first; then staff only (403 for contributors: the page is not secret)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_moderator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Décision"),
        choices=[
            ("publish", gettext_lazy("Publier")),
            ("request_changes", gettext_lazy("Demander des modifications")),
            ("reject", gettext_lazy("Refuser")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Motif"),
        choices=[("", "—"), *ModerationReason.choices],
        required=False,
    )
    message = forms.CharField(
        label=gettext_lazy("Message au contributeur"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=3000,
        help_text=gettext_lazy("Envoyé par e-mail et affiché sur sa fiche."),
    )

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision in {"request_changes", "reject"}:
            # The workflow's own rule, checked here to show it on the fields.
            try:
                validate_reason(
                    data.get("reason"),
                    data.get("message"),
                    message_required=decision == "request_changes",
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


class QueueFilterForm(forms.Form):
    etat = forms.ChoiceField(
        label=gettext_lazy("Statut"),
        choices=[
            ("", gettext_lazy("Toutes les soumissions")),
            ("nouvelles", gettext_lazy("Soumises pour la première fois")),
            ("renvoyees", gettext_lazy("Soumises à nouveau après modifications demandées")),
        ],
        required=False,
    )
    attente = forms.TypedChoiceField(
        label=gettext_lazy("En attente depuis"),
        choices=[
            ("", gettext_lazy("Toute durée")),
            (1, gettext_lazy("Plus d'un jour")),
            (7, gettext_lazy("Plus d'une semaine")),
            (30, gettext_lazy("Plus d'un mois")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
    )
    par = forms.ChoiceField(label=gettext_lazy("Prise en charge"), required=False)

    def __init__(self, *args, moderators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["par"].choices = [
            ("", gettext_lazy("Par n'importe qui ou personne")),
            ("moi", gettext_lazy("Par moi")),
            ("personne", gettext_lazy("Par personne")),
            *((str(user.pk), str(user)) for user in moderators),
        ]


QUEUE_SHOWN = 200


def moderators():
    """The accounts that may take a submission: active staff, by address."""
    return list(get_user_model().objects.filter(is_active=True, is_staff=True).order_by("email"))


def by_assignee(queryset, wanted, user):
    """The queue's « prise en charge » filter: « moi », « personne » or an account's id."""
    if wanted == "moi":
        return queryset.filter(assigned_to=user)
    if wanted == "personne":
        return queryset.filter(assigned_to__isnull=True)
    if wanted:
        return queryset.filter(assigned_to_id=int(wanted))
    return queryset


def in_queue_order(queryset, *, case_field, since_field, filters):
    """Submissions with `first_submitted_at` (when they first came to the queue:
    a resubmission keeps its age) and `resubmitted` (sent back for changes
    since), filtered and oldest first. `since_field`: audit entries older than it
    belong to an earlier round (a published case's earlier revisions)."""
    entries = AuditLog.objects.filter(case=OuterRef(case_field))
    if since_field:
        entries = entries.filter(created_at__gte=OuterRef(since_field))
    else:
        entries = entries.exclude(data__has_key="revision")
    first_submission = (
        entries.filter(action=Action.SUBMIT).order_by("created_at").values("created_at")[:1]
    )
    queryset = queryset.annotate(
        first_submitted_at=Coalesce(Subquery(first_submission), "submitted_at"),
        resubmitted=Exists(entries.filter(action=Action.REQUEST_CHANGES)),
    )
    if filters.get("etat") == "nouvelles":
        queryset = queryset.filter(resubmitted=False)
    elif filters.get("etat") == "renvoyees":
        queryset = queryset.filter(resubmitted=True)
    if filters.get("attente"):
        since = timezone.now() - timedelta(days=filters["attente"])
        queryset = queryset.filter(first_submitted_at__lte=since)
    return list(queryset.order_by("first_submitted_at", "id")[:QUEUE_SHOWN])


@staff_required
def moderation_queue(request):
    filter_form = QueueFilterForm(request.GET or None, moderators=moderators())
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    assignee = filters.get("par")
    submitted = in_queue_order(
        by_assignee(
            Case.objects.filter(status=CaseStatus.SUBMITTED).select_related(
                "owner", "assigned_to"
            ),
            assignee,
            request.user,
        ),
        case_field="pk",
        since_field=None,
        filters=filters,
    )
    revisions = in_queue_order(
        by_assignee(
            CaseRevision.objects.filter(status=RevisionStatus.SUBMITTED).select_related(
                "case", "author", "assigned_to"
            ),
            assignee,
            request.user,
        ),
        case_field="case_id",
        since_field="created_at",
        filters=filters,
    )
    counts = Case.objects.values("status").annotate(n=Count("pk")).order_by("status")
    context = {
        "submitted": submitted,
        "revisions": revisions,
        "filter_form": filter_form,
        "filtered": bool(filters.get("etat") or filters.get("attente") or assignee),
        "reports": open_reports(),
        "contact_messages": ContactMessage.objects.new().order_by("created_at", "id")[:5],
        "contact_count": ContactMessage.objects.new().count(),
        "counts": [
            {"status": row["status"], "label": CaseStatus(row["status"]).label, "n": row["n"]}
            for row in counts
        ],
        "breadcrumbs": [(_("Modération"), None)],
        "reasons": ModerationReason.choices,
    }
    return render(request, "registry/moderation/queue.html", context)


def open_reports():
    return list(
        Report.objects.open().select_related("case", "reporter").order_by("created_at")[:100]
    )


CONTACT_MESSAGES_SHOWN = 100


@staff_required
def moderation_contact_messages(request):
    """Messages of the contact form: the new ones, oldest first; or the handled ones."""
    handled = request.GET.get("statut") == "traites"
    if handled:
        shown = ContactMessage.objects.filter(status=ContactStatus.HANDLED).order_by(
            "-handled_at", "-id"
        )
    else:
        shown = ContactMessage.objects.new().order_by("created_at", "id")
    context = {
        "contact_messages": list(
            shown.select_related("sender", "handled_by")[:CONTACT_MESSAGES_SHOWN]
        ),
        "handled": handled,
        "new_count": ContactMessage.objects.new().count(),
        "breadcrumbs": [(_("Modération"), "/moderation/"), (_("Messages de contact"), None)],
    }
    return render(request, "registry/moderation/contact_messages.html", context)


@staff_required
@require_POST
def contact_message_handle(request, pk):
    message = get_object_or_404(ContactMessage, pk=pk)
    message.mark_handled(by=request.user)
    messages.success(request, _("Message marqué comme traité."))
    return redirect("moderation_contact_messages")


@staff_required
def moderation_review(request, pk):
    case = case_for(
        request.user,
        pk,
        queryset=Case.objects.select_related("owner").prefetch_related("roster__organization"),
    )
    revision = case.revisions.select_related("assigned_to").filter(
        status=RevisionStatus.SUBMITTED
    ).first()
    comparison = review_comparison(case, revision, against=request.GET.get("contre"))
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decide(request.user, case, revision, form.cleaned_data)
        except (TransitionNotAllowed, ValidationError) as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Décision enregistrée et envoyée au contributeur."))
            return redirect("moderation_queue")
    context = {
        "case": case,
        "revision": revision,
        **comparison,
        "duplicates": similar_cases(case, seen_by=request.user),
        "form": form,
        "edit_summary": edit_summary(case, revision),
        "in_review": revision if revision is not None else (case if case.is_submitted else None),
        "thread": case.thread(),
        "message_form": MessageForm(),
        "history": case.audit_entries.select_related("actor")[:20],
        "breadcrumbs": [(_("Modération"), "/moderation/"), (case.title, None)],
    }
    return render(
        request, "registry/moderation/review.html", context, status=400 if form.errors else 200
    )


def review_comparison(case, revision, *, against=None):
    """What the review compares the submission with: the content staff last sent
    back when it comes back after « changes requested » (only what changed since
    is shown), else the published version (`against="publiee"` asks for it in any
    case); a new case with nothing before is shown whole."""
    if revision is not None:
        proposed, published = revision.data, case.snapshot()
    else:
        proposed = case.snapshot()
        version = case.versions.filter(action=Action.PUBLISH).order_by("-number").first()
        published = version.data if version is not None else None
    reviewed = case.last_reviewed(revision)
    against_reviewed = reviewed is not None and against != "publiee"
    before = reviewed if against_reviewed else published
    names = snapshot_names(before, proposed)
    partners = review_partners(case, proposed, names)
    return {
        "changes": diff_snapshots(before, proposed, names),
        "partners": partners,
        "new_organizations": {row["organization"].pk for row in partners if row["is_new"]},
        "is_new": before is None,
        "against_reviewed": against_reviewed,
        "resubmitted": reviewed is not None,
        "has_published": published is not None,
    }


def edit_summary(case, revision):
    """What the contributor says they changed: the summary sent with the
    submitted revision, or with the case's last submission."""
    if revision is not None:
        return revision.edit_summary
    entry = (
        case.audit_entries.filter(action=Action.SUBMIT).exclude(data__has_key="revision").first()
    )
    return entry.message if entry is not None else ""


def review_partners(case, snapshot, names):
    """Each partner of the content under review with its identifiers and seat,
    and whether it is new: created by the case's owner and on no published case
    yet. Two queries."""
    roster = snapshot.get("roster") or []
    published_roster = CasePartner.objects.filter(
        organization=OuterRef("pk"), case__status=CaseStatus.PUBLISHED
    )
    organizations = (
        Organization.objects.filter(pk__in=[entry["organization"] for entry in roster])
        .select_related("actor_type", "seat", "seat__departement", "governed_territory")
        .annotate(on_published_case=Exists(published_roster))
        .in_bulk()
    )
    rows = []
    for entry in roster:
        organization = organizations.get(entry["organization"])
        if organization is None:
            continue
        rows.append(
            {
                "organization": organization,
                "role": names.term("partner_role", entry["role"]),
                "is_new": (
                    organization.created_by_id is not None
                    and organization.created_by_id == case.owner_id
                    and not organization.on_published_case
                ),
            }
        )
    return rows


def snapshot_names(*snapshots):
    """The names of the territories and terms the snapshots name by code, in the
    page's language, looked up in three queries."""
    codes = codes_in(*snapshots)
    territories, terms = Q(pk__in=[]), Q(pk__in=[])
    for kind in {kind for kind, _code in codes["territories"]}:
        found = [code for other, code in codes["territories"] if other == kind]
        territories |= Q(kind=kind, code__in=found)
    vocabularies = {vocabulary for vocabulary, _code in codes["terms"]}
    for vocabulary in vocabularies:
        found = [code for other, code in codes["terms"] if other == vocabulary]
        terms |= Q(vocabulary__code=vocabulary, code__in=found)
    return SnapshotNames(
        territories={
            (place.kind, place.code): place.label_with_kind
            for place in Territory.objects.filter(territories)
        },
        terms={
            (item.vocabulary.code, item.code): item.label
            for item in Term.objects.filter(terms).select_related("vocabulary")
        },
        vocabularies={
            item.code: item.label for item in Vocabulary.objects.filter(code__in=vocabularies)
        },
    )


@transaction.atomic
def decide(user, case, revision, data):
    decision, reason, message = data["decision"], data.get("reason", ""), data.get("message", "")
    target = revision if revision is not None else case
    if decision == "publish":
        target.publish(by=user, message=message)
        action = Action.PUBLISH
    elif decision == "request_changes":
        target.request_changes(by=user, reason=reason, message=message)
        action = Action.REQUEST_CHANGES
    else:
        target.reject(by=user, reason=reason, message=message)
        action = Action.REJECT
    notify_decision_on_commit(case, action, reason=reason, message=message, revision=revision)


@staff_required
@require_POST
def moderation_assign(request, pk):
    """« Je m'en occupe » (or « Libérer » with `liberer`) on what awaits a
    decision on the case: its submitted revision, or the case itself."""
    case = case_for(request.user, pk)
    target = case.in_review()
    if target is None:
        messages.error(request, _("Rien n'attend de décision sur cette expérience."))
        return redirect("moderation_queue")
    if request.POST.get("liberer"):
        target.release(by=request.user)
        messages.success(
            request, _("« %(title)s » n'est plus prise en charge.") % {"title": case.title}
        )
    else:
        target.assign(by=request.user)
        messages.success(
            request, _("Vous prenez en charge « %(title)s ».") % {"title": case.title}
        )
    if request.POST.get("retour") == "relecture":
        return redirect("moderation_review", pk=case.pk)
    anchor = "rev-title" if target is not case else "new-title"
    return redirect(reverse("moderation_queue") + "#" + anchor)


@staff_required
@require_http_methods(["GET", "POST"])
def moderation_bulk_spam(request):
    """Reject the selected submissions as spam, in one go: the queue's selection
    comes here by GET to be confirmed, the confirmation POSTs (and may block
    their authors' accounts)."""
    selection = request.POST if request.method == "POST" else request.GET
    ids = [int(pk) for pk in selection.getlist("case") if pk.isdigit()]
    cases = list(
        Case.objects.filter(pk__in=ids, status=CaseStatus.SUBMITTED)
        .select_related("owner")
        .order_by("submitted_at", "id")
    )
    if not cases:
        messages.error(request, _("Aucune soumission sélectionnée : rien n'a été refusé."))
        return redirect("moderation_queue")
    owners = list({c.owner_id: c.owner for c in cases if c.owner and not c.owner.is_staff}.values())
    if request.method == "GET":
        context = {
            "cases": cases,
            "owners": [owner for owner in owners if owner.is_active],
            "breadcrumbs": [(_("Modération"), "/moderation/"), (_("Refuser comme spam"), None)],
        }
        return render(request, "registry/moderation/spam_confirm.html", context)
    with transaction.atomic():
        for case in cases:
            case.reject(by=request.user, reason=ModerationReason.SPAM, message="")
        blocked = 0
        if selection.get("block"):
            for owner in owners:
                first = next(c for c in cases if c.owner_id == owner.pk)
                blocked += block_account(owner, by=request.user, case=first)
    done = ngettext(
        "%(count)d soumission refusée comme spam.",
        "%(count)d soumissions refusées comme spam.",
        len(cases),
    ) % {"count": len(cases)}
    if blocked:
        done += " " + ngettext(
            "%(count)d compte bloqué.", "%(count)d comptes bloqués.", blocked
        ) % {"count": blocked}
    messages.success(request, done)
    return redirect("moderation_queue")


@staff_required
def moderation_feature(request, pk):
    case = case_for(request.user, pk, queryset=Case.objects.published())
    initial = {
        "criteria": case.pioneer_criteria.all(),
        "reason": case.pioneer_reason,
        "review_on": case.pioneer_review_on,
    }
    form = PioneerForm(request.POST or None, initial=initial, case=case)
    if request.method == "POST":
        if request.POST.get("unfeature"):
            case.unfeature(by=request.user)
            messages.success(request, _("L'expérience n'est plus mise en avant."))
            return redirect(case.get_absolute_url())
        if form.is_valid():
            case.feature(
                by=request.user,
                criteria=list(form.cleaned_data["criteria"]),
                reason=form.cleaned_data["reason"],
                review_on=form.cleaned_data.get("review_on"),
            )
            messages.success(request, _("Expérience mise en avant comme pionnière."))
            return redirect(case.get_absolute_url())
    context = {
        "case": case,
        "form": form,
        "breadcrumbs": [(_("Modération"), "/moderation/"), (case.title, None)],
    }
    return render(request, "registry/moderation/feature.html", context)


class CompareForm(forms.Form):
    """Two versions of a case to compare, by number (`?de=2&a=5`)."""

    de = forms.TypedChoiceField(label=gettext_lazy("Comparer la version"), coerce=int)
    a = forms.TypedChoiceField(label=gettext_lazy("avec la version"), coerce=int)

    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(number, str(number)) for number in numbers]
        self.fields["de"].choices = choices
        self.fields["a"].choices = choices
        if len(numbers) >= 2:
            self.fields["de"].initial, self.fields["a"].initial = numbers[-2], numbers[-1]


def case_history(request, pk):
    """Versions of a case with who, when and what changed: its owner and staff only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case = case_for(request.user, pk, write=True)
    versions = list(case.versions.select_related("created_by").order_by("number"))
    names = snapshot_names(*(version.data for version in versions))
    rows = []
    previous = None
    for version in versions:
        rows.append({"version": version, "changes": diff_snapshots(previous, version.data, names)})
        previous = version.data
    rows.reverse()
    compare = CompareForm(request.GET or None, numbers=[version.number for version in versions])
    comparison = None
    if compare.is_valid():
        by_number = {version.number: version for version in versions}
        older = by_number[compare.cleaned_data["de"]]
        newer = by_number[compare.cleaned_data["a"]]
        comparison = {
            "older": older,
            "newer": newer,
            "changes": diff_snapshots(older.data, newer.data, names),
        }
    context = {
        "case": case,
        "rows": rows,
        "compare": compare,
        "comparison": comparison,
        "log": case.audit_entries.select_related("actor")[:50],
        "breadcrumbs": [(case.title, case.get_absolute_url()), (_("Historique"), None)],
    }
    return render(request, "registry/history.html", context)


class RestoreForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Pourquoi restaurer cette version"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=gettext_lazy("Envoyé par e-mail au contributeur et gardé dans le journal."),
        error_messages={"required": gettext_lazy("Dites pourquoi vous restaurez cette version.")},
    )


@staff_required
def case_restore(request, pk, number):
    """Ask why, show what the restore changes, then restore and tell the owner."""
    case = case_for(request.user, pk, write=True)
    version = get_object_or_404(case.versions, number=number)
    form = RestoreForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        with transaction.atomic():
            case.restore_version(version, by=request.user, reason=reason)
            notify_restore_on_commit(case, version, reason=reason)
        messages.success(
            request,
            _("Version %(number)d restaurée (nouvelle version créée).") % {"number": number},
        )
        return redirect("case_history", pk=case.pk)
    current = case.snapshot()
    context = {
        "case": case,
        "version": version,
        "form": form,
        "changes": diff_snapshots(current, version.data, snapshot_names(current, version.data)),
        "breadcrumbs": [
            (case.title, case.get_absolute_url()),
            (_("Historique"), reverse("case_history", args=[case.pk])),
            (_("Restaurer"), None),
        ],
    }
    return render(
        request, "registry/moderation/restore.html", context, status=400 if form.errors else 200
    )
