"""Who may see which case: the rule lives in `Case.objects.visible_to`."""

import pytest
from django.contrib.auth.models import AnonymousUser

from registry.models import Case, CaseStatus
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(contributor, other_contributor):
    return {
        "published": CaseFactory(owner=other_contributor, status=CaseStatus.PUBLISHED),
        "my_draft": CaseFactory(owner=contributor, status=CaseStatus.DRAFT),
        "my_rejected": CaseFactory(owner=contributor, status=CaseStatus.REJECTED),
        "their_draft": CaseFactory(owner=other_contributor, status=CaseStatus.DRAFT),
        "their_submitted": CaseFactory(owner=other_contributor, status=CaseStatus.SUBMITTED),
        "archived": CaseFactory(owner=other_contributor, status=CaseStatus.ARCHIVED),
    }


def visible(user, cases):
    ids = set(Case.objects.visible_to(user).values_list("pk", flat=True))
    return {name for name, case in cases.items() if case.pk in ids}


def test_a_visitor_sees_only_published_cases(cases):
    assert visible(AnonymousUser(), cases) == {"published"}
    assert visible(None, cases) == {"published"}


def test_a_contributor_sees_published_cases_and_all_of_their_own(cases, contributor):
    assert visible(contributor, cases) == {"published", "my_draft", "my_rejected"}


def test_another_contributor_never_sees_someone_elses_drafts(cases, other_contributor):
    assert visible(other_contributor, cases) == {
        "published", "their_draft", "their_submitted", "archived"
    }


def test_a_moderator_sees_every_case(cases, moderator):
    assert visible(moderator, cases) == set(cases)


def test_a_deactivated_account_sees_only_published_cases(cases, contributor):
    contributor.is_active = False
    assert visible(contributor, cases) == {"published"}


def test_only_the_owner_and_staff_may_edit(cases, contributor, other_contributor, moderator):
    mine = set(Case.objects.editable_by(contributor))
    assert cases["my_draft"] in mine and cases["published"] not in mine
    assert set(Case.objects.editable_by(moderator)) == set(cases.values())
    assert not Case.objects.editable_by(AnonymousUser()).exists()


def test_published_excludes_every_other_status(cases):
    assert set(Case.objects.published()) == {cases["published"]}
