from registry.models.case import (
    FAMILIES,
    Case,
    CasePartner,
    CaseQuerySet,
    CaseSource,
    CaseStatus,
    CaseTerritory,
)
from registry.models.organization import Organization
from registry.models.vocabulary import Basis, Term, Vocabulary

__all__ = [
    "FAMILIES",
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
