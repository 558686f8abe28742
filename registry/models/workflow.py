"""The review workflow of cases: which transitions exist, who may make them,
and what each one writes (status, dates, a version, an audit row).

`Case` gets these as methods (`case.submit(by=user)`); each checks the
transition is allowed, writes inside one transaction and records who did it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models.choices import (
    EDITABLE_STATUSES,
    OPEN_REVISION_STATUSES,
    Action,
    CaseStatus,
    ModerationReason,
)
from registry.models.index import bump_registry_version, refresh_case_index

DRAFT, SUBMITTED, CHANGES, PUBLISHED, REJECTED, ARCHIVED = (
    CaseStatus.DRAFT,
    CaseStatus.SUBMITTED,
    CaseStatus.CHANGES_REQUESTED,
    CaseStatus.PUBLISHED,
    CaseStatus.REJECTED,
    CaseStatus.ARCHIVED,
)

# action -> (allowed source statuses, target status, who: "owner" or "staff")
TRANSITIONS = {
    Action.SUBMIT: (set(EDITABLE_STATUSES), SUBMITTED, "owner"),
    Action.WITHDRAW: ({SUBMITTED}, DRAFT, "owner"),
    Action.PUBLISH: ({SUBMITTED}, PUBLISHED, "staff"),
    Action.REQUEST_CHANGES: ({SUBMITTED}, CHANGES, "staff"),
    Action.REJECT: ({SUBMITTED}, REJECTED, "staff"),
    Action.ARCHIVE: ({PUBLISHED}, ARCHIVED, "staff"),
    Action.UNARCHIVE: ({ARCHIVED}, PUBLISHED, "staff"),
}


def is_moderator(user):
    """The one rule for moderating, everywhere: an active staff account."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


class TransitionNotAllowed(ValidationError):
    """A transition refused: wrong status, or an incomplete case."""


def can_act(user, case, who):
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_moderator(user):
        return True
    return who == "owner" and case.owner_id == user.pk


class CaseWorkflow:
    """Workflow methods mixed into `Case`."""

    def allowed_actions(self, user):
        return [
            action
            for action, (sources, _target, who) in TRANSITIONS.items()
            if self.status in sources and can_act(user, self, who)
        ]

    def _transition(self, action, *, by, reason="", message="", data=None):
        sources, target, who = TRANSITIONS[action]
        if not can_act(by, self, who):
            raise PermissionDenied(_("Vous ne pouvez pas effectuer cette action."))
        if self.status not in sources:
            raise TransitionNotAllowed(
                _("Impossible de passer de « %(source)s » à « %(target)s ».")
                % {"source": self.get_status_display(), "target": target},
                code="transition",
            )
        before = self.status
        self.status = target
        now = timezone.now()
        fields = ["status", "updated_at"]
        if target == PUBLISHED:
            if self.published_at is None or action == Action.PUBLISH:
                self.published_at = self.published_at or now
            fields.append("published_at")
        if target == SUBMITTED:
            self.submitted_at = now
            fields.append("submitted_at")
        self.save(update_fields=fields)
        self.log(action, by=by, from_status=before, reason=reason, message=message, data=data)
        if action in {Action.SUBMIT, Action.PUBLISH, Action.UNARCHIVE}:
            self.record_version(action, by=by)
        return self

    def log(self, action, *, by, from_status="", reason="", message="", data=None):
        # Every logged change may alter what is published: whole-registry counts go stale.
        bump_registry_version()
        return self.audit_entries.create(
            actor=by if by is not None and by.is_authenticated else None,
            action=action,
            from_status=from_status,
            to_status=self.status,
            reason=reason,
            message=message,
            data=data or {},
        )

    def record_version(self, action, *, by):
        last = self.versions.order_by("-number").values_list("number", flat=True).first() or 0
        return self.versions.create(
            number=last + 1,
            created_by=by if by is not None and by.is_authenticated else None,
            action=action,
            status=self.status,
            data=self.snapshot(),
        )

    @transaction.atomic
    def submit(self, *, by):
        """Send for review; a trusted contributor's case is published at once (still logged)."""
        problems = self.missing_for_submission()
        if problems:
            raise TransitionNotAllowed(problems, code="incomplete")
        self._transition(Action.SUBMIT, by=by)
        if getattr(by, "is_trusted", False) and not is_moderator(by):
            self._publish(by=by, message=str(_("Publication directe (contributeur de confiance).")))
        return self

    @transaction.atomic
    def withdraw(self, *, by):
        return self._transition(Action.WITHDRAW, by=by)

    @transaction.atomic
    def publish(self, *, by, message=""):
        return self._transition(Action.PUBLISH, by=by, message=message)

    def _publish(self, *, by, message):
        # A trusted contributor publishes their own submission without staff rights.
        before = self.status
        self.status = PUBLISHED
        self.published_at = self.published_at or timezone.now()
        self.save(update_fields=["status", "published_at", "updated_at"])
        self.log(Action.PUBLISH, by=by, from_status=before, message=message)
        self.record_version(Action.PUBLISH, by=by)

    @transaction.atomic
    def request_changes(self, *, by, reason, message):
        validate_reason(reason, message)
        return self._transition(Action.REQUEST_CHANGES, by=by, reason=reason, message=message)

    @transaction.atomic
    def reject(self, *, by, reason, message=""):
        validate_reason(reason, message, message_required=False)
        return self._transition(Action.REJECT, by=by, reason=reason, message=message)

    @transaction.atomic
    def archive(self, *, by, reason="", message=""):
        return self._transition(Action.ARCHIVE, by=by, reason=reason, message=message)

    @transaction.atomic
    def unarchive(self, *, by, message=""):
        return self._transition(Action.UNARCHIVE, by=by, message=message)

    @transaction.atomic
    def feature(self, *, by, criteria, reason, review_on=None):
        """Feature a published case as a pioneer experience, with the criteria it meets."""
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        if self.status != PUBLISHED:
            raise TransitionNotAllowed(
                _("Seule une expérience publiée peut être mise en avant."), code="transition"
            )
        if not criteria:
            raise ValidationError({"criteria": _("Cochez au moins un critère.")})
        self.is_pioneer = True
        self.pioneer_reason = reason
        self.pioneer_by = by
        self.pioneer_at = timezone.now()
        self.pioneer_review_on = review_on
        self.save(
            update_fields=[
                "is_pioneer",
                "pioneer_reason",
                "pioneer_by",
                "pioneer_at",
                "pioneer_review_on",
                "updated_at",
            ]
        )
        self.pioneer_criteria.set(criteria)
        self.log(
            Action.FEATURE, by=by, message=reason, data={"criteria": [c.code for c in criteria]}
        )

    @transaction.atomic
    def unfeature(self, *, by, message=""):
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        self.is_pioneer = False
        self.save(update_fields=["is_pioneer", "updated_at"])
        self.log(Action.UNFEATURE, by=by, message=message)

    @transaction.atomic
    def restore_version(self, version, *, by):
        """Staff bring back an earlier version's content, recorded as a new version."""
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        self.apply_snapshot(version.data)
        self.log(Action.RESTORE, by=by, data={"version": version.number})
        self.record_version(Action.RESTORE, by=by)
        refresh_case_index([self.pk])

    def open_revision(self):
        return self.revisions.filter(status__in=OPEN_REVISION_STATUSES).first()


def validate_reason(reason, message, message_required=True):
    errors = {}
    if reason not in ModerationReason.values:
        errors["reason"] = _("Choisissez un motif dans la liste.")
    if message_required and not (message or "").strip():
        errors["message"] = _("Expliquez au contributeur ce qu'il doit modifier.")
    if errors:
        raise ValidationError(errors)


class RevisionWorkflow:
    """Review of proposed changes to a published case (mixed into `CaseRevision`)."""

    def _check_staff(self, by):
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        if self.status != "submitted":
            raise TransitionNotAllowed(
                _("Cette révision n'attend pas de relecture."), code="transition"
            )

    @transaction.atomic
    def publish(self, *, by, message=""):
        """Apply the proposed content to the published case, keep a version, log it."""
        self._check_staff(by)
        case = self.case
        case.apply_snapshot(self.data)
        self.status = "published"
        self.save(update_fields=["status", "updated_at"])
        case.log(
            Action.PUBLISH,
            by=by,
            from_status=case.status,
            message=message,
            data={"revision": self.pk},
        )
        case.record_version(Action.PUBLISH, by=by)
        refresh_case_index([case.pk])
        return case

    @transaction.atomic
    def request_changes(self, *, by, reason, message):
        validate_reason(reason, message)
        self._check_staff(by)
        self.status = "changes_requested"
        self.save(update_fields=["status", "updated_at"])
        self.case.log(
            Action.REQUEST_CHANGES,
            by=by,
            from_status=self.case.status,
            reason=reason,
            message=message,
            data={"revision": self.pk},
        )

    @transaction.atomic
    def reject(self, *, by, reason, message=""):
        validate_reason(reason, message, message_required=False)
        self._check_staff(by)
        self.status = "rejected"
        self.save(update_fields=["status", "updated_at"])
        self.case.log(
            Action.REJECT,
            by=by,
            from_status=self.case.status,
            reason=reason,
            message=message,
            data={"revision": self.pk},
        )
