"""Any visitor may report a published case; staff are e-mailed, read the reports
with the reporter's contact, resolve them with an outcome (telling the reporter
if they wish) and block the accounts that spam."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import HoneypotMixin
from accounts.ratelimit import ratelimit
from registry.models import (
    Action,
    Case,
    CaseStatus,
    Report,
    ReportOutcome,
    ReportReason,
    ReportStatus,
    block_account,
)
from registry.notifications import notify_new_report, notify_report_resolved
from registry.views.moderation import staff_required


class ReportForm(HoneypotMixin, forms.ModelForm):
    # No blank choice: the radios open with none checked, and one must be.
    reason = forms.ChoiceField(
        label=gettext_lazy("Motif"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez le motif du signalement.")},
    )

    class Meta:
        model = Report
        fields = ["reason", "message", "reporter_email"]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        }
        help_texts = {
            "reporter_email": gettext_lazy("Facultatif : pour que l'équipe puisse vous répondre."),
        }


@ratelimit("report", limit=5, period=3600)
def case_report(request, slug):
    case = get_object_or_404(Case.objects.published(), slug=slug)
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        if form.is_bot():
            return redirect(case.get_absolute_url())
        if form.is_valid():
            with transaction.atomic():
                report = form.save(commit=False)
                report.case = case
                if request.user.is_authenticated:
                    report.reporter = request.user
                report.save()
                case.log(
                    Action.REPORT,
                    by=request.user,
                    data={"report": report.pk, "reason": report.reason},
                )
                notify_new_report(report)
            messages.success(request, _("Merci : votre signalement est transmis à l'équipe."))
            return redirect(case.get_absolute_url())
    context = {
        "case": case,
        "form": form,
        "breadcrumbs": [(case.title, case.get_absolute_url()), (_("Signaler"), None)],
    }
    return render(request, "registry/report.html", context, status=400 if form.errors else 200)


REPORTS_SHOWN = 100


@staff_required
def moderation_reports(request):
    """Open reports, oldest first, with whom to answer; or the resolved ones."""
    resolved = request.GET.get("statut") == "traites"
    if resolved:
        shown = Report.objects.filter(status=ReportStatus.RESOLVED).order_by("-resolved_at", "-id")
    else:
        shown = Report.objects.open().order_by("created_at", "id")
    context = {
        "reports": list(
            shown.select_related("case", "case__owner", "reporter", "resolved_by")[:REPORTS_SHOWN]
        ),
        "resolved": resolved,
        "open_count": Report.objects.open().count(),
        "breadcrumbs": [(_("Modération"), "/moderation/"), (_("Signalements"), None)],
    }
    return render(request, "registry/moderation/reports.html", context)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Suite donnée"),
        choices=ReportOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez la suite donnée au signalement.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy(
            "Ce qui a été fait, pour l'équipe ; envoyée aussi au déclarant si vous le prévenez."
        ),
    )
    tell_reporter = forms.BooleanField(
        label=gettext_lazy("Prévenir le déclarant par e-mail"), required=False
    )

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        if not report.contact_email:
            del self.fields["tell_reporter"]
        else:
            self.fields["tell_reporter"].help_text = report.contact_email


@staff_required
def report_resolve(request, pk):
    report = get_object_or_404(
        Report.objects.select_related("case", "case__owner", "reporter"), pk=pk
    )
    if report.status != ReportStatus.OPEN:
        messages.info(request, _("Ce signalement est déjà traité."))
        return redirect("moderation_reports")
    form = ResolveForm(request.POST or None, report=report)
    if request.method == "POST" and form.is_valid():
        tell = form.cleaned_data.get("tell_reporter", False)
        with transaction.atomic():
            resolved = report.resolve(
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                reporter_told=tell,
            )
            if resolved and tell:
                notify_report_resolved(report)
        if not resolved:
            messages.info(request, _("Ce signalement est déjà traité."))
        elif tell:
            messages.success(request, _("Signalement traité ; le déclarant est prévenu."))
        else:
            messages.success(request, _("Signalement traité."))
        return redirect("moderation_reports")
    owner = report.case.owner
    context = {
        "report": report,
        "form": form,
        "owner": owner if owner is not None and owner.is_active and not owner.is_staff else None,
        "breadcrumbs": [
            (_("Modération"), "/moderation/"),
            (_("Signalements"), "/moderation/signalements/"),
            (report.case.title, None),
        ],
    }
    return render(
        request,
        "registry/moderation/report_resolve.html",
        context,
        status=400 if form.errors else 200,
    )


@staff_required
def account_block(request, pk):
    """Ask, then block a contributor's account (`block_account`). `?case=`
    names the case that led here, to log the block on it."""
    account = get_object_or_404(get_user_model(), pk=pk, is_staff=False)
    case_pk = request.POST.get("case") or request.GET.get("case") or ""
    case = Case.objects.filter(pk=case_pk).first() if case_pk.isdigit() else None
    if request.method == "POST":
        if block_account(account, by=request.user, case=case):
            messages.success(
                request,
                _("Le compte %(account)s est bloqué : il ne peut plus se connecter ni soumettre.")
                % {"account": account.email},
            )
        else:
            messages.info(request, _("Ce compte était déjà bloqué."))
        return redirect("moderation_queue")
    context = {
        "account": account,
        "case": case,
        "unpublished": list(
            account.cases.exclude(status__in=[CaseStatus.PUBLISHED, CaseStatus.ARCHIVED])
            .order_by("-updated_at")
            .only("pk", "title", "status")[:50]
        ),
        "published_count": account.cases.filter(status=CaseStatus.PUBLISHED).count(),
        "breadcrumbs": [(_("Modération"), "/moderation/"), (_("Bloquer un compte"), None)],
    }
    return render(request, "registry/moderation/account_block.html", context)
