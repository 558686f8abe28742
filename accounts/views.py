"""Accounts: sign-up with e-mail confirmation, log in and out, profile, and the
contributor's dashboard."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import confirmation
from accounts.forms import (
    EmailLoginForm,
    PasswordResetForm,
    ProfileForm,
    ResendConfirmationForm,
    SignupForm,
)
from accounts.models import User
from accounts.ratelimit import ratelimit
from registry.models import (
    Action,
    AuditLog,
    Case,
    CaseRevision,
    CaseStatus,
    CaseTerritory,
    RevisionStatus,
)
from registry.models.choices import OPEN_REVISION_STATUSES
from registry.models.moderation import has_new_message, with_last_words
from registry.tasks import queue_email


def send_confirmation(request, user):
    url = request.build_absolute_uri(
        reverse("accounts:confirm", kwargs={"token": confirmation.make_token(user)})
    )
    body = render_to_string("accounts/email/confirm.txt", {"user": user, "url": url})
    queue_email(
        "[Alliances territoriales] Confirmez votre adresse / Confirm your address",
        body,
        [user.email],
    )


def send_account_exists(request, user):
    """Someone signed up with the address of an account: tell its owner, not them."""
    context = {
        "user": user,
        "waiting": user.awaiting_confirmation and not user.is_active,
        "login_url": request.build_absolute_uri(reverse("accounts:login")),
        "reset_url": request.build_absolute_uri(reverse("accounts:password_reset")),
        "resend_url": request.build_absolute_uri(reverse("accounts:resend")),
    }
    queue_email(
        "[Alliances territoriales] Votre compte existe déjà / You already have an account",
        render_to_string("accounts/email/account_exists.txt", context),
        [user.email],
    )


@ratelimit("signup", limit=5, period=3600)
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if form.is_bot():
            # Say nothing to a bot; create nothing.
            return redirect("accounts:signup_done")
        if form.is_valid():
            user, created = form.save()
            if created:
                send_confirmation(request, user)
            elif user is not None:
                send_account_exists(request, user)
            # The same answer either way: sign-up does not tell who has an account.
            return redirect("accounts:signup_done")
    context = {"form": form, "breadcrumbs": [(_("Créer un compte"), None)]}
    return render(request, "accounts/signup.html", context, status=400 if form.errors else 200)


def signup_done(request):
    return render(
        request, "accounts/signup_done.html", {"breadcrumbs": [(_("Créer un compte"), None)]}
    )


def confirm(request, token):
    try:
        user = confirmation.account_of(token)
    except signing.SignatureExpired:
        messages.error(request, _("Ce lien a expiré. Demandez-en un nouveau ci-dessous."))
        return redirect("accounts:resend")
    except signing.BadSignature:
        messages.error(request, _("Ce lien n'est pas valide. Demandez-en un nouveau ci-dessous."))
        return redirect("accounts:resend")
    if user is None or not user.confirm_email():
        messages.error(
            request,
            _(
                "Ce lien a déjà servi ou n'est plus valide. Si votre adresse est confirmée, "
                "connectez-vous avec votre mot de passe."
            ),
        )
        return redirect("accounts:login")
    login(request, user, backend="accounts.backends.EmailBackend")
    messages.success(request, _("Adresse confirmée : bienvenue !"))
    return redirect("accounts:dashboard")


@ratelimit("resend", limit=5, period=3600)
def resend(request):
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(
            email__iexact=form.cleaned_data["email"], awaiting_confirmation=True, is_active=False
        ).first()
        if user is not None:
            send_confirmation(request, user)
        # The same answer whether or not the address has an account.
        messages.success(
            request, _("Si un compte attend sa confirmation, un nouveau lien est parti.")
        )
        return redirect("accounts:login")
    return render(request, "accounts/resend.html", {"form": form})


@method_decorator(ratelimit("login-ip", limit=30, period=900), name="dispatch")
class LoginView(auth_views.LoginView):
    """Log in; a source is capped at 30 attempts per 15 minutes whatever the
    addresses, and slowed down per address by `EmailLoginForm`."""

    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "breadcrumbs": [(_("Se connecter"), None)]}


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Profil enregistré."))
        return redirect("accounts:profile")
    context = {"form": form, "breadcrumbs": [(_("Mon profil"), None)]}
    return render(request, "accounts/profile.html", context, status=400 if form.errors else 200)


@login_required
def dashboard(request):
    user = request.user
    cases = list(
        with_last_words(Case.objects.filter(owner=user))
        .prefetch_related(
            Prefetch(
                "case_territories", queryset=CaseTerritory.objects.select_related("territory")
            ),
            Prefetch(
                "revisions",
                queryset=CaseRevision.objects.filter(status__in=OPEN_REVISION_STATUSES),
                to_attr="open_revisions",
            ),
        )
        .order_by("-updated_at")
    )
    # Staff's last request for changes on each revision sent back, in one query.
    requests = {}
    for entry in AuditLog.objects.filter(
        case__owner=user, action=Action.REQUEST_CHANGES, data__has_key="revision"
    ).order_by("created_at", "id"):
        requests[entry.data["revision"]] = entry
    for case in cases:
        case.has_new_message = has_new_message(case)
        case.pending_revision = case.open_revisions[0] if case.open_revisions else None
        if case.pending_revision is not None:
            case.pending_revision.request = (
                requests.get(case.pending_revision.pk)
                if case.pending_revision.status == RevisionStatus.CHANGES_REQUESTED
                else None
            )
    groups = [
        {"status": status, "label": label, "cases": [c for c in cases if c.status == status]}
        for status, label in CaseStatus.choices
    ]
    # The freshness rule of the reminders and the staff's list.
    stale_ids = set(Case.objects.filter(owner=user).stale().values_list("pk", flat=True))
    stale = [c for c in cases if c.pk in stale_ids]
    moderator_messages = (
        AuditLog.objects.filter(
            case__owner=user,
            action__in=[Action.PUBLISH, Action.REQUEST_CHANGES, Action.REJECT, Action.ARCHIVE],
        )
        .exclude(actor=user)
        .select_related("case")
        .order_by("-created_at")[:20]
    )
    context = {
        "groups": [g for g in groups if g["cases"]],
        "stale": stale,
        "moderator_messages": moderator_messages,
        "breadcrumbs": [(_("Mes expériences"), None)],
    }
    return render(request, "accounts/dashboard.html", context)


@login_required
@require_POST
def confirm_accurate(request, pk):
    """One click: the published case is still accurate today."""
    case = get_object_or_404(Case.objects.editable_by(request.user), pk=pk)
    case.confirm_accurate(by=request.user)
    messages.success(
        request, _("Merci : « %(title)s » est marquée comme vérifiée.") % {"title": case.title}
    )
    return redirect("accounts:dashboard")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @method_decorator(ratelimit("password-reset", limit=5, period=3600))
    def dispatch(self, *args, **kwargs):
        return super().dispatch(*args, **kwargs)
