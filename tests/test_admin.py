"""The staff's back office: who gets in, what a moderator may do there, and
that its pages stay usable (homonyms told apart, fixed query counts)."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from registry.models import (
    Action,
    AuditLog,
    CaseRevision,
    CaseStatus,
    CaseVersion,
    Organization,
    Term,
    Vocabulary,
)
from territories.models import Territory, TerritoryKind
from tests import factories

MODERATORS = "Modérateurs"


@pytest.fixture
def moderator(moderator):
    """Staff without superuser rights: what the "Modérateurs" group gives them."""
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    return moderator


@pytest.fixture
def case(db):
    return factories.CaseFactory(title="Alliance des Hauts-de-France pour l'insertion")


class BrowserForm(HTMLParser):
    """The fields of a page's form as a browser would send them back unchanged."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data = []
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.data.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            self.data.append((name, text.removeprefix("\n")))
            self.textarea = None


def resubmitted(response, form_id, **changes):
    """The POST data of the form in `response`, with `changes` made by the user."""
    parser = BrowserForm(form_id)
    parser.feed(response.content.decode())
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return data


def autocomplete(client, term, model_name="organization", field_name="seat"):
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": "registry", "model_name": model_name,
         "field_name": field_name},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


# --- Who gets in ----------------------------------------------------------


@pytest.mark.parametrize(
    "url_name", ["admin:index", "admin:registry_case_changelist", "admin:registry_case_add"]
)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, case, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_contributors_are_sent_to_the_admin_login_and_never_see_the_data(
    contributor_client, other_contributor, case
):
    for url in (
        reverse("admin:registry_case_changelist"),
        reverse("admin:registry_case_change", args=[case.pk]),
        reverse("admin:accounts_user_changelist"),
    ):
        response = contributor_client.get(url, follow=True)

        assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
        assert case.title not in response.content.decode()
        assert other_contributor.email not in response.content.decode()


def test_contributors_get_no_territory_autocomplete(contributor_client):
    response = contributor_client.get(
        reverse("admin:autocomplete"),
        {"term": "lille", "app_label": "registry", "model_name": "organization",
         "field_name": "seat"},
    )

    assert response.status_code == 302


def test_the_admin_is_titled_in_french(moderator_client):
    response = moderator_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Registre des alliances territoriales — administration" in response.content.decode()


# --- Every page a moderator uses ------------------------------------------


@pytest.fixture
def admin_urls(case, contributor, moderator):
    organization = case.roster.first().organization
    theme = Term.objects.of("theme").first()
    vocabulary = Vocabulary.objects.get(code="theme")
    lille = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59350")
    entry = case.log(Action.EDIT, by=moderator, message="Relecture")
    version = case.record_version(Action.PUBLISH, by=moderator)
    revision = CaseRevision.objects.create(
        case=case, data=case.snapshot(), base_version=case.version, author=contributor
    )
    urls = [reverse("admin:index")]
    for app, model, obj in [
        ("registry", "case", case),
        ("registry", "organization", organization),
        ("registry", "term", theme),
        ("registry", "vocabulary", vocabulary),
        ("registry", "auditlog", entry),
        ("registry", "caseversion", version),
        ("registry", "caserevision", revision),
        ("territories", "territory", lille),
        ("accounts", "user", contributor),
    ]:
        urls.append(reverse(f"admin:{app}_{model}_changelist"))
        urls.append(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
    for app, model in [
        ("registry", "case"), ("registry", "organization"), ("registry", "term"),
        ("accounts", "user"),
    ]:
        urls.append(reverse(f"admin:{app}_{model}_add"))
    return urls


def test_every_admin_page_answers_a_moderator(moderator_client, admin_urls):
    for url in admin_urls:
        response = moderator_client.get(url)

        assert response.status_code == 200, url


def test_a_moderator_searches_every_list(moderator_client, case):
    for url in (
        reverse("admin:registry_case_changelist"),
        reverse("admin:registry_organization_changelist"),
        reverse("admin:registry_term_changelist"),
        reverse("admin:territories_territory_changelist"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:registry_auditlog_changelist"),
    ):
        response = moderator_client.get(url, {"q": "lille"})

        assert response.status_code == 200, url


def test_staff_without_the_moderators_group_see_nothing_to_manage(client, case):
    staff = factories.UserFactory(email="sans.groupe@example.org", is_staff=True)
    client.force_login(staff)

    assert client.get(reverse("admin:registry_case_changelist")).status_code == 403


# --- Territories: read only, found whatever the accents -------------------


def test_territories_cannot_be_added_edited_or_deleted(moderator_client):
    lille = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59350")

    assert moderator_client.get(reverse("admin:territories_territory_add")).status_code == 403
    change = moderator_client.get(reverse("admin:territories_territory_change", args=[lille.pk]))
    assert change.status_code == 200
    assert 'name="name"' not in change.content.decode()
    delete = reverse("admin:territories_territory_delete", args=[lille.pk])
    assert moderator_client.post(delete, {"post": "yes"}).status_code == 403
    assert Territory.objects.filter(pk=lille.pk, name="Lille").exists()


def test_the_territory_list_finds_a_name_typed_without_accents_or_a_code(moderator_client):
    url = reverse("admin:territories_territory_changelist")

    by_name = moderator_client.get(url, {"q": "saint etienne"})
    by_code = moderator_client.get(url, {"q": "42218"})

    assert "42218" in by_name.content.decode()
    assert [t.code for t in by_code.context["cl"].result_list] == ["42218"]


def test_the_territory_list_filters_by_region(moderator_client):
    hauts_de_france = Territory.objects.regions().get(code="32")

    response = moderator_client.get(
        reverse("admin:territories_territory_changelist"),
        {"region": hauts_de_france.pk, "kind__exact": TerritoryKind.DEPARTEMENT},
    )

    codes = {t.code for t in response.context["cl"].queryset}
    assert codes == {"02", "59", "60", "62", "80"}


def test_the_territory_autocomplete_finds_saint_etienne_without_accents(moderator_client):
    texts = autocomplete(moderator_client, "saint etienne")

    assert "Saint-Étienne (42)" in texts


def test_the_territory_autocomplete_tells_homonyms_apart(moderator_client):
    homonyms = Territory.objects.filter(kind=TerritoryKind.COMMUNE, name="Bagneux")
    assert homonyms.count() >= 2

    texts = autocomplete(moderator_client, "bagneux")

    expected = {f"Bagneux ({commune.departement_code})" for commune in homonyms}
    assert len(expected) == homonyms.count()
    assert expected <= set(texts)


def test_the_territory_autocomplete_names_the_level_above_communes(moderator_client):
    texts = autocomplete(moderator_client, "guyane")

    assert "Guyane — Région" in texts
    assert "Guyane (973) — Département" in texts


def test_a_chosen_seat_is_shown_with_its_departement(moderator_client):
    organization = factories.OrganizationFactory(
        seat=Territory.objects.get(kind=TerritoryKind.COMMUNE, code="42218")
    )

    response = moderator_client.get(
        reverse("admin:registry_organization_change", args=[organization.pk])
    )

    assert "Saint-Étienne (42)" in response.content.decode()


# --- Vocabularies: codes never change, terms are retired ------------------


def test_a_term_code_cannot_be_edited(moderator_client):
    theme = Term.objects.of("theme").get(code="emploi_insertion")
    url = reverse("admin:registry_term_change", args=[theme.pk])
    page = moderator_client.get(url)
    assert 'name="code"' not in page.content.decode()
    assert "emploi_insertion" in page.content.decode()

    response = moderator_client.post(
        url, resubmitted(page, "term_form", code="code-pirate", label_fr="Emploi et insertion")
    )

    assert response.status_code == 302
    theme.refresh_from_db()
    assert theme.code == "emploi_insertion"
    assert theme.label_fr == "Emploi et insertion"


def test_terms_are_retired_and_restored_never_deleted(moderator_client):
    theme = Term.objects.of("theme").get(code="securite")
    url = reverse("admin:registry_term_changelist")

    moderator_client.post(url, {"action": "retire_terms", "_selected_action": [theme.pk]})
    theme.refresh_from_db()
    assert theme.is_active is False

    moderator_client.post(url, {"action": "restore_terms", "_selected_action": [theme.pk]})
    theme.refresh_from_db()
    assert theme.is_active is True

    delete = reverse("admin:registry_term_delete", args=[theme.pk])
    assert moderator_client.post(delete, {"post": "yes"}).status_code == 403


# --- Organisations: identifiers as printed --------------------------------


def organization_form(**identifiers):
    return {
        "name": "Renault",
        "actor_type": factories.term("actor_type", "entreprise").pk,
        "siren": "",
        "siret": "",
        "rna": "",
        "_save": "Enregistrer",
        **identifiers,
    }


def test_a_siren_typed_with_spaces_is_stored_normalised(moderator_client):
    response = moderator_client.post(
        reverse("admin:registry_organization_add"),
        organization_form(siren="552 100 554", siret="552 100 554 00013"),
    )

    assert response.status_code == 302
    organization = Organization.objects.get(name="Renault")
    assert organization.siren == "552100554"
    assert organization.siret == "55210055400013"
    assert organization.rna is None
    assert organization.slug == "renault"


def test_an_invalid_siren_is_refused_on_its_field(moderator_client):
    response = moderator_client.post(
        reverse("admin:registry_organization_add"), organization_form(siren="552 100 555")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "clé de contrôle" in errors["siren"][0]
    assert not Organization.objects.filter(name="Renault").exists()


def test_an_rna_is_refused_for_a_company_on_its_field(moderator_client):
    response = moderator_client.post(
        reverse("admin:registry_organization_add"), organization_form(rna="W751234567")
    )

    assert response.status_code == 200
    assert "rna" in response.context["adminform"].form.errors


def test_the_organisation_search_finds_a_siren_typed_with_spaces(moderator_client):
    factories.OrganizationFactory(name="Renault", siren="552100554")

    response = moderator_client.get(
        reverse("admin:registry_organization_changelist"), {"q": "552 100 554"}
    )

    assert [o.name for o in response.context["cl"].result_list] == ["Renault"]


# --- Cases ----------------------------------------------------------------


def test_saving_a_case_refreshes_its_search_documents_and_logs_who(
    moderator_client, moderator, case
):
    url = reverse("admin:registry_case_change", args=[case.pk])
    page = moderator_client.get(url)

    response = moderator_client.post(
        url, resubmitted(page, "case_form", title="Jardins partagés de Roubaix")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.title == "Jardins partagés de Roubaix"
    assert "jardins partages de roubaix" in case.search_text
    assert case.version == 2
    entry = AuditLog.objects.filter(case=case).latest("id")
    assert entry.actor == moderator
    assert entry.action == Action.EDIT
    assert "title" in entry.data["fields"]


def test_a_partner_added_in_the_admin_counts_in_the_family_mix(moderator_client, case):
    company = factories.OrganizationFactory(actor_type=factories.term("actor_type", "entreprise"))
    role = factories.term("partner_role", "financeur")
    url = reverse("admin:registry_case_change", args=[case.pk])
    page = moderator_client.get(url)
    assert case.has_all_three_families is False

    data = resubmitted(
        page, "case_form",
        **{"roster-TOTAL_FORMS": "3", "roster-2-organization": str(company.pk),
           "roster-2-role": str(role.pk), "roster-2-contribution": "Mécénat",
           "roster-2-position": "2", "roster-2-case": str(case.pk)},
    )
    response = moderator_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.roster.count() == 3
    assert case.has_all_three_families is True


def test_publishing_a_case_in_the_admin_dates_it_and_keeps_a_version(moderator_client):
    draft = factories.CaseFactory(status=CaseStatus.SUBMITTED)
    url = reverse("admin:registry_case_change", args=[draft.pk])
    page = moderator_client.get(url)

    response = moderator_client.post(
        url, resubmitted(page, "case_form", status=CaseStatus.PUBLISHED)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.status == CaseStatus.PUBLISHED
    assert draft.published_at is not None
    assert CaseVersion.objects.filter(case=draft, action=Action.PUBLISH).exists()


def test_featuring_a_pioneer_needs_a_reason_and_records_who(moderator_client, moderator, case):
    url = reverse("admin:registry_case_change", args=[case.pk])
    page = moderator_client.get(url)

    refused = moderator_client.post(url, resubmitted(page, "case_form", is_pioneer="on"))
    assert "pioneer_reason" in refused.context["adminform"].form.errors

    accepted = moderator_client.post(
        url,
        resubmitted(
            page, "case_form", is_pioneer="on",
            pioneer_reason="Trois familles d'acteurs réunies depuis 2019.",
        ),
    )

    assert accepted.status_code == 302
    case.refresh_from_db()
    assert case.is_pioneer is True
    assert case.pioneer_by == moderator
    assert case.pioneer_at is not None
    assert AuditLog.objects.filter(case=case, action=Action.FEATURE).exists()


def test_the_case_slug_cannot_be_edited_once_created(moderator_client, case):
    page = moderator_client.get(reverse("admin:registry_case_change", args=[case.pk]))

    assert 'name="slug"' not in page.content.decode()


def test_the_case_form_offers_active_tags_and_keeps_retired_ones_already_there(
    moderator_client,
):
    kept = factories.term("theme", "logement")
    other = factories.term("theme", "mobilite")
    tagged = factories.CaseFactory(tags=[kept])
    Term.objects.filter(pk__in=[kept.pk, other.pk]).update(is_active=False)

    page = moderator_client.get(reverse("admin:registry_case_change", args=[tagged.pk]))

    offered = page.context["adminform"].form.fields["terms"].queryset
    assert kept in offered
    assert other not in offered
    assert factories.term("theme", "sante") in offered
    assert not offered.filter(vocabulary__code__in=["actor_type", "partner_role"]).exists()


def test_partner_roles_are_the_partner_role_terms(moderator_client):
    page = moderator_client.get(reverse("admin:registry_case_add"))

    roster = next(
        inline for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == "roster"
    )
    roles = roster.formset.empty_form.fields["role"].queryset
    assert {role.vocabulary.code for role in roles} == {"partner_role"}


def test_the_case_list_runs_the_same_queries_for_3_or_10_cases(moderator_client):
    url = reverse("admin:registry_case_changelist")

    def queries():
        moderator_client.get(url)  # caches warmed (session, content types)
        with CaptureQueriesContext(connection) as captured:
            response = moderator_client.get(url)
        assert response.status_code == 200
        return len(captured), len(response.context["cl"].result_list)

    factories.CaseFactory.create_batch(3)
    few, shown = queries()
    assert shown == 3
    factories.CaseFactory.create_batch(7)
    many, shown = queries()
    assert shown == 10

    assert few == many


def test_the_case_list_shows_the_first_territory_with_its_departement(moderator_client, case):
    response = moderator_client.get(reverse("admin:registry_case_changelist"))

    assert "Lille (59)" in response.content.decode()


# --- Accounts -------------------------------------------------------------


def test_an_account_is_added_from_an_email_and_a_password(moderator_client):
    response = moderator_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "nouvelle.personne@example.org",
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-57",
            "password2": "un-mot-de-passe-solide-57",
            "_save": "Enregistrer",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.personne@example.org")
    assert user.username == "nouvelle.personne@example.org"
    assert user.check_password("un-mot-de-passe-solide-57")
    assert user.is_staff is False


def test_an_account_cannot_be_added_twice_whatever_the_case(moderator_client, contributor):
    response = moderator_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Claire.Contributrice@example.org",
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-57",
            "password2": "un-mot-de-passe-solide-57",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors


def test_a_moderator_cannot_grant_staff_rights_even_to_themselves(
    moderator_client, moderator, contributor
):
    own = moderator_client.get(reverse("admin:accounts_user_change", args=[moderator.pk]))
    assert own.status_code == 200
    assert 'name="is_superuser"' not in own.content.decode()
    assert 'name="groups"' not in own.content.decode()

    url = reverse("admin:accounts_user_change", args=[contributor.pk])
    page = moderator_client.get(url)
    response = moderator_client.post(
        url, resubmitted(page, "user_form", is_staff="on", is_trusted="on")
    )

    assert response.status_code == 302
    contributor.refresh_from_db()
    assert contributor.is_trusted is True
    assert contributor.is_staff is False


def test_a_moderator_cannot_change_another_staff_account_or_its_password(
    moderator_client,
):
    superuser = factories.UserFactory(
        email="admin@example.org", is_staff=True, is_superuser=True
    )

    password = reverse("admin:auth_user_password_change", args=[superuser.pk])
    assert moderator_client.get(password).status_code == 403
    change = moderator_client.get(reverse("admin:accounts_user_change", args=[superuser.pk]))
    assert change.status_code == 200
    assert 'name="email"' not in change.content.decode()
