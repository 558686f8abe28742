from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from registry.models import Action, AuditLog, Case
from registry.models.case import FRESHNESS_MONTHS, stale_limit
from registry.notifications import (
    REMINDER_EVERY_DAYS,
    notify_freshness_owner,
    notify_freshness_staff,
)

# The staff's summary: once a week, however often cron runs the command.
SUMMARY_EVERY_DAYS = 7
# Cases named in the summary (the staff page lists them all).
SUMMARY_LIMIT = 50


class Command(BaseCommand):
    help = (
        f"E-mail the owner of each case published and not confirmed for {FRESHNESS_MONTHS} "
        "months a link that confirms it without a password (one e-mail per owner, every "
        f"case at most every {REMINDER_EVERY_DAYS} days), and the staff a weekly summary of "
        "stale cases and pioneers due for review. Each reminder is an audit-log row "
        "(action « remind »): idempotent, run it daily from cron. The e-mails are queued "
        "for the task worker (TASK_BACKEND), which sends them and tries again on failure."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say who would be reminded; send nothing, record nothing.",
        )

    def handle(self, *args, dry_run=False, verbosity=1, **options):
        now = timezone.now()
        today = timezone.localdate(now)
        stale = Case.objects.unverified_since(stale_limit(today))
        reminded_lately = AuditLog.objects.filter(
            case=OuterRef("pk"),
            action=Action.REMIND,
            created_at__gte=now - timedelta(days=REMINDER_EVERY_DAYS),
        )
        due = list(
            stale.filter(~Exists(reminded_lately)).select_related("owner").order_by("owner", "id")
        )
        by_owner, unreachable = {}, []
        for case in due:
            owner = case.owner
            if owner is None or not owner.is_active or not owner.email:
                unreachable.append(case)
            else:
                by_owner.setdefault(owner, []).append(case)

        say = self.stdout.write if verbosity else (lambda message: None)
        prefix = "[dry run] " if dry_run else ""
        say(
            f"{prefix}{len(due)} stale case(s) to remind: {len(by_owner)} owner(s), "
            f"{len(unreachable)} case(s) without a reachable owner."
        )
        queued = 0
        for number, (owner, cases) in enumerate(by_owner.items(), start=1):
            progress = f"{prefix}[{number}/{len(by_owner)}] {owner.email}: {len(cases)} case(s)"
            if dry_run:
                say(progress)
                continue
            # The reminder rows and the e-mail together: queued once the rows are
            # saved, so a run stopped halfway queues nothing twice when run again.
            with transaction.atomic():
                AuditLog.objects.bulk_create(
                    AuditLog(
                        case=case,
                        action=Action.REMIND,
                        from_status=case.status,
                        to_status=case.status,
                        data={"version": case.version},
                    )
                    for case in cases
                )
                notify_freshness_owner(owner, cases)
            queued += 1
            say(f"{progress}: queued")

        self.summarise(now, today, stale, unreachable, dry_run=dry_run, say=say)
        say(f"{prefix}Reminders queued: {queued}.")

    def summarise(self, now, today, stale, unreachable, *, dry_run, say):
        """The staff's weekly summary, recorded as a reminder row with no case."""
        since = now - timedelta(days=SUMMARY_EVERY_DAYS)
        if AuditLog.objects.filter(
            case=None, action=Action.REMIND, created_at__gte=since
        ).exists():
            say("Staff summary: already sent this week.")
            return
        stale_count = stale.count()
        pioneers = list(Case.objects.pioneers_due(today).order_by("pioneer_review_on", "id"))
        if not stale_count and not pioneers:
            say("Staff summary: nothing to report.")
            return
        reminded = AuditLog.objects.filter(
            case__isnull=False, action=Action.REMIND, created_at__gte=since
        ).count()
        if dry_run:
            say(
                f"[dry run] Staff summary: {stale_count} stale case(s), "
                f"{len(pioneers)} pioneer(s) due for review."
            )
            return
        with transaction.atomic():
            recipients = notify_freshness_staff(
                stale=stale.order_by("verified", "id")[:SUMMARY_LIMIT],
                stale_count=stale_count,
                reminded=reminded,
                unreachable=unreachable,
                pioneers=pioneers,
            )
            if not recipients:
                self.stderr.write("Staff summary: no moderator address nor CONTACT_EMAIL.")
                return
            AuditLog.objects.create(
                action=Action.REMIND,
                data={
                    "summary": {
                        "stale": stale_count,
                        "reminded": reminded,
                        "unreachable": len(unreachable),
                        "pioneers": len(pioneers),
                    }
                },
            )
        say(f"Staff summary: queued ({stale_count} stale, {len(pioneers)} pioneer(s) due).")
