"""Staff pages: the moderation queue, reviewing one submission, pioneers,
merging organisations, case history and restoring a version, contact messages."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.models import (
    Action,
    Case,
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
)
from registry.models.access import case_for
from registry.models.workflow import is_moderator, pioneer_errors, validate_reason
from registry.notifications import notify_decision_on_commit
from registry.search.duplicates import similar_cases
from registry.text.diff import diff_snapshots


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


@staff_required
def moderation_queue(request):
    now = timezone.now()
    submitted = list(
        Case.objects.filter(status=CaseStatus.SUBMITTED)
        .select_related("owner")
        .order_by("submitted_at", "id")[:200]
    )
    revisions = list(
        CaseRevision.objects.filter(status=RevisionStatus.SUBMITTED)
        .select_related("case", "author")
        .order_by("submitted_at", "id")[:200]
    )
    for item in [*submitted, *revisions]:
        item.age = now - (item.submitted_at or now)
    context = {
        "submitted": submitted,
        "revisions": revisions,
        "reports": open_reports(),
        "contact_messages": ContactMessage.objects.new().order_by("created_at", "id")[:5],
        "contact_count": ContactMessage.objects.new().count(),
        "counts": Case.objects.values("status").annotate(n=Count("pk")).order_by("status"),
        "breadcrumbs": [(_("Modération"), None)],
        "reasons": ModerationReason.choices,
    }
    return render(request, "registry/moderation/queue.html", context)


def open_reports():
    return list(Report.objects.open().select_related("case").order_by("created_at")[:100])


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
    revision = case.revisions.filter(status=RevisionStatus.SUBMITTED).first()
    published = case.versions.filter(action=Action.PUBLISH).order_by("-number").first()
    if revision is not None:
        changes = diff_snapshots(case.snapshot(), revision.data)
    else:
        changes = diff_snapshots(published.data if published else None, case.snapshot())
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
        "changes": changes,
        "is_new": revision is None and published is None,
        "duplicates": similar_cases(case, seen_by=request.user),
        "form": form,
        "history": case.audit_entries.select_related("actor")[:20],
        "breadcrumbs": [(_("Modération"), "/moderation/"), (case.title, None)],
    }
    return render(
        request, "registry/moderation/review.html", context, status=400 if form.errors else 200
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
def moderation_bulk_spam(request):
    """Reject the selected submissions as spam, in one go."""
    ids = [int(pk) for pk in request.POST.getlist("case") if pk.isdigit()]
    rejected = 0
    for case in Case.objects.filter(pk__in=ids, status=CaseStatus.SUBMITTED):
        case.reject(by=request.user, reason=ModerationReason.SPAM, message="")
        rejected += 1
    messages.success(
        request, _("%(count)d soumission(s) refusée(s) comme spam.") % {"count": rejected}
    )
    return redirect("moderation_queue")


class FeatureForm(forms.Form):
    criteria = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Critères remplis"),
        queryset=Term.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=gettext_lazy("Pourquoi elle est pionnière"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,  # the pioneer rule says it is needed, with its own words
    )
    review_on = forms.DateField(
        label=gettext_lazy("À réexaminer le"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["criteria"].queryset = Term.objects.of("pioneer_criterion").active()
        self.fields["criteria"].error_messages["required"] = _("Cochez au moins un critère.")

    def clean(self):
        data = super().clean()
        errors = pioneer_errors(status=self.case.status, reason=data.get("reason"))
        if "pioneer_reason" in errors:
            errors["reason"] = errors.pop("pioneer_reason")
        if errors:
            self.add_error(None, errors)
        return data


@staff_required
def moderation_feature(request, pk):
    case = case_for(request.user, pk, queryset=Case.objects.published())
    initial = {
        "criteria": case.pioneer_criteria.all(),
        "reason": case.pioneer_reason,
        "review_on": case.pioneer_review_on,
    }
    form = FeatureForm(request.POST or None, initial=initial, case=case)
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


class MergeForm(forms.Form):
    survivor = forms.ModelChoiceField(
        label=gettext_lazy("Organisation conservée"),
        queryset=Organization.objects.all(),
        to_field_name="slug",
        widget=forms.TextInput,
        help_text=gettext_lazy("Son identifiant d'URL (la fin de l'adresse de sa page)."),
    )
    duplicate = forms.ModelChoiceField(
        label=gettext_lazy("Doublon à fusionner"),
        queryset=Organization.objects.all(),
        to_field_name="slug",
        widget=forms.TextInput,
        help_text=gettext_lazy("Ses partenariats passent à l'organisation conservée."),
    )

    def clean(self):
        data = super().clean()
        if data.get("survivor") and data.get("survivor") == data.get("duplicate"):
            raise ValidationError(_("Choisissez deux organisations différentes."))
        return data


@staff_required
def moderation_merge(request):
    form = MergeForm(request.POST or None, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        survivor, duplicate = form.cleaned_data["survivor"], form.cleaned_data["duplicate"]
        moved = Organization.objects.merge(
            survivor=survivor, duplicate=duplicate, by=request.user
        )
        messages.success(
            request,
            _(
                "« %(duplicate)s » fusionnée dans « %(survivor)s » : "
                "%(count)d partenariat(s) repris."
            )
            % {"duplicate": duplicate.name, "survivor": survivor.name, "count": moved},
        )
        return redirect(survivor.get_absolute_url())
    context = {
        "form": form,
        "breadcrumbs": [(_("Modération"), "/moderation/"), (_("Fusionner"), None)],
    }
    return render(request, "registry/moderation/merge.html", context)


def case_history(request, pk):
    """Versions of a case with who, when and what changed: its owner and staff only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case = case_for(request.user, pk, write=True)
    versions = list(case.versions.select_related("created_by").order_by("number"))
    rows = []
    previous = None
    for version in versions:
        rows.append({"version": version, "changes": diff_snapshots(previous, version.data)})
        previous = version.data
    rows.reverse()
    context = {
        "case": case,
        "rows": rows,
        "log": case.audit_entries.select_related("actor")[:50],
        "breadcrumbs": [(case.title, case.get_absolute_url()), (_("Historique"), None)],
    }
    return render(request, "registry/history.html", context)


@staff_required
@require_POST
def case_restore(request, pk, number):
    case = case_for(request.user, pk, write=True)
    version = get_object_or_404(case.versions, number=number)
    case.restore_version(version, by=request.user)
    messages.success(
        request, _("Version %(number)d restaurée (nouvelle version créée).") % {"number": number}
    )
    return redirect("case_history", pk=case.pk)
