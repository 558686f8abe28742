"""Official French identifiers of organisations: SIREN, SIRET, RNA.

Each is accepted with spaces (as printed on a Kbis or a receipt), stored
normalised, and checked for real: SIREN and SIRET carry a Luhn checksum.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# La Poste's establishments share one SIREN, too many for Luhn's key: their
# SIRET is accepted when the sum of its 14 digits is a multiple of 5 (the head
# office's, 356 000 000 00048, also passes Luhn).
LA_POSTE_SIREN = "356000000"


def compact(value):
    return re.sub(r"[\s.\-]", "", value or "").upper()


def luhn_valid(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def normalize_siren(value):
    siren = compact(value)
    if not re.fullmatch(r"\d{9}", siren):
        raise ValidationError(_("Un SIREN compte exactement 9 chiffres."), code="siren_format")
    if not luhn_valid(siren):
        raise ValidationError(
            _("Ce SIREN n'est pas valide (clé de contrôle incorrecte)."), code="siren_checksum"
        )
    return siren


def normalize_siret(value):
    siret = compact(value)
    if not re.fullmatch(r"\d{14}", siret):
        raise ValidationError(_("Un SIRET compte exactement 14 chiffres."), code="siret_format")
    if siret.startswith(LA_POSTE_SIREN):
        valid = luhn_valid(siret) or sum(int(char) for char in siret) % 5 == 0
    else:
        valid = luhn_valid(siret) and luhn_valid(siret[:9])
    if not valid:
        raise ValidationError(
            _("Ce SIRET n'est pas valide (clé de contrôle incorrecte)."), code="siret_checksum"
        )
    return siret


def normalize_rna(value):
    rna = compact(value)
    if not re.fullmatch(r"W\d{9}", rna):
        raise ValidationError(
            _("Un numéro RNA s'écrit W suivi de 9 chiffres (par exemple W751234567)."),
            code="rna_format",
        )
    return rna


def validate_siren(value):
    normalize_siren(value)


def validate_siret(value):
    normalize_siret(value)


def validate_rna(value):
    normalize_rna(value)
