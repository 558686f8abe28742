from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from registry.models import Organization
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
    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
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

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                _(
                    "Un compte existe déjà avec cette adresse. Connectez-vous ou réinitialisez "
                    "votre mot de passe."
                ),
                code="duplicate",
            )
        return email

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
        email = self.cleaned_data["email"]
        user = User(
            username=email.lower(),
            email=email,
            display_name=self.cleaned_data["display_name"],
            is_active=False,
        )
        user.set_password(self.cleaned_data["password1"])
        user.save()
        return user


class EmailLoginForm(AuthenticationForm):
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
            "Commune, intercommunalité, département ou région ; par exemple « Lille (59) »."
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
            raise ValidationError(_("Aucune organisation ne correspond : vérifiez l'orthographe."))
        raise ValidationError(
            _("Plusieurs organisations correspondent : %(names)s. Précisez le nom ou le SIREN.")
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
                "Plusieurs territoires correspondent : %(names)s. Ajoutez le département entre "
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
