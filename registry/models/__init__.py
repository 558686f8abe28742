from registry.models.case import (
    ALL_THREE_FAMILIES,
    FAMILIES,
    Case,
    CasePartner,
    CaseQuerySet,
    CaseSource,
    CaseStatus,
    CaseTerritory,
    Family,
)
from registry.models.organization import Organization
from registry.models.vocabulary import Basis, Term, Vocabulary

__all__ = [
    "ALL_THREE_FAMILIES",
    "FAMILIES",
    "Family",
    "Basis",
    "Case",
    "CasePartner",
    "CaseQuerySet",
    "CaseSource",
    "CaseStatus",
    "CaseTerritory",
    "Organization",
    "Term",
    "Vocabulary",
]
