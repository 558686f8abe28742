"""Any visitor may report a published case; reports reach the moderation queue."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.forms import HoneypotMixin
from accounts.ratelimit import ratelimit
from registry.models import Action, Case, Report, ReportStatus
from registry.models.workflow import is_moderator


class ReportForm(HoneypotMixin, forms.ModelForm):
    class Meta:
        model = Report
        fields = ["reason", "message", "reporter_email"]
        widgets = {
            "reason": forms.RadioSelect,
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
            report = form.save(commit=False)
            report.case = case
            if request.user.is_authenticated:
                report.reporter = request.user
            report.save()
            case.log(
                Action.REPORT, by=request.user, data={"report": report.pk, "reason": report.reason}
            )
            messages.success(request, _("Merci : votre signalement est transmis à l'équipe."))
            return redirect(case.get_absolute_url())
    context = {
        "case": case,
        "form": form,
        "breadcrumbs": [(case.title, case.get_absolute_url()), (_("Signaler"), None)],
    }
    return render(request, "registry/report.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def report_resolve(request, pk):
    if not is_moderator(request.user):
        raise PermissionDenied
    report = get_object_or_404(Report.objects.open(), pk=pk)
    report.status = ReportStatus.RESOLVED
    report.resolved_by = request.user
    report.resolved_at = timezone.now()
    report.save(update_fields=["status", "resolved_by", "resolved_at"])
    report.case.log(Action.RESOLVE_REPORT, by=request.user, data={"report": report.pk})
    messages.success(request, _("Signalement traité."))
    return redirect("moderation_queue")
