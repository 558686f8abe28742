import math

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.ratelimit import LoginDelay, client_ip
from registry.models import Organization
from registry.tasks import queue_email
from territories.models import Territory


class HoneypotMixin(forms.Form):
    """A field people never see nor fill; naive bots fill every field."""

    website_url = forms.CharField(
        label=_("Laisser ce champ vide"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def is_bot(self):
        return bool(self.data.get(self.add_prefix("website_url")))


class SignupForm(HoneypotMixin, forms.Form):
    """Sign-up answers the same whether or not the address has an account: the
    view e-mails the address either a confirmation link or a word that it has
    an account already, and says nothing else."""

    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=150,  # the address is also the username, 150 characters at most
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(
        label=_("Nom affiché"),
        max_length=150,
        help_text=_("Visible par l'équipe de modération, pas par les visiteurs."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Au moins 8 caractères, pas uniquement des chiffres, pas trop courant."),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
        elif first:
            candidate = User(email=data.get("email", ""), display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data

    def save(self):
        """(account, created): a new account awaiting confirmation, or the one
        the address already has, left unchanged (None if only its username is
        taken)."""
        email = self.cleaned_data["email"]
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            # Spend the time a new account's password costs.
            make_password(self.cleaned_data["password1"])
            return existing, False
        user = User(
            username=email.lower(),
            email=email,
            display_name=self.cleaned_data["display_name"],
            is_active=False,
            awaiting_confirmation=True,
        )
        user.set_password(self.cleaned_data["password1"])
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same address signed up at the same instant
            return User.objects.filter(email__iexact=email).first(), False
        return user, True


def wait_message(seconds):
    if seconds <= 60:
        return ngettext(
            "Trop de tentatives : réessayez dans %(count)d seconde.",
            "Trop de tentatives : réessayez dans %(count)d secondes.",
            seconds,
        ) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Trop de tentatives : réessayez dans %(count)d minute.",
        "Trop de tentatives : réessayez dans %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


class EmailLoginForm(AuthenticationForm):
    """Log in by address; failures from one source slow that source down
    (`LoginDelay`), and its attempts wait, the right password too, so that the
    answer tells nothing."""

    username = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect, ou adresse pas encore confirmée."
        ),
        "inactive": _("Ce compte n'est pas actif."),
    }
    # Seconds to wait, when the attempt was refused unchecked.
    retry_after = None

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not email or not password:
            return super().clean()
        delay = LoginDelay(email, client_ip(self.request))
        if wait := delay.wait():
            self.retry_after = wait
            raise ValidationError(wait_message(wait), code="too_many_attempts")
        try:
            cleaned_data = super().clean()
        except ValidationError:
            delay.failed()
            raise
        delay.succeeded()
        return cleaned_data


class ResendConfirmationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))


class ProfileForm(forms.ModelForm):
    organization_name = forms.CharField(
        label=_("Organisation"),
        required=False,
        max_length=255,
        help_text=_("Nom, SIREN ou RNA d'une organisation déjà inscrite au registre."),
    )
    territory_name = forms.CharField(
        label=_("Territoire"),
        required=False,
        max_length=100,
        help_text=_(
            "Commune, intercommunalité, département ou région ; par exemple « Lille (59) »."
        ),
    )

    class Meta:
        model = User
        fields = ["display_name", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.organization_id:
            self.fields["organization_name"].initial = self.instance.organization.name
        if self.instance.territory_id:
            self.fields["territory_name"].initial = self.instance.territory.label

    def clean_organization_name(self):
        text = self.cleaned_data["organization_name"].strip()
        if not text:
            return None
        exact = Organization.objects.filter(name__iexact=text)
        matches = list(exact[:2]) or list(Organization.objects.search(text)[:6])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ValidationError(_("Aucune organisation ne correspond : vérifiez l'orthographe."))
        raise ValidationError(
            _("Plusieurs organisations correspondent : %(names)s. Précisez le nom ou le SIREN.")
            % {"names": ", ".join(m.name for m in matches[:5])}
        )

    def clean_territory_name(self):
        text = self.cleaned_data["territory_name"].strip()
        if not text:
            return None
        name, _open, rest = text.partition("(")
        code = rest.rstrip(")").strip()
        candidates = list(Territory.objects.search(name).select_related("departement")[:20])
        exact = [t for t in candidates if t.label.lower() == text.lower()]
        if code:
            exact = exact or [t for t in candidates if t.departement_code == code or t.code == code]
        matches = exact or candidates
        if len(matches) == 1 or (matches and matches[0].label.lower() == text.lower()):
            return matches[0]
        if not matches:
            raise ValidationError(_("Aucun territoire ne correspond."))
        raise ValidationError(
            _(
                "Plusieurs territoires correspondent : %(names)s. Ajoutez le département entre "
                "parenthèses."
            )
            % {"names": ", ".join(t.label for t in matches[:6])}
        )

    def save(self, commit=True):
        user = super().save(commit=False)
        user.organization = self.cleaned_data.get("organization_name")
        user.territory = self.cleaned_data.get("territory_name")
        if commit:
            user.save()
        return user


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, its e-mail written in the request's language and sent
    outside the request like the site's others (registry/tasks.py)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # One line, as Django's own form makes it: a header cannot hold a newline.
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        queue_email(subject, body, [to_email], from_email=from_email)
