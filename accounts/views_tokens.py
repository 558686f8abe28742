"""Personal API tokens: a contributor lists, creates and revokes their own.

A new token is shown once, in the response to its creation (never stored in
clear, never shown again); the page is not cached."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import ApiToken
from accounts.ratelimit import ratelimit


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom du jeton"),
        max_length=100,
        help_text=gettext_lazy("Par exemple l'outil ou le script qui s'en servira."),
    )


@login_required
@never_cache
@ratelimit("token-create", limit=20, period=3600, key="user")
def token_list(request):
    form = TokenForm(request.POST or None)
    new_key = None
    status = 200
    if request.method == "POST":
        if request.user.api_tokens.active().count() >= ApiToken.MAX_ACTIVE:
            form.add_error(
                None,
                _("Vous avez déjà %(max)d jetons actifs : révoquez-en un d'abord.")
                % {"max": ApiToken.MAX_ACTIVE},
            )
        if form.is_valid():
            _token, new_key = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
            form = TokenForm()
        else:
            status = 400
    context = {
        "form": form,
        "tokens": request.user.api_tokens.all(),
        "new_key": new_key,
        "max_active": ApiToken.MAX_ACTIVE,
        "breadcrumbs": [(_("Jetons d'API"), None)],
    }
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, _("Jeton « %(name)s » révoqué.") % {"name": token.name})
    return redirect("tokens:list")
