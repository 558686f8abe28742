"""Every write goes through a model method that keeps the case's index and the
whole-registry figures true: right after it, a word of the new content finds
the case, and the home page's cached figures are computed afresh. The editor,
the API and the admin write through the same methods."""

import html
import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from accounts.models import ApiToken
from registry.counting.bitmaps import forget
from registry.models import Action, Case, CaseStatus, Organization
from registry.models.case import ALL_THREE_FAMILIES, Family, has_all_three_families
from registry.models.workflow import VersionConflict
from registry.search.query import full_text
from tests.conftest import own_client
from tests.factories import CaseFactory, OrganizationFactory, term
from tests.test_admin import resubmitted

pytestmark = pytest.mark.django_db


def found(client, query):
    """Titles the search page shows for `query` (published cases)."""
    response = client.get("/experiences/", {"q": query})
    assert response.status_code == 200
    return {case.title for case in response.context["page"].object_list}


def indexed(query):
    """Ids of every case, whatever its state, whose search documents match `query`."""
    return set(full_text(Case.objects.all(), query).values_list("pk", flat=True))


def home_figures(client):
    return client.get("/").context["figures"]


@pytest.fixture
def stale_home(visitor):
    """The home page's figures cached, then a published case archived behind the
    cache's back (no write method, so no new registry version): the page keeps
    the old total until a write moves the version. Call it after the write.

    The counting bitmaps of the process are dropped with it: a write that moves
    the version with the cases it changed updates them for those cases only,
    and the one archived here is none of them."""
    hidden = CaseFactory(title="Alliance archivée en douce")
    total = home_figures(visitor)["total"]
    Case.objects.filter(pk=hidden.pk).update(status=CaseStatus.ARCHIVED)
    forget()
    assert home_figures(visitor)["total"] == total

    def check():
        assert home_figures(visitor)["total"] == Case.objects.published().count()

    return check


def content(**changes):
    """A complete snapshot (a territory, two partners, a theme) with `changes`."""
    template = CaseFactory(status=CaseStatus.DRAFT, tags=[term("theme", "sante")])
    return {**template.snapshot(), **changes}


def test_a_new_draft_is_indexed_at_once_and_found_once_published(
    contributor, moderator, visitor, stale_home
):
    snapshot = content(title="Recyclerie des Flandres", description="Une ressourcerie solidaire.")

    case = Case.objects.create_draft(owner=contributor, snapshot=snapshot)

    stale_home()
    assert indexed("ressourcerie") == {case.pk}
    assert case.audit_entries.get().action == Action.CREATE
    # Submitting and publishing change no content (nor the index): the words are there.
    case.submit(by=contributor)
    case.publish(by=moderator)
    assert found(visitor, "ressourcerie") == {"Recyclerie des Flandres"}


def test_a_rewritten_draft_is_found_by_its_new_words_and_no_longer_by_the_old(
    contributor, stale_home
):
    case = Case.objects.create_draft(
        owner=contributor, snapshot=content(title="Atelier vélo", description="Atelier vélo.")
    )

    case = case.replace_content(
        {**case.snapshot(), "title": "Conciergerie rurale", "description": "Conciergerie."},
        by=contributor,
        version=case.version,
    )

    stale_home()
    assert indexed("conciergerie") == {case.pk}
    assert indexed("atelier") == set()


def test_a_draft_saved_meanwhile_by_someone_else_is_a_version_conflict(contributor):
    case = Case.objects.create_draft(owner=contributor, snapshot=content(title="Atelier vélo"))
    read = case.version
    case = case.replace_content(case.snapshot(), by=contributor, version=read)

    with pytest.raises(VersionConflict) as conflict:
        case.replace_content({**case.snapshot(), "title": "Autre"}, by=contributor, version=read)

    assert conflict.value.current_version == case.version
    assert Case.objects.get(pk=case.pk).title == "Atelier vélo"


def test_another_contributor_cannot_write_a_draft_through_the_model(
    contributor, other_contributor
):
    case = Case.objects.create_draft(owner=contributor, snapshot=content(title="Atelier vélo"))

    with pytest.raises(Exception, match="ne pouvez pas"):
        case.replace_content(case.snapshot(), by=other_contributor)


def test_a_revision_changes_the_search_only_once_staff_publish_it(
    contributor, moderator, visitor, stale_home
):
    case = CaseFactory(owner=contributor, title="Tiers-lieu de Roubaix", description="Fablab.")
    proposed = {**case.snapshot(), "description": "Une menuiserie partagée."}

    revision = case.propose_revision(proposed, by=contributor)
    revision.submit(by=contributor)
    assert found(visitor, "menuiserie") == set()
    assert found(visitor, "fablab") == {"Tiers-lieu de Roubaix"}

    revision.publish(by=moderator)

    stale_home()
    assert found(visitor, "menuiserie") == {"Tiers-lieu de Roubaix"}
    assert found(visitor, "fablab") == set()


def test_a_revision_saved_meanwhile_is_a_version_conflict(contributor):
    case = CaseFactory(owner=contributor)
    revision = case.propose_revision(case.snapshot(), by=contributor)
    case.propose_revision(case.snapshot(), by=contributor, version=revision.lock_version)

    with pytest.raises(VersionConflict) as conflict:
        case.propose_revision(case.snapshot(), by=contributor, version=revision.lock_version)

    assert conflict.value.current_version == revision.lock_version + 1


def test_a_restored_version_is_found_by_its_words_again(
    contributor, moderator, visitor, stale_home
):
    case = CaseFactory(owner=contributor, title="Jardins de Wazemmes", description="Potager.")
    first = case.record_version(Action.PUBLISH, by=moderator)
    revision = case.propose_revision(
        {**case.snapshot(), "description": "Un verger."}, by=contributor
    )
    revision.submit(by=contributor)
    revision.publish(by=moderator)
    assert found(visitor, "verger") == {"Jardins de Wazemmes"}

    case.refresh_from_db()
    case.restore_version(first, by=moderator)

    stale_home()
    assert found(visitor, "potager") == {"Jardins de Wazemmes"}
    assert found(visitor, "verger") == set()


def test_featuring_and_unfeaturing_a_pioneer_moves_the_home_figures(moderator, visitor):
    case = CaseFactory()
    assert home_figures(visitor)["pioneers"] == 0

    case.feature(by=moderator, criteria=[term("pioneer_criterion", "duree")], reason="Exemplaire")
    assert home_figures(visitor)["pioneers"] == 1

    case.unfeature(by=moderator)
    assert home_figures(visitor)["pioneers"] == 0


def test_a_merged_duplicate_leaves_the_search_for_its_survivor(moderator, visitor, stale_home):
    duplicate = OrganizationFactory(name="Association Ferroviaire Doublon")
    survivor = OrganizationFactory(name="Amis du Rail Picard")
    case = CaseFactory(title="Ligne solidaire", partners=[duplicate, OrganizationFactory()])

    moved = Organization.objects.merge(survivor=survivor, duplicate=duplicate, by=moderator)

    assert moved == 1
    stale_home()
    assert found(visitor, "picard") == {case.title}
    assert found(visitor, "doublon") == set()
    assert survivor.audit_entries.get().action == Action.MERGE


def test_a_case_with_a_company_added_counts_among_those_with_all_three_families(
    moderator, visitor
):
    association = OrganizationFactory(actor_type=term("actor_type", "association"))
    town = OrganizationFactory(actor_type=term("actor_type", "commune"))
    case = CaseFactory(partners=[association, town])
    company = OrganizationFactory(name="Menuiseries Lefebvre")
    company.actor_type = term("actor_type", "entreprise")
    company.save()
    assert home_figures(visitor)["all_three"] == 0
    roster = case.snapshot()["roster"]
    roster.append({"organization": company.pk, "role": "partenaire", "contribution": ""})
    revision = case.propose_revision({**case.snapshot(), "roster": roster}, by=case.owner)
    revision.submit(by=case.owner)

    revision.publish(by=moderator)

    assert home_figures(visitor)["all_three"] == 1
    assert found(visitor, "lefebvre") == {case.title}


def test_the_three_families_are_read_from_the_mask_by_one_function():
    assert has_all_three_families(ALL_THREE_FAMILIES)
    assert has_all_three_families(ALL_THREE_FAMILIES | Family.OTHER)
    assert not has_all_three_families(Family.COLLECTIVITE | Family.ASSOCIATION | Family.OTHER)


# ---- Through the pages, the API and the admin --------------------------------------


def test_a_draft_written_in_the_editor_is_indexed(contributor_client, contributor):
    snapshot = content(title="Épicerie solidaire")
    data = {
        "case-title": "Épicerie solidaire",
        "case-summary": snapshot["summary"],
        "case-description": "Une coopérative alimentaire.",
        "case-version": "",
        "roster-TOTAL_FORMS": "0",
        "roster-INITIAL_FORMS": "0",
        "action": "save",
    }

    response = contributor_client.post(reverse("case_create"), data)

    assert response.status_code == 302
    case = Case.objects.get(owner=contributor, title="Épicerie solidaire")
    assert indexed("cooperative") == {case.pk}


def test_a_draft_written_through_the_api_is_indexed(contributor):
    _token, key = ApiToken.issue(user=contributor, name="script")
    api = own_client()
    headers = {"Authorization": f"Bearer {key}"}
    created = api.post(
        "/api/v1/me/cases/",
        json.dumps({"title": "Garage solidaire", "summary": "Réparer pour se déplacer."}),
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert indexed("garage") == {pk}

    changed = api.patch(
        f"/api/v1/me/cases/{pk}/",
        json.dumps({"description": "Une auto-école sociale."}),
        content_type="application/json",
        headers=headers,
    )

    assert changed.status_code == 200, changed.content
    assert pk in indexed("auto-ecole")


def test_partners_changed_in_the_admin_are_searched_by_their_names(moderator, visitor):
    moderator.groups.add(Group.objects.get(name="Modérateurs"))
    admin = own_client(moderator)
    case = CaseFactory(title="Maison de santé de Fourmies")
    newcomer = OrganizationFactory(name="Pharmacie Vandamme")
    role = term("partner_role", "financeur")
    url = reverse("admin:registry_case_change", args=[case.pk])
    page = admin.get(url)

    response = admin.post(
        url,
        resubmitted(
            page, "case_form",
            **{"roster-TOTAL_FORMS": "3", "roster-2-organization": str(newcomer.pk),
               "roster-2-role": str(role.pk), "roster-2-contribution": "",
               "roster-2-position": "2", "roster-2-case": str(case.pk)},
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert found(visitor, "vandamme") == {"Maison de santé de Fourmies"}


# ---- One rule each ------------------------------------------------------------------


def test_the_pioneer_page_asks_why_in_the_rules_words(moderator_client):
    case = CaseFactory()
    response = moderator_client.post(
        reverse("moderation_feature", args=[case.pk]),
        {"criteria": [term("pioneer_criterion", "duree").pk], "reason": "  "},
    )

    assert response.status_code == 200
    assert "Dites pourquoi cette expérience est mise en avant." in html.unescape(
        response.content.decode()
    )
    assert not Case.objects.get(pk=case.pk).is_pioneer


def test_the_decision_form_asks_for_a_reason_in_the_workflows_words(moderator_client):
    case = CaseFactory(status=CaseStatus.SUBMITTED)
    response = moderator_client.post(
        reverse("moderation_review", args=[case.pk]), {"decision": "reject", "reason": ""}
    )

    assert response.status_code == 400
    assert "Choisissez un motif dans la liste." in html.unescape(response.content.decode())
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("fr", ["Thèmes", "Pratiques du référentiel", "Types de partenariat",
                "Formes de co-construction", "Objectifs", "Axes d'impact",
                "Prismes des enjeux"]),
        ("en", ["Themes", "Référentiel practices", "Types of partnership",
                "Forms of co-construction", "Objectives", "Impact axes",
                "Lenses on the challenges"]),
    ],
)
def test_the_editor_heads_each_tag_vocabulary_in_the_visitors_language(
    contributor_client, language, headings
):
    with translation.override(language):
        url = reverse("case_create")
    page = html.unescape(contributor_client.get(url).content.decode())

    legends = [f"<legend>{heading}</legend>" for heading in headings]
    assert all(legend in page for legend in legends), [x for x in legends if x not in page]
    positions = [page.index(legend) for legend in legends]
    assert positions == sorted(positions)


def test_home_figures_counted_before_a_publication_commits_are_not_served_after(
    client, contributor, moderator, django_capture_on_commit_callbacks
):
    """Another request may count the registry while a publication's transaction is
    still open; what it caches then must not outlive the commit."""
    CaseFactory(status=CaseStatus.PUBLISHED)
    case = CaseFactory(owner=contributor, status=CaseStatus.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        case.publish(by=moderator)
        # As a request reading the committed state would: one case published.
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.SUBMITTED)
        assert "<strong>1</strong> expérience publiée" in client.get("/").content.decode()
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.PUBLISHED)
    assert "<strong>2</strong> expériences publiées" in client.get("/").content.decode()
