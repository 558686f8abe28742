"""The review workflow of cases: which transitions exist, who may make them,
and what each one writes (status, dates, a version, an audit row).

`Case` gets these as methods (`case.submit(by=user)`); each checks the
transition is allowed, writes inside one transaction and records who did it.
"""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models.choices import (
    EDITABLE_STATUSES,
    OPEN_REVISION_STATUSES,
    Action,
    CaseStatus,
    ModerationReason,
    RevisionStatus,
)
from registry.models.index import bump_registry_version, refresh_case_index
from registry.text.guard import unix_line_endings

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


# The decisions staff explain to the owner, shown in the case's message thread.
THREAD_DECISIONS = [Action.REQUEST_CHANGES, Action.REJECT, Action.PUBLISH]
EDIT_SUMMARY_MAX_LENGTH = 500
WITHDRAW_FIRST = _(
    "Vos modifications attendent leur relecture : retirez la soumission pour les modifier."
)


def is_moderator(user):
    """Whether `user` (an account, an anonymous visitor or None) moderates: the
    account's own rule (`accounts.User.is_moderator`: an active staff account),
    asked of whoever acts, in Python and in the templates alike."""
    return bool(getattr(user, "is_moderator", False))


class TransitionNotAllowed(ValidationError):
    """A transition refused: wrong status, or an incomplete case."""


class VersionConflict(Exception):
    """Someone saved the content meanwhile: the version the writer read is no
    longer `current_version`. The editor answers its 409 page, the API its 409."""

    def __init__(self, current_version):
        super().__init__(current_version)
        self.current_version = current_version


def check_version(expected, current):
    """Refuse a write based on `expected` when the content is now at `current`
    (no version sent: the writer does not ask for the check)."""
    if expected is not None and expected != current:
        raise VersionConflict(current)


def check_may_write(by, case):
    """Content is written by the case's owner or by staff."""
    if not can_act(by, case, "owner"):
        raise PermissionDenied(_("Vous ne pouvez pas effectuer cette action."))


def pioneer_errors(*, reason, status=None):
    """The pioneer rule, for the workflow, the moderation page and the admin:
    only a published case is featured (`status`: the case's, when featuring it;
    None for one featured already), and staff say why. {field: message}."""
    errors = {}
    if status is not None and status != PUBLISHED:
        errors[NON_FIELD_ERRORS] = _("Seule une expérience publiée peut être mise en avant.")
    if not (reason or "").strip():
        errors["pioneer_reason"] = _("Dites pourquoi cette expérience est mise en avant.")
    return errors


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
                % {"source": self.get_status_display(), "target": CaseStatus(target).label},
                code="transition",
            )
        before = self.status
        self.status = target
        now = timezone.now()
        fields = ["status", "updated_at"]
        if before == SUBMITTED:  # decided or withdrawn: nobody handles it any more
            self.assigned_to, self.assigned_at = None, None
            fields += ["assigned_to", "assigned_at"]
        if target == PUBLISHED:
            if self.published_at is None or action == Action.PUBLISH:
                self.published_at = self.published_at or now
            fields.append("published_at")
        if target == SUBMITTED:
            self.submitted_at = now
            fields.append("submitted_at")
        if action == Action.PUBLISH:
            # Reviewed today: the freshness clock starts now, not « never verified ».
            self.last_verified_on = timezone.localdate(now)
            fields.append("last_verified_on")
        self.save(update_fields=fields)
        self.log(action, by=by, from_status=before, reason=reason, message=message, data=data)
        if action in {Action.SUBMIT, Action.PUBLISH, Action.UNARCHIVE}:
            # A submission's message is its owner's summary of the changes.
            self.record_version(
                action, by=by, summary=message if action == Action.SUBMIT else ""
            )
        return self

    def log(self, action, *, by, from_status="", reason="", message="", data=None, bump=True):
        # Every logged change may alter what is published: whole-registry counts go
        # stale (not after a message or an assignment: `bump=False`).
        if bump:
            bump_registry_version([self.pk])
        return self.audit_entries.create(
            actor=by if by is not None and by.is_authenticated else None,
            action=action,
            from_status=from_status,
            to_status=self.status,
            reason=reason,
            message=message,
            data=data or {},
        )

    def record_version(self, action, *, by, data=None, summary=""):
        """Keep the content (`data`, by default the case's as saved) as the next
        version, with its owner's `summary` of the changes."""
        last = self.versions.order_by("-number").values_list("number", flat=True).first() or 0
        return self.versions.create(
            number=last + 1,
            created_by=by if by is not None and by.is_authenticated else None,
            action=action,
            status=self.status,
            data=self.snapshot() if data is None else data,
            summary=summary,
        )

    @transaction.atomic
    def submit(self, *, by, summary=None):
        """Send for review with the owner's summary of the changes (`summary`,
        else the one kept with the last save: `edit_summary`, then emptied for
        the next round); a trusted contributor's case is published at once
        (still logged and versioned)."""
        problems = self.missing_for_submission()
        if problems:
            raise TransitionNotAllowed(problems, code="incomplete")
        summary = (self.edit_summary if summary is None else summary).strip()
        self._transition(Action.SUBMIT, by=by, message=summary)
        if self.edit_summary:
            self.edit_summary = ""
            self.save(update_fields=["edit_summary"])
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
        self.last_verified_on = timezone.localdate()
        self.save(update_fields=["status", "published_at", "last_verified_on", "updated_at"])
        self.log(Action.PUBLISH, by=by, from_status=before, message=message)
        self.record_version(Action.PUBLISH, by=by)

    @transaction.atomic
    def request_changes(self, *, by, reason, message):
        validate_reason(reason, message)
        # The version sent back: a resubmission is reviewed against it.
        reviewed = self.versions.order_by("-number").values_list("number", flat=True).first()
        return self._transition(
            Action.REQUEST_CHANGES,
            by=by,
            reason=reason,
            message=message,
            data={"version": reviewed} if reviewed else None,
        )

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
        """Feature a published case as a pioneer experience, with why and the
        criteria it meets (`pioneer_errors` is the rule)."""
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        errors = pioneer_errors(status=self.status, reason=reason)
        if NON_FIELD_ERRORS in errors:
            raise TransitionNotAllowed(errors[NON_FIELD_ERRORS], code="transition")
        if errors:
            raise ValidationError(errors)
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
    def restore_version(self, version, *, by, reason=""):
        """Staff bring back an earlier version's content, recorded as a new version;
        `reason`, why, is logged (the moderation page asks for it and tells the owner)."""
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        self.apply_snapshot(version.data)
        self.log(Action.RESTORE, by=by, message=reason, data={"version": version.number})
        self.record_version(Action.RESTORE, by=by)

    def last_reviewed(self, revision=None):
        """The content staff last sent back for changes, which its resubmission is
        compared with: of `revision` (a published case's proposed changes), or of
        the case itself. None when nothing was sent back."""
        entries = self.audit_entries.filter(action=Action.REQUEST_CHANGES)
        if revision is not None:
            entry = entries.filter(data__revision=revision.pk).first()
            return entry.data.get("reviewed") if entry is not None else None
        entry = entries.exclude(data__has_key="revision").first()
        if entry is None:
            return None
        versions = self.versions.order_by("-number")
        if entry.data.get("version"):
            version = versions.filter(number=entry.data["version"]).first()
        else:  # sent back before the number was logged: the version it followed
            version = versions.filter(created_at__lte=entry.created_at).first()
        return version.data if version is not None else None

    @transaction.atomic
    def confirm_accurate(self, *, by, data=None):
        """Still accurate today, says its owner: from the dashboard, or from the
        signed link of a freshness reminder (then `by` may be None: the link,
        sent to the owner, is the proof). Logged as `Action.VERIFY`."""
        self.last_verified_on = timezone.localdate()
        self.save(update_fields=["last_verified_on", "updated_at"])
        return self.log(Action.VERIFY, by=by, from_status=self.status, data=data)

    def open_revision(self):
        return self.revisions.filter(status__in=OPEN_REVISION_STATUSES).first()

    # The thread between the owner and the moderators ----------------------------------

    @transaction.atomic
    def post_message(self, body, *, by):
        """Add `by`'s message to the case's thread: its owner or a moderator, with
        an active account (a blocked one posts nothing). Logged. Returns it."""
        if not can_act(by, self, "owner"):
            raise PermissionDenied(_("Vous ne pouvez pas écrire sur cette expérience."))
        body = unix_line_endings(body or "").strip()
        if not body:
            raise ValidationError({"body": _("Écrivez votre message.")}, code="required")
        message = self.messages.model(case=self, author=by, body=body)
        message.full_clean()  # the length limit, whoever calls
        message.save()
        self.log(
            Action.MESSAGE, by=by, from_status=self.status, data={"message": message.pk}, bump=False
        )
        return message

    def thread(self):
        """The messages of the owner and the moderators, oldest first, with the
        decisions staff explained (changes requested, refusal, publication):
        [{"at", "author", "from_staff", "body", "decision", "reason"}]."""
        decisions = (
            self.audit_entries.filter(action__in=THREAD_DECISIONS)
            .exclude(message="")
            .select_related("actor")
        )
        if self.owner_id is not None:
            decisions = decisions.exclude(actor_id=self.owner_id)
        items = [
            {
                "at": entry.created_at,
                "author": entry.actor,
                "from_staff": True,
                "body": entry.message,
                "decision": entry.get_action_display(),
                "reason": entry.get_reason_display(),
            }
            for entry in decisions
        ]
        items += [
            {
                "at": message.created_at,
                "author": message.author,
                "from_staff": message.author_id != self.owner_id,
                "body": message.body,
                "decision": "",
                "reason": "",
            }
            for message in self.messages.select_related("author")
        ]
        return sorted(items, key=lambda item: item["at"])

    def in_review(self):
        """What staff are reviewing on this case: its submitted revision, or the
        case itself while submitted; None when nothing awaits a decision."""
        if self.status == SUBMITTED:
            return self
        return self.revisions.filter(status=RevisionStatus.SUBMITTED).first()

    # Content ------------------------------------------------------------------------
    # Every write of a case's content goes through `apply_snapshot`, which rebuilds
    # the case's index (family mix, facet keys, search documents) in the same
    # transaction; `log` moves the registry version.

    @transaction.atomic
    def replace_content(self, snapshot, *, by, version=None, summary=None):
        """Replace the content of a case its owner may still change (a draft, or a
        case sent back for changes) by `snapshot`, unless someone saved it since
        `version` (`VersionConflict`); `summary`, when given, is kept as the
        summary of the changes sent with the next submission. Returns the case
        as written."""
        case = type(self).objects.select_for_update().get(pk=self.pk)
        check_may_write(by, case)
        if case.status not in EDITABLE_STATUSES:
            raise TransitionNotAllowed(
                _("Cette expérience ne peut plus être modifiée dans son état actuel."),
                code="not_editable",
            )
        check_version(version, case.version)
        if summary is not None:
            case.edit_summary = summary.strip()
        case.apply_snapshot(snapshot)
        case.log(Action.EDIT, by=by)
        return case

    @transaction.atomic
    def propose_revision(self, snapshot, *, by, version=None, summary=None):
        """Keep `snapshot` as the proposed changes of a published case, which stays
        online unchanged until staff publish them: in its open revision, created
        by the first save, unless someone saved that revision since its lock
        `version` (`VersionConflict`), and never while staff review it (its
        owner withdraws it first). `summary`, when given, is the revision's
        summary of its changes. Returns the revision."""
        snapshot = unix_line_endings(snapshot)
        check_may_write(by, self)
        if self.status != PUBLISHED:
            raise TransitionNotAllowed(
                _("Seule une expérience publiée reçoit des propositions de modification."),
                code="transition",
            )
        revision = (
            self.revisions.select_for_update().filter(status__in=OPEN_REVISION_STATUSES).first()
        )
        if revision is None:
            revision = self.revisions.create(
                data=snapshot,
                base_version=self.version,
                author=by,
                edit_summary=(summary or "").strip(),
            )
        else:
            if revision.status == RevisionStatus.SUBMITTED:
                raise TransitionNotAllowed(WITHDRAW_FIRST, code="not_editable")
            check_version(version, revision.lock_version)
            if summary is not None:
                revision.edit_summary = summary.strip()
            revision.data = snapshot
            revision.lock_version += 1
            if revision.status == RevisionStatus.CHANGES_REQUESTED:
                revision.status = RevisionStatus.DRAFT
            revision.save()
        self.log(Action.EDIT, by=by, data={"revision": revision.pk})
        return revision

    @transaction.atomic
    def record_staff_edit(self, *, by, created, fields, previous=None):
        """After staff saved this case and its related rows with the admin's own
        forms (inline rows do not fit a snapshot): a new version number, the
        index rebuilt, who changed what logged. The admin never changes the
        status (its actions call the workflow methods), so an edit of a case
        online is what visitors now read: kept as a version, which a later
        restore keeps in the history instead of erasing it without a trace.
        `previous`, the content before the edit (`snapshot()`), is kept first
        when no version holds it (content written before versions were kept),
        so that what was online can be restored."""
        if not created:
            self.version += 1
            self.save(update_fields=["version"])
        refresh_case_index([self.pk])
        self.log(
            Action.CREATE if created else Action.EDIT,
            by=by,
            from_status=self.status,
            message=str(_("Dans l'administration.")),
            data={"fields": fields},
        )
        if self.status == PUBLISHED and fields:
            last = self.versions.order_by("-number").first()
            if previous is not None and (last is None or last.data != previous):
                self.record_version(Action.EDIT, by=None, data=previous)
            self.record_version(Action.EDIT, by=by)


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
        if self.status != RevisionStatus.SUBMITTED:
            raise TransitionNotAllowed(
                _("Cette révision n'attend pas de relecture."), code="transition"
            )

    @transaction.atomic
    def submit(self, *, by, summary=None):
        """Send the proposed changes to staff for review, with `summary` (else the
        one kept with the last save). A trusted contributor's revision of their
        own case is published at once: versioned, logged, reportable like any."""
        check_may_write(by, self.case)
        if self.status not in {RevisionStatus.DRAFT, RevisionStatus.CHANGES_REQUESTED}:
            raise TransitionNotAllowed(
                _("Impossible de passer de « %(source)s » à « %(target)s ».")
                % {
                    "source": self.get_status_display(),
                    "target": RevisionStatus.SUBMITTED.label,
                },
                code="transition",
            )
        if summary is not None:
            self.edit_summary = summary.strip()
        self.status = RevisionStatus.SUBMITTED
        # Waiting since its last edit.
        self.submitted_at = self.updated_at
        self.save(update_fields=["status", "submitted_at", "edit_summary", "updated_at"])
        self.case.log(
            Action.SUBMIT, by=by, message=self.edit_summary, data={"revision": self.pk}
        )
        if (
            getattr(by, "is_trusted", False)
            and not is_moderator(by)
            and by.pk == self.case.owner_id
        ):
            self._apply(by=by, message=str(_("Publication directe (contributeur de confiance).")))
        return self

    @transaction.atomic
    def withdraw(self, *, by):
        """Its owner takes the submitted changes back from the queue to edit them
        again (the revision is a draft again). Logged."""
        check_may_write(by, self.case)
        if self.status != RevisionStatus.SUBMITTED:
            raise TransitionNotAllowed(
                _("Cette révision n'attend pas de relecture."), code="transition"
            )
        self.status = RevisionStatus.DRAFT
        self.assigned_to, self.assigned_at = None, None
        self.save(update_fields=["status", "assigned_to", "assigned_at", "updated_at"])
        self.case.log(
            Action.WITHDRAW, by=by, from_status=self.case.status, data={"revision": self.pk}
        )
        return self

    @transaction.atomic
    def publish(self, *, by, message=""):
        """Apply the proposed content to the published case (`apply_snapshot`
        rebuilds its index), keep a version, log it."""
        self._check_staff(by)
        return self._apply(by=by, message=message)

    def _apply(self, *, by, message):
        case = self.case
        case.apply_snapshot(self.data)
        case.last_verified_on = timezone.localdate()
        case.save(update_fields=["last_verified_on"])
        self.status = RevisionStatus.PUBLISHED
        self.assigned_to, self.assigned_at = None, None
        self.save(update_fields=["status", "assigned_to", "assigned_at", "updated_at"])
        case.log(
            Action.PUBLISH,
            by=by,
            from_status=case.status,
            message=message,
            data={"revision": self.pk},
        )
        case.record_version(Action.PUBLISH, by=by, summary=self.edit_summary)
        return case

    @transaction.atomic
    def request_changes(self, *, by, reason, message):
        validate_reason(reason, message)
        self._check_staff(by)
        self.status = RevisionStatus.CHANGES_REQUESTED
        self.assigned_to, self.assigned_at = None, None
        self.save(update_fields=["status", "assigned_to", "assigned_at", "updated_at"])
        self.case.log(
            Action.REQUEST_CHANGES,
            by=by,
            from_status=self.case.status,
            reason=reason,
            message=message,
            # The content sent back (the revision's is overwritten by the next save):
            # its resubmission is reviewed against it.
            data={"revision": self.pk, "reviewed": self.data},
        )

    @transaction.atomic
    def reject(self, *, by, reason, message=""):
        validate_reason(reason, message, message_required=False)
        self._check_staff(by)
        self.status = RevisionStatus.REJECTED
        self.assigned_to, self.assigned_at = None, None
        self.save(update_fields=["status", "assigned_to", "assigned_at", "updated_at"])
        self.case.log(
            Action.REJECT,
            by=by,
            from_status=self.case.status,
            reason=reason,
            message=message,
            data={"revision": self.pk},
        )

    def changes_requested(self):
        """The audit entry of staff's last request for changes on this revision
        (its reason and message), or None."""
        return (
            self.case.audit_entries.filter(action=Action.REQUEST_CHANGES, data__revision=self.pk)
            .order_by("-created_at", "-id")
            .first()
        )


class AssignmentWorkflow:
    """« Je m'en occupe »: the moderator handling a submission (a case or a
    revision while it is submitted), mixed into `Case` and `CaseRevision`.
    A decision or a withdrawal releases it."""

    def _assignment_case(self):
        return getattr(self, "case", self)

    def _assignment_data(self):
        return {"revision": self.pk} if hasattr(self, "case") else {}

    def _check_assignable(self, by):
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        if self.status != SUBMITTED:
            raise TransitionNotAllowed(
                _("Cette soumission n'attend plus de relecture."), code="transition"
            )

    @transaction.atomic
    def assign(self, *, by):
        """`by` handles this submission from now on (taken over from whoever did)."""
        self._check_assignable(by)
        self.assigned_to, self.assigned_at = by, timezone.now()
        self.save(update_fields=["assigned_to", "assigned_at"])
        case = self._assignment_case()
        case.log(
            Action.ASSIGN, by=by, from_status=case.status, data=self._assignment_data(), bump=False
        )
        return self

    @transaction.atomic
    def release(self, *, by):
        """Nobody handles this submission any more."""
        self._check_assignable(by)
        released = self.assigned_to_id
        self.assigned_to, self.assigned_at = None, None
        self.save(update_fields=["assigned_to", "assigned_at"])
        case = self._assignment_case()
        case.log(
            Action.RELEASE,
            by=by,
            from_status=case.status,
            data={**self._assignment_data(), "released": released},
            bump=False,
        )
        return self
