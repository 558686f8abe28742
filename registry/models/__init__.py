from registry.models.case import (
    ALL_THREE_FAMILIES,
    FAMILIES,
    Case,
    CasePartner,
    CaseQuerySet,
    CaseSource,
    CaseTerritory,
    Family,
)
from registry.models.choices import (
    EDITABLE_STATUSES,
    PAIR_BASE,
    Action,
    CaseStatus,
    ModerationReason,
    RevisionStatus,
)
from registry.models.contact import ContactMessage, ContactStatus, ContactSubject
from registry.models.export import ExportedCase, ExportGeneration, ExportStamp
from registry.models.moderation import AuditLog, CaseMessage, CaseRevision, CaseVersion
from registry.models.organization import Organization
from registry.models.report import (
    Report,
    ReportOutcome,
    ReportReason,
    ReportStatus,
    block_account,
)
from registry.models.search import SearchWord
from registry.models.vocabulary import Basis, Term, Vocabulary
from registry.models.workflow import TRANSITIONS, TransitionNotAllowed

__all__ = [
    "ExportedCase",
    "ExportGeneration",
    "ExportStamp",
    "ContactMessage",
    "ContactStatus",
    "ContactSubject",
    "Report",
    "SearchWord",
    "ReportOutcome",
    "ReportReason",
    "block_account",
    "ReportStatus",
    "Action",
    "AuditLog",
    "CaseMessage",
    "CaseRevision",
    "CaseVersion",
    "ModerationReason",
    "RevisionStatus",
    "TRANSITIONS",
    "TransitionNotAllowed",
    "ALL_THREE_FAMILIES",
    "FAMILIES",
    "PAIR_BASE",
    "Family",
    "Basis",
    "Case",
    "CasePartner",
    "CaseQuerySet",
    "CaseSource",
    "CaseStatus",
    "EDITABLE_STATUSES",
    "CaseTerritory",
    "Organization",
    "Term",
    "Vocabulary",
]
