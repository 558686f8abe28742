"""The review workflow: every transition, allowed and refused, and what it records."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registry.models import (
    TRANSITIONS,
    Action,
    AuditLog,
    Case,
    CaseStatus,
    TransitionNotAllowed,
)
from tests.factories import CaseFactory, UserFactory, term

pytestmark = pytest.mark.django_db

ALL = set(CaseStatus.values)


def a_case(owner, status):
    return CaseFactory(owner=owner, status=status, tags=[term("theme", "sante")])


def act(case, action, user):
    if action in (Action.REQUEST_CHANGES, Action.REJECT):
        return getattr(case, action)(by=user, reason="incomplete", message="À compléter.")
    return getattr(case, action)(by=user)


ALLOWED = [
    (Action.SUBMIT, "draft", "submitted", "owner"),
    (Action.SUBMIT, "changes_requested", "submitted", "owner"),
    (Action.WITHDRAW, "submitted", "draft", "owner"),
    (Action.PUBLISH, "submitted", "published", "staff"),
    (Action.REQUEST_CHANGES, "submitted", "changes_requested", "staff"),
    (Action.REJECT, "submitted", "rejected", "staff"),
    (Action.ARCHIVE, "published", "archived", "staff"),
    (Action.UNARCHIVE, "archived", "published", "staff"),
]


@pytest.mark.parametrize("action, source, target, who", ALLOWED)
def test_allowed_transitions_change_the_status_and_are_logged(
    action, source, target, who, contributor, moderator
):
    case = a_case(contributor, source)
    user = contributor if who == "owner" else moderator
    act(case, action, user)
    case.refresh_from_db()
    assert case.status == target
    entry = AuditLog.objects.get(case=case, action=action)
    assert (entry.actor, entry.from_status, entry.to_status) == (user, source, target)


# Who may make each transition from each status, written out by hand (not read
# from TRANSITIONS, so a transition added or removed there by mistake fails here).
# The owner is a contributor whose case it is; "other" is another contributor.
OK, NO = "allowed", "refused"
PERSONAS = ("owner", "other", "moderator")
# fmt: off
WHO_MAY = {
    #  status               action                     owner other moderator
    ("draft",             Action.SUBMIT):           (OK,  NO,   OK),
    ("draft",             Action.WITHDRAW):         (NO,  NO,   NO),
    ("draft",             Action.PUBLISH):          (NO,  NO,   NO),
    ("draft",             Action.REQUEST_CHANGES):  (NO,  NO,   NO),
    ("draft",             Action.REJECT):           (NO,  NO,   NO),
    ("draft",             Action.ARCHIVE):          (NO,  NO,   NO),
    ("draft",             Action.UNARCHIVE):        (NO,  NO,   NO),

    ("submitted",         Action.SUBMIT):           (NO,  NO,   NO),
    ("submitted",         Action.WITHDRAW):         (OK,  NO,   OK),
    ("submitted",         Action.PUBLISH):          (NO,  NO,   OK),
    ("submitted",         Action.REQUEST_CHANGES):  (NO,  NO,   OK),
    ("submitted",         Action.REJECT):           (NO,  NO,   OK),
    ("submitted",         Action.ARCHIVE):          (NO,  NO,   NO),
    ("submitted",         Action.UNARCHIVE):        (NO,  NO,   NO),

    ("changes_requested", Action.SUBMIT):           (OK,  NO,   OK),
    ("changes_requested", Action.WITHDRAW):         (NO,  NO,   NO),
    ("changes_requested", Action.PUBLISH):          (NO,  NO,   NO),
    ("changes_requested", Action.REQUEST_CHANGES):  (NO,  NO,   NO),
    ("changes_requested", Action.REJECT):           (NO,  NO,   NO),
    ("changes_requested", Action.ARCHIVE):          (NO,  NO,   NO),
    ("changes_requested", Action.UNARCHIVE):        (NO,  NO,   NO),

    ("published",         Action.SUBMIT):           (NO,  NO,   NO),
    ("published",         Action.WITHDRAW):         (NO,  NO,   NO),
    ("published",         Action.PUBLISH):          (NO,  NO,   NO),
    ("published",         Action.REQUEST_CHANGES):  (NO,  NO,   NO),
    ("published",         Action.REJECT):           (NO,  NO,   NO),
    ("published",         Action.ARCHIVE):          (NO,  NO,   OK),
    ("published",         Action.UNARCHIVE):        (NO,  NO,   NO),

    ("rejected",          Action.SUBMIT):           (NO,  NO,   NO),
    ("rejected",          Action.WITHDRAW):         (NO,  NO,   NO),
    ("rejected",          Action.PUBLISH):          (NO,  NO,   NO),
    ("rejected",          Action.REQUEST_CHANGES):  (NO,  NO,   NO),
    ("rejected",          Action.REJECT):           (NO,  NO,   NO),
    ("rejected",          Action.ARCHIVE):          (NO,  NO,   NO),
    ("rejected",          Action.UNARCHIVE):        (NO,  NO,   NO),

    ("archived",          Action.SUBMIT):           (NO,  NO,   NO),
    ("archived",          Action.WITHDRAW):         (NO,  NO,   NO),
    ("archived",          Action.PUBLISH):          (NO,  NO,   NO),
    ("archived",          Action.REQUEST_CHANGES):  (NO,  NO,   NO),
    ("archived",          Action.REJECT):           (NO,  NO,   NO),
    ("archived",          Action.ARCHIVE):          (NO,  NO,   NO),
    ("archived",          Action.UNARCHIVE):        (NO,  NO,   OK),
}
# Where an allowed transition leads.
LEADS_TO = {
    Action.SUBMIT: "submitted",
    Action.WITHDRAW: "draft",
    Action.PUBLISH: "published",
    Action.REQUEST_CHANGES: "changes_requested",
    Action.REJECT: "rejected",
    Action.ARCHIVE: "archived",
    Action.UNARCHIVE: "published",
}
# fmt: on
WORKFLOW_ACTIONS = list(LEADS_TO)


def test_the_table_covers_every_status_action_and_persona():
    assert set(WHO_MAY) == {(s, a) for s in ALL for a in WORKFLOW_ACTIONS}
    assert set(TRANSITIONS) == set(WORKFLOW_ACTIONS)
    assert all(len(answers) == len(PERSONAS) for answers in WHO_MAY.values())


@pytest.fixture
def personas(contributor, other_contributor, moderator):
    return {"owner": contributor, "other": other_contributor, "moderator": moderator}


@pytest.mark.parametrize(
    "status, action, persona, expected",
    [
        (status, action, persona, answers[i])
        for (status, action), answers in WHO_MAY.items()
        for i, persona in enumerate(PERSONAS)
    ],
)
def test_each_transition_is_allowed_or_refused_as_the_table_says(
    status, action, persona, expected, personas
):
    user = personas[persona]
    case = a_case(personas["owner"], status)
    if expected == OK:
        act(case, action, user)
        case = Case.objects.get(pk=case.pk)
        assert case.status == LEADS_TO[action]
        entry = AuditLog.objects.get(case=case, action=action)
        assert (entry.actor, entry.from_status) == (user, status)
    else:
        with pytest.raises((PermissionDenied, TransitionNotAllowed)):
            act(case, action, user)
        assert Case.objects.get(pk=case.pk).status == status
        assert not AuditLog.objects.filter(case=case).exists()
        assert not case.versions.exists()


@pytest.mark.parametrize("status", sorted(ALL))
@pytest.mark.parametrize("persona", PERSONAS)
def test_allowed_actions_are_what_the_table_allows(status, persona, personas):
    case = a_case(personas["owner"], status)
    expected = {
        action
        for (source, action), answers in WHO_MAY.items()
        if source == status and answers[PERSONAS.index(persona)] == OK
    }
    assert set(case.allowed_actions(personas[persona])) == expected


@pytest.mark.parametrize("action", [Action.PUBLISH, Action.REQUEST_CHANGES, Action.REJECT])
def test_a_contributor_cannot_moderate_even_their_own_case(action, contributor):
    case = a_case(contributor, "submitted")
    with pytest.raises(PermissionDenied):
        act(case, action, contributor)
    assert Case.objects.get(pk=case.pk).status == "submitted"


def test_another_contributor_cannot_submit_or_withdraw_my_case(contributor, other_contributor):
    draft = a_case(contributor, "draft")
    with pytest.raises(PermissionDenied):
        draft.submit(by=other_contributor)
    submitted = a_case(contributor, "submitted")
    with pytest.raises(PermissionDenied):
        submitted.withdraw(by=other_contributor)


def test_a_case_with_one_partner_cannot_be_submitted_and_says_why(contributor):
    case = CaseFactory(
        owner=contributor, status="draft", partners=[], tags=[term("theme", "sante")]
    )
    with pytest.raises(TransitionNotAllowed) as error:
        case.submit(by=contributor)
    assert "deux partenaires" in " ".join(str(m) for m in error.value.messages)
    assert Case.objects.get(pk=case.pk).status == "draft"


def test_a_case_without_a_theme_cannot_be_submitted(contributor):
    case = CaseFactory(owner=contributor, status="draft")
    with pytest.raises(TransitionNotAllowed) as error:
        case.submit(by=contributor)
    assert "thème" in " ".join(str(m) for m in error.value.messages)


def test_a_trusted_contributor_publishes_directly_and_it_is_recorded(contributor):
    contributor.is_trusted = True
    contributor.save()
    case = a_case(contributor, "draft")
    case.submit(by=contributor)
    case.refresh_from_db()
    assert case.status == "published" and case.published_at is not None
    actions = list(
        AuditLog.objects.filter(case=case).order_by("id").values_list("action", flat=True)
    )
    assert actions == [Action.SUBMIT, Action.PUBLISH]


def test_request_changes_needs_a_reason_from_the_list_and_a_message(contributor, moderator):
    case = a_case(contributor, "submitted")
    with pytest.raises(ValidationError) as error:
        case.request_changes(by=moderator, reason="whatever", message="")
    assert set(error.value.message_dict) == {"reason", "message"}
    assert Case.objects.get(pk=case.pk).status == "submitted"


def test_submission_and_publication_keep_a_version_of_the_content(contributor, moderator):
    case = a_case(contributor, "draft")
    case.submit(by=contributor)
    case.publish(by=moderator)
    versions = list(case.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[-1].data["title"] == case.title
    assert ["theme", "sante"] in versions[-1].data["terms"]
    assert len(versions[-1].data["roster"]) == 2


def test_a_snapshot_applied_to_a_case_restores_its_content(contributor):
    case = a_case(contributor, "draft")
    before = case.snapshot()
    case.title = "Autre titre"
    case.save()
    case.terms.clear()
    case.roster.all().delete()
    case.apply_snapshot(before)
    case.refresh_from_db()
    assert case.snapshot() == before


def test_allowed_actions_tell_each_persona_what_they_may_do(
    contributor, other_contributor, moderator
):
    case = a_case(contributor, "submitted")
    assert case.allowed_actions(contributor) == [Action.WITHDRAW]
    assert case.allowed_actions(other_contributor) == []
    assert set(case.allowed_actions(moderator)) == {
        Action.WITHDRAW,
        Action.PUBLISH,
        Action.REQUEST_CHANGES,
        Action.REJECT,
    }
    assert case.allowed_actions(UserFactory(is_active=False)) == []
