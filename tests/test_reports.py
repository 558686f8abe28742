"""Visitors report published cases; reports reach the moderation queue."""

import pytest
from django.test import Client
from django.urls import reverse

from registry.models import Action, AuditLog, CaseStatus, Report
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_visitor_reports_a_published_case_and_it_reaches_the_queue(moderator_client):
    case = CaseFactory(title="Alliance à vérifier")
    response = Client().post(
        reverse("case_report", args=[case.slug]),
        {"reason": "outdated", "message": "Le projet s'est arrêté en 2024."},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.case, report.reason, report.reporter) == (case, "outdated", None)
    assert AuditLog.objects.filter(case=case, action=Action.REPORT).exists()
    page = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert "Alliance à vérifier" in page and "arrêté en 2024" in page
    moderator_client.post(reverse("report_resolve", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == "resolved" and not Report.objects.open().exists()


def test_an_unpublished_case_cannot_be_reported(client, contributor):
    case = CaseFactory(status=CaseStatus.DRAFT, owner=contributor)
    assert client.get(reverse("case_report", args=[case.slug])).status_code == 404
    assert (
        client.post(reverse("case_report", args=[case.slug]), {"reason": "spam"}).status_code == 404
    )


def test_an_invalid_reason_is_a_form_error(client):
    case = CaseFactory()
    response = client.post(reverse("case_report", args=[case.slug]), {"reason": "ennui"})
    assert response.status_code == 400 and not Report.objects.exists()


def test_the_honeypot_and_the_rate_limit_stop_bots(client):
    case = CaseFactory()
    url = reverse("case_report", args=[case.slug])
    client.post(url, {"reason": "spam", "website_url": "http://bot.example"})
    assert not Report.objects.exists()
    for _ in range(4):
        client.post(url, {"reason": "spam"})
    assert client.post(url, {"reason": "spam"}).status_code == 429
    assert Report.objects.count() == 4


def test_only_staff_resolve_reports(contributor_client):
    case = CaseFactory()
    report = Report.objects.create(case=case, reason="spam")
    assert contributor_client.post(reverse("report_resolve", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.status == "open"
