"""A thread of messages on each case between its owner and the moderators: the
decisions staff explained and the messages, in time order, on the review page,
in the editor and on the owner's view of the case page; written by POST only,
by them alone (a 404 to anyone else), rate limited, never by a blocked account;
the other side is e-mailed; the dashboard says « Nouveau message » while the
last word is the moderators'."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import Action, AuditLog, CaseMessage, CaseStatus
from registry.models.report import block_account
from tests.conftest import own_client
from tests.factories import CaseFactory, UserFactory, term

pytestmark = pytest.mark.django_db


def submitted_case(owner, **kwargs):
    case = CaseFactory(
        owner=owner,
        status=CaseStatus.DRAFT,
        title="Atelier vélo solidaire de Redon",
        tags=[term("theme", "emploi_insertion")],
        **kwargs,
    )
    case.submit(by=owner)
    return case


def post_message(client, case, body, where="fiche"):
    return client.post(reverse("case_message", args=[case.pk]), {"body": body, "retour": where})


def thread_of(page):
    """The text of the thread section of a page."""
    start = page.index('id="fil"')
    return page[start : page.index("</section>", start)]


def test_the_owner_writes_to_the_moderators_who_are_emailed(
    contributor, contributor_client, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_message(contributor_client, case, "Le SIREN du porteur est 243500741.")
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url() + "#fil"
    message = CaseMessage.objects.get(case=case)
    assert message.author == contributor and not message.from_staff
    entry = AuditLog.objects.get(case=case, action=Action.MESSAGE)
    assert entry.actor == contributor and entry.data == {"message": message.pk}
    (email,) = mailoutbox
    assert email.to == [moderator.email]
    assert "Le SIREN du porteur est 243500741." in email.body
    assert reverse("moderation_review", args=[case.pk]) + "#fil" in email.body


def test_the_moderator_handling_a_submission_hears_of_the_owners_message_alone(
    contributor, contributor_client, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    handler = UserFactory(email="henri.relecteur@example.org", is_staff=True)
    case = submitted_case(contributor)
    case.assign(by=handler)
    with django_capture_on_commit_callbacks(execute=True):
        post_message(contributor_client, case, "J'ai ajouté la commune.")
    (email,) = mailoutbox
    assert email.to == ["henri.relecteur@example.org"]


def test_the_moderator_answers_from_the_review_page_and_the_owner_is_emailed(
    contributor, moderator_client, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_message(moderator_client, case, "Merci, c'est noté.", where="relecture")
    assert response["Location"] == reverse("moderation_review", args=[case.pk]) + "#fil"
    (email,) = mailoutbox
    assert email.to == [contributor.email]
    assert "L'équipe de modération vous a écrit" in email.body
    assert case.get_absolute_url() + "#fil" in email.body


def test_the_thread_shows_decisions_and_messages_in_time_order_on_every_side(
    contributor, contributor_client, moderator, moderator_client
):
    case = submitted_case(contributor)
    case.request_changes(by=moderator, reason="partners", message="Ajoutez la commune de Redon.")
    post_message(contributor_client, case, "Laquelle : Redon ou Redon Agglomération ?")
    post_message(moderator_client, case, "Redon Agglomération, porteuse du projet.", "relecture")

    review = thread_of(
        moderator_client.get(reverse("moderation_review", args=[case.pk])).content.decode()
    )
    editor_page = contributor_client.get(reverse("case_edit", args=[case.pk]))
    editor = thread_of(editor_page.content.decode())
    detail = thread_of(contributor_client.get(case.get_absolute_url()).content.decode())
    for page in (review, editor, detail):
        first = page.index("Ajoutez la commune de Redon.")
        second = page.index("Laquelle : Redon ou Redon Agglomération ?")
        third = page.index("Redon Agglomération, porteuse du projet.")
        assert first < second < third
        assert "Demande de modifications" in page  # the decision, by its label
        assert "Partenaires à compléter ou corriger" in page
        assert f'action="/contribuer/{case.pk}/messages/"' in page
    assert 'name="retour" value="relecture"' in review
    assert 'name="retour" value="editeur"' in editor


def test_nobody_else_reads_or_writes_the_thread(contributor, other_client, visitor, moderator):
    case = CaseFactory(owner=contributor, tags=[term("theme", "sante")])  # published
    case.post_message("Un échange entre le contributeur et nous.", by=moderator)
    page = other_client.get(case.get_absolute_url()).content.decode()
    assert "Un échange entre le contributeur et nous." not in page
    assert 'id="fil"' not in page
    assert "Un échange" not in visitor.get(case.get_absolute_url()).content.decode()

    assert post_message(other_client, case, "Je m'invite.").status_code == 404
    draft = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    assert post_message(other_client, draft, "Je m'invite.").status_code == 404
    response = post_message(visitor, case, "Je m'invite.")
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    assert not CaseMessage.objects.exclude(author=moderator).exists()


def test_the_thread_is_written_by_post_only_with_a_csrf_token(contributor, contributor_client):
    case = submitted_case(contributor)
    url = reverse("case_message", args=[case.pk])
    assert contributor_client.get(url).status_code == 405
    strict = own_client(contributor)
    strict.handler.enforce_csrf_checks = True
    assert strict.post(url, {"body": "Sans jeton."}).status_code == 403
    assert not CaseMessage.objects.exists()


def test_an_empty_or_overlong_message_is_refused_and_nothing_is_kept(
    contributor, contributor_client
):
    case = submitted_case(contributor)
    response = post_message(contributor_client, case, "   ")
    assert response.status_code == 302
    page = contributor_client.get(response["Location"]).content.decode()
    assert "Écrivez votre message." in page
    post_message(contributor_client, case, "x" * 5001)
    assert not CaseMessage.objects.exists()
    assert not AuditLog.objects.filter(action=Action.MESSAGE).exists()


def test_a_blocked_account_posts_nothing(contributor, moderator):
    case = submitted_case(contributor)
    client = own_client(contributor)
    block_account(contributor, by=moderator, case=case)
    response = post_message(client, case, "Encore moi.")
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    contributor.refresh_from_db()
    with pytest.raises(PermissionDenied):
        case.post_message("Encore moi.", by=contributor)
    assert not CaseMessage.objects.exists()


def test_messages_are_rate_limited_per_account(contributor, contributor_client):
    case = submitted_case(contributor)
    for number in range(30):
        assert post_message(contributor_client, case, f"Message {number}").status_code == 302
    assert post_message(contributor_client, case, "Un de trop").status_code == 429
    assert CaseMessage.objects.count() == 30


def test_a_message_is_printed_as_text_never_as_markup(
    contributor, contributor_client, moderator_client
):
    case = submitted_case(contributor)
    post_message(contributor_client, case, '<script>alert("x")</script> <b>gras</b>')
    page = moderator_client.get(reverse("moderation_review", args=[case.pk])).content.decode()
    assert "<script>alert" not in page and "<b>gras</b>" not in page
    assert "&lt;b&gt;gras&lt;/b&gt;" in thread_of(page)


def test_the_dashboard_says_new_message_while_the_last_word_is_the_moderators(
    contributor, contributor_client, moderator, other_client
):
    case = submitted_case(contributor)
    dashboard = reverse("accounts:dashboard")
    assert "Nouveau message" not in contributor_client.get(dashboard).content.decode()
    case.post_message("Pouvez-vous préciser le rôle de la commune ?", by=moderator)
    page = contributor_client.get(dashboard).content.decode()
    assert "Nouveau message" in page
    assert case.get_absolute_url() + "#fil" in page
    assert "Nouveau message" not in other_client.get(dashboard).content.decode()
    case.post_message("Elle co-finance l'atelier.", by=contributor)
    assert "Nouveau message" not in contributor_client.get(dashboard).content.decode()
    # A decision staff explained is their word too.
    case.request_changes(by=moderator, reason="unclear", message="Précisez le budget.")
    assert "Nouveau message" in contributor_client.get(dashboard).content.decode()


def test_the_dashboard_asks_the_same_number_of_queries_for_one_or_many_cases(
    contributor, contributor_client, moderator
):
    dashboard = reverse("accounts:dashboard")
    first = submitted_case(contributor)
    first.post_message("Bonjour.", by=moderator)
    with CaptureQueriesContext(connection) as one:
        contributor_client.get(dashboard)
    for number in range(4):
        case = CaseFactory(owner=contributor, title=f"Publiée {number}")
        case.propose_revision(case.snapshot(), by=contributor).submit(by=contributor)
        case.post_message("Bonjour.", by=moderator)
    with CaptureQueriesContext(connection) as many:
        page = contributor_client.get(dashboard).content.decode()
    assert page.count("Modifications en attente de relecture") == 4
    assert len(many) == len(one)
