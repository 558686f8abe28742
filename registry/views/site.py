"""The pages about the site itself, the ones every French public-interest site
carries: who publishes it and how cases are checked, legal notice, personal data,
the accessibility statement, a contact form to the staff, and a site map."""

from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.forms import HoneypotMixin
from accounts.ratelimit import ratelimit
from registry.counting.observatory import PHARE_FIGURES, PHARE_SOURCE
from registry.models import ContactMessage, ContactSubject, ModerationReason, Term
from registry.models.contact import CONTACT_RETENTION
from registry.notifications import notify_contact_message
from registry.opendata.exports import LICENCE, LICENCE_URL
from territories.models import Territory, TerritoryKind

# The date the accessibility statement was written, and the RGAA version it refers to.
ACCESSIBILITY_STATEMENT_DATE = date(2026, 12, 1)
RGAA_VERSION = "4.1.2"


def legal_details():
    """Who publishes and hosts the registry (settings read from the environment)."""
    return {
        "publisher_name": settings.PUBLISHER_NAME,
        "publisher_address": settings.PUBLISHER_ADDRESS,
        "publisher_phone": settings.PUBLISHER_PHONE,
        "publisher_identifier": settings.PUBLISHER_IDENTIFIER,
        "publication_director": settings.PUBLICATION_DIRECTOR,
        "host_name": settings.HOST_NAME,
        "host_address": settings.HOST_ADDRESS,
        "host_phone": settings.HOST_PHONE,
        "contact_email": settings.CONTACT_EMAIL,
    }


def long_date(day):
    """« 1er décembre 2026 » in French (the first of the month is an ordinal), « 1 December
    2026 » in English."""
    label = date_format(day, "j F Y")
    if day.day == 1 and (get_language() or "").startswith("fr"):
        label = "1er" + label[1:]
    return label


def about(request):
    context = {
        **legal_details(),
        "reasons": ModerationReason.choices,
        "phare_figures": PHARE_FIGURES,
        "phare_source": PHARE_SOURCE,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "breadcrumbs": [(_("À propos"), None)],
    }
    return render(request, "registry/site/about.html", context)


def legal_notice(request):
    context = {
        **legal_details(),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "breadcrumbs": [(_("Mentions légales"), None)],
    }
    return render(request, "registry/site/legal_notice.html", context)


def privacy(request):
    context = {
        **legal_details(),
        "contact_retention_days": CONTACT_RETENTION.days,
        "session_days": settings.SESSION_COOKIE_AGE // (24 * 3600),
        "breadcrumbs": [(_("Données personnelles"), None)],
    }
    return render(request, "registry/site/privacy.html", context)


def accessibility(request):
    context = {
        **legal_details(),
        "publisher_label": settings.PUBLISHER_NAME or _("L'éditeur du registre (à renseigner)"),
        "statement_date_label": long_date(ACCESSIBILITY_STATEMENT_DATE),
        "rgaa_version": RGAA_VERSION,
        "breadcrumbs": [(_("Accessibilité"), None)],
    }
    return render(request, "registry/site/accessibility.html", context)


class ContactForm(HoneypotMixin, forms.ModelForm):
    class Meta:
        model = ContactMessage
        fields = ["name", "email", "subject", "message"]
        labels = {
            "name": gettext_lazy("Votre nom (facultatif)"),
            "email": gettext_lazy("Votre adresse e-mail"),
            "subject": gettext_lazy("Sujet"),
            "message": gettext_lazy("Votre message"),
        }
        help_texts = {
            "email": gettext_lazy("Pour que l'équipe puisse vous répondre."),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "message": forms.Textarea(attrs={"rows": 8, "maxlength": 5000}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", "—"), *ContactSubject.choices]


def contact_initial(request):
    """A link may choose the subject (« Accessibilité » points to ?sujet=accessibility);
    a signed-in contributor need not type their address."""
    initial = {}
    if request.GET.get("sujet") in ContactSubject.values:
        initial["subject"] = request.GET["sujet"]
    if request.user.is_authenticated:
        initial["email"] = request.user.email
        initial["name"] = request.user.display_name
    return initial


@ratelimit("contact", limit=5, period=3600)
def contact(request):
    form = ContactForm(request.POST or None, initial=contact_initial(request))
    if request.method == "POST":
        if form.is_bot():
            # Thank a bot as a person; store and send nothing.
            messages.success(request, _("Merci : votre message est transmis à l'équipe."))
            return redirect("contact")
        if form.is_valid():
            with transaction.atomic():
                message = form.save(commit=False)
                message.language = (get_language() or settings.LANGUAGE_CODE)[:8]
                if request.user.is_authenticated:
                    message.sender = request.user
                message.save()
                notify_contact_message(message)
            messages.success(request, _("Merci : votre message est transmis à l'équipe."))
            return redirect("contact")
    context = {
        "form": form,
        "contact_retention_days": CONTACT_RETENTION.days,
        "breadcrumbs": [(_("Contact"), None)],
    }
    status = 400 if form.errors else 200
    return render(request, "registry/site/contact.html", context, status=status)


def site_map(request):
    terms = list(
        Term.objects.filter(vocabulary__code__in=["theme", "practice"], is_active=True)
        .select_related("vocabulary")
        .order_by("vocabulary__code", "position", "code")
    )
    practices = [t for t in terms if t.vocabulary.code == "practice" and t.parent_id is None]
    for practice in practices:
        practice.kids = [t for t in terms if t.parent_id == practice.pk]
    context = {
        "regions": Territory.objects.filter(kind=TerritoryKind.REGION).order_by("name_key"),
        "themes": [t for t in terms if t.vocabulary.code == "theme" and t.parent_id is None],
        "practices": practices,
        "breadcrumbs": [(_("Plan du site"), None)],
    }
    return render(request, "registry/site/site_map.html", context)
