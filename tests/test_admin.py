"""The staff's back office: who gets in, what a moderator may do there, and
that its pages stay usable (homonyms told apart, fixed query counts)."""

from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from registry.models import (
    Action,
    AuditLog,
    Case,
    CaseRevision,
    CaseStatus,
    CaseVersion,
    Organization,
    Report,
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


# --- The workflow in the admin: no way around it ------------------------------


CHANGELIST = "admin:registry_case_changelist"


def submitted_case(owner, **kwargs):
    return factories.CaseFactory(
        owner=owner,
        status=CaseStatus.SUBMITTED,
        tags=[factories.term("theme", "sante")],
        **kwargs,
    )


def published_case(owner, moderator, **kwargs):
    """Published by the workflow, so that its content is version 2 (after the submission)."""
    case = factories.CaseFactory(
        owner=owner, status=CaseStatus.DRAFT, tags=[factories.term("theme", "sante")], **kwargs
    )
    case.submit(by=owner)
    case.publish(by=moderator)
    return case


def run_action(client, action, cases, **form):
    """The case list's action menu, as a browser sends it; then its own page, if any."""
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "index": "0", "_selected_action": [c.pk for c in cases], **form},
        follow=True,
    )


def confirm_action(client, action, cases, **form):
    """The action's page of its own, filled in and sent."""
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "apply": "yes", "_selected_action": [c.pk for c in cases], **form},
        follow=True,
    )


def shown_messages(response):
    return [str(message) for message in response.context["messages"]]


def test_the_status_and_pioneer_fields_cannot_be_edited_in_the_case_form(
    moderator_client, contributor
):
    case = submitted_case(contributor)

    page = moderator_client.get(reverse("admin:registry_case_change", args=[case.pk]))

    html = page.content.decode()
    for name in ("status", "is_pioneer", "pioneer_criteria", "pioneer_reason",
                 "pioneer_review_on", "published_at"):
        assert f'name="{name}"' not in html, name
    assert "Soumise" in html


def test_posting_published_in_the_case_form_leaves_the_case_submitted(
    moderator_client, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)
    url = reverse("admin:registry_case_change", args=[case.pk])
    page = moderator_client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            url,
            resubmitted(
                page, "case_form", status=CaseStatus.PUBLISHED, is_pioneer="on",
                pioneer_reason="Mise en avant par la bande.",
            ),
        )

    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.published_at is None
    assert case.is_pioneer is False
    assert not CaseVersion.objects.filter(case=case, action=Action.PUBLISH).exists()
    assert not mailoutbox
    assert visitor_sees(case) == 404


def visitor_sees(case):
    return Client().get(case.get_absolute_url()).status_code


def test_a_case_added_in_the_admin_is_a_draft_of_the_staff_member(moderator_client, moderator):
    response = moderator_client.post(
        reverse("admin:registry_case_add"),
        {
            "title": "Cas vide publié depuis l'admin",
            "slug": "cas-vide-publie-depuis-l-admin",
            "summary": "Sans territoire, partenaire ni thème.",
            "status": CaseStatus.PUBLISHED,
            "published_at_0": "01/12/2026",
            "published_at_1": "10:00:00",
            "is_pioneer": "on",
            **empty_inlines(),
            "_save": "Enregistrer",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get(slug="cas-vide-publie-depuis-l-admin")
    assert case.status == CaseStatus.DRAFT
    assert case.owner == moderator
    assert case.published_at is None and case.is_pioneer is False
    assert visitor_sees(case) == 404
    assert AuditLog.objects.filter(case=case, action=Action.CREATE, actor=moderator).exists()


def test_the_empty_case_added_in_the_admin_cannot_then_be_published(
    moderator_client, moderator
):
    case = factories.CaseFactory(status=CaseStatus.DRAFT, owner=moderator, places=[],
                                 partners=[])

    response = run_action(moderator_client, "publish", [case])

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    assert any(
        "Impossible de passer de «\u00a0Brouillon\u00a0» à «\u00a0Publiée\u00a0»" in message
        for message in shown_messages(response)
    )


def test_a_case_added_for_a_contributor_is_their_draft(moderator_client, contributor):
    response = moderator_client.post(
        reverse("admin:registry_case_add"),
        {
            "title": "Recyclerie du Pays de Redon",
            "slug": "recyclerie-du-pays-de-redon",
            "summary": "Une recyclerie portée par trois partenaires.",
            "owner": contributor.pk,
            **empty_inlines(),
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get(slug="recyclerie-du-pays-de-redon")
    assert (case.owner, case.status) == (contributor, CaseStatus.DRAFT)


def empty_inlines():
    data = {}
    for prefix in ("roster", "case_territories", "sources", "audit_entries"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_the_publish_action_emails_the_owner_logs_and_keeps_a_version(
    moderator_client, moderator, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor, title="Atelier vélo solidaire de Redon")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(moderator_client, "publish", [case])

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED and case.published_at is not None
    assert visitor_sees(case) == 200
    entry = AuditLog.objects.filter(case=case, action=Action.PUBLISH).get()
    assert (entry.actor, entry.from_status) == (moderator, CaseStatus.SUBMITTED)
    version = CaseVersion.objects.filter(case=case, action=Action.PUBLISH).get()
    assert version.data["title"] == "Atelier vélo solidaire de Redon"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [contributor.email]
    assert "publiée" in mailoutbox[0].subject
    assert "1 expérience publiée, son auteur prévenu." in shown_messages(response)


def test_an_action_the_workflow_refuses_is_an_error_message_and_the_others_go_on(
    moderator_client, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    draft = factories.CaseFactory(owner=contributor, status=CaseStatus.DRAFT, title="Brouillon")
    ready = submitted_case(contributor)

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(moderator_client, "publish", [draft, ready])

    assert response.status_code == 200
    draft.refresh_from_db()
    ready.refresh_from_db()
    assert (draft.status, ready.status) == (CaseStatus.DRAFT, CaseStatus.PUBLISHED)
    errors = [m for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and "Brouillon" in str(errors[0])
    assert len(mailoutbox) == 1


def test_requesting_changes_asks_for_a_reason_and_a_message_first(
    moderator_client, moderator, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)

    page = run_action(moderator_client, "request_changes", [case])

    assert page.status_code == 200
    assert page.templates[0].name == "admin/registry/case/action_form.html"
    html = page.content.decode()
    assert escape(case.title) in html and 'name="reason"' in html and 'name="message"' in html
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED

    refused = confirm_action(moderator_client, "request_changes", [case], reason="partners")

    assert "message" in refused.context["form"].errors
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and not mailoutbox

    with django_capture_on_commit_callbacks(execute=True):
        done = confirm_action(
            moderator_client, "request_changes", [case], reason="partners",
            message="Ajoutez l'entreprise.\r\nEt son apport.",
        )

    assert done.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.CHANGES_REQUESTED
    entry = AuditLog.objects.get(case=case, action=Action.REQUEST_CHANGES)
    assert (entry.actor, entry.reason) == (moderator, "partners")
    assert entry.message == "Ajoutez l'entreprise.\nEt son apport."
    assert len(mailoutbox) == 1
    assert "Ajoutez l'entreprise." in mailoutbox[0].body
    assert "Partenaires à compléter" in mailoutbox[0].body


def test_rejecting_asks_for_a_reason_and_emails_it(
    moderator_client, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)

    refused = confirm_action(moderator_client, "reject", [case], reason="")
    assert "reason" in refused.context["form"].errors

    with django_capture_on_commit_callbacks(execute=True):
        confirm_action(moderator_client, "reject", [case], reason="off_topic")

    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert AuditLog.objects.get(case=case, action=Action.REJECT).reason == "off_topic"
    assert "Hors du champ du registre" in mailoutbox[0].body


def test_archiving_takes_a_case_offline_and_tells_its_owner(
    moderator_client, moderator, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = published_case(contributor, moderator)

    with django_capture_on_commit_callbacks(execute=True):
        run_action(moderator_client, "archive", [case])

    case.refresh_from_db()
    assert case.status == CaseStatus.ARCHIVED
    assert visitor_sees(case) == 404
    assert "archivée" in mailoutbox[0].subject

    run_action(moderator_client, "unarchive", [case])

    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED
    assert case.versions.order_by("-number").first().action == Action.UNARCHIVE


def test_featuring_a_pioneer_needs_criteria_and_a_reason_and_records_who(
    moderator_client, moderator, case
):
    criterion = Term.objects.of("pioneer_criterion").active().first()

    page = run_action(moderator_client, "feature", [case])
    assert 'name="criteria"' in page.content.decode()
    refused = confirm_action(moderator_client, "feature", [case], criteria=[criterion.pk])
    assert "reason" in refused.context["form"].errors
    case.refresh_from_db()
    assert case.is_pioneer is False

    confirm_action(
        moderator_client, "feature", [case], criteria=[criterion.pk],
        reason="Trois familles d'acteurs réunies depuis 2019.",
    )

    case.refresh_from_db()
    assert case.is_pioneer is True
    assert (case.pioneer_by, case.pioneer_reason) == (
        moderator, "Trois familles d'acteurs réunies depuis 2019."
    )
    assert list(case.pioneer_criteria.all()) == [criterion]
    assert AuditLog.objects.filter(case=case, action=Action.FEATURE).exists()

    run_action(moderator_client, "unfeature", [case])

    case.refresh_from_db()
    assert case.is_pioneer is False
    assert AuditLog.objects.filter(case=case, action=Action.UNFEATURE, actor=moderator).exists()


def test_only_a_published_case_is_featured(moderator_client, contributor):
    case = submitted_case(contributor)
    criterion = Term.objects.of("pioneer_criterion").active().first()

    response = confirm_action(
        moderator_client, "feature", [case], criteria=[criterion.pk], reason="Exemplaire."
    )

    case.refresh_from_db()
    assert case.is_pioneer is False
    assert any("Seule une expérience publiée" in m for m in shown_messages(response))


def test_contributors_cannot_run_the_case_actions(contributor_client, contributor):
    case = submitted_case(contributor)

    response = contributor_client.post(
        reverse(CHANGELIST), {"action": "publish", "index": "0", "_selected_action": [case.pk]}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def edit_in_the_admin(client, case, **changes):
    url = reverse("admin:registry_case_change", args=[case.pk])
    page = client.get(url)
    data = resubmitted(page, "case_form", **changes)
    # A browser sends every textarea's line breaks as CRLF.
    for name in ("summary", "description", "context", "actions", "results", "lessons"):
        data[name] = [value.replace("\r\n", "\n").replace("\n", "\r\n") for value in data[name]]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    return case


def test_an_admin_edit_of_a_published_case_is_a_version_a_restore_keeps(
    moderator_client, moderator, contributor
):
    case = published_case(
        contributor, moderator, results="Quarante vélos réparés par mois."
    )
    before = case.versions.order_by("-number").first()

    edit_in_the_admin(moderator_client, case, results="Deux cents vélos réparés par mois.")

    assert case.results == "Deux cents vélos réparés par mois."
    edit = case.versions.order_by("-number").first()
    assert (edit.number, edit.action, edit.created_by) == (before.number + 1, Action.EDIT,
                                                          moderator)
    assert edit.data["results"] == "Deux cents vélos réparés par mois."

    response = moderator_client.post(
        reverse("case_restore", args=[case.pk, before.number]), {"reason": "Erreur de saisie."}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.results == "Quarante vélos réparés par mois."
    history = moderator_client.get(reverse("case_history", args=[case.pk])).content.decode()
    assert "Deux cents vélos réparés par mois." in history
    assert list(case.versions.order_by("number").values_list("action", flat=True)) == [
        Action.SUBMIT, Action.PUBLISH, Action.EDIT, Action.RESTORE
    ]


def test_an_admin_edit_keeps_first_what_was_online_when_no_version_held_it(
    moderator_client, moderator, case
):
    # Published before versions were kept (imported, or edited in the admin back then).
    Case.objects.filter(pk=case.pk).update(results="Résultats d'avant.")
    assert not case.versions.exists()

    edit_in_the_admin(moderator_client, case, results="Résultats corrigés.")

    older, newer = case.versions.order_by("number")
    assert older.data["results"] == "Résultats d'avant." and older.created_by is None
    assert newer.data["results"] == "Résultats corrigés." and newer.created_by == moderator
    moderator_client.post(
        reverse("case_restore", args=[case.pk, older.number]), {"reason": "Erreur de saisie."}
    )
    case.refresh_from_db()
    assert case.results == "Résultats d'avant."


def test_an_admin_edit_of_a_draft_keeps_no_version(moderator_client, contributor):
    case = factories.CaseFactory(owner=contributor, status=CaseStatus.DRAFT)

    edit_in_the_admin(moderator_client, case, results="Premiers résultats.")

    assert case.results == "Premiers résultats."
    assert not case.versions.exists()


def test_text_typed_in_the_admin_is_saved_with_newlines_only(moderator_client, case):
    url = reverse("admin:registry_case_change", args=[case.pk])
    page = moderator_client.get(url)

    response = moderator_client.post(
        url,
        resubmitted(
            page, "case_form",
            summary="Un résumé\r\nsur deux lignes.",
            description="Premier paragraphe.\r\n\r\nDeuxième.\rTroisième, d'un vieux Mac.",
            **{"roster-0-contribution": "Locaux\r\net bénévoles"},
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.summary == "Un résumé\nsur deux lignes."
    assert case.description == "Premier paragraphe.\n\nDeuxième.\nTroisième, d'un vieux Mac."
    assert case.roster.first().contribution == "Locaux\net bénévoles"


def test_a_revision_reviewed_after_an_admin_edit_shows_only_what_changed(
    moderator_client, moderator, contributor
):
    case = published_case(contributor, moderator, title="Atelier vélo de Redon")
    edit_in_the_admin(
        moderator_client, case, results="Premier paragraphe.\n\nSecond paragraphe."
    )
    assert "\r" not in case.results + case.summary

    # The contributor's proposal, as the API sends it (JSON, "\n"): a new title only.
    revision = case.propose_revision(
        {**case.snapshot(), "title": "Atelier vélo solidaire de Redon",
         "results": "Premier paragraphe.\n\nSecond paragraphe."},
        by=contributor,
    )
    revision.submit(by=contributor)
    review = moderator_client.get(reverse("moderation_review", args=[case.pk]))

    assert [change["field"] for change in review.context["changes"]] == ["title"]


# --- Reports ---------------------------------------------------------------


@pytest.fixture
def report_moderator(moderator):
    """A moderator whose group `make_moderator` brought up to date (reports included)."""
    call_command("make_moderator", moderator.email, stdout=StringIO())
    return moderator


@pytest.fixture
def report(case):
    return Report.objects.create(
        case=case, reason="outdated", message="Le service a fermé en 2024.",
        reporter_email="lea.lectrice@example.org",
    )


def test_reports_are_listed_with_the_reporters_contact(client, report_moderator, report):
    client.force_login(report_moderator)

    response = client.get(reverse("admin:registry_report_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="mailto:lea.lectrice@example.org"' in html
    assert "Informations dépassées" in html and escape(report.case.title) in html
    assert "À traiter" in html


def test_a_report_is_read_only_and_marked_handled_by_its_action(
    client, report_moderator, report
):
    client.force_login(report_moderator)
    page = client.get(reverse("admin:registry_report_change", args=[report.pk]))
    assert page.status_code == 200
    assert "Le service a fermé en 2024." in page.content.decode()
    for name in ("status", "message", "reason", "reporter_email"):
        assert f'name="{name}"' not in page.content.decode()
    assert client.get(reverse("admin:registry_report_add")).status_code == 403

    client.post(
        reverse("admin:registry_report_changelist"),
        {"action": "mark_resolved", "index": "0", "_selected_action": [report.pk]},
    )

    report.refresh_from_db()
    assert report.status == "resolved"
    assert report.resolved_by == report_moderator and report.resolved_at is not None
    assert AuditLog.objects.filter(
        case=report.case, action=Action.RESOLVE_REPORT, actor=report_moderator
    ).exists()


def test_contributors_never_see_the_reports(contributor_client, report):
    response = contributor_client.get(reverse("admin:registry_report_changelist"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert "lea.lectrice@example.org" not in response.content.decode()


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
