"""Official French identifiers of organisations: SIREN, SIRET, RNA.

Each is accepted with spaces (as printed on a Kbis or a receipt), stored
normalised, and checked for real: python-stdnum knows the SIREN's and the
SIRET's Luhn key, and La Poste's establishments, too many for that key, whose
SIRET passes when the sum of its digits is a multiple of 5. The RNA number has
no key: only its form is checked.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as InvalidNumber
from stdnum.fr import siren, siret


def compact(value):
    return re.sub(r"[\s.\-]", "", value or "").upper()


def checked(number, value, *, format_message, checksum_message, kind):
    """`value` compacted, if `number` (a stdnum module) validates it; else the reason."""
    value = compact(value)
    try:
        return number.validate(value)
    except InvalidChecksum:
        raise ValidationError(checksum_message, code=f"{kind}_checksum") from None
    except InvalidNumber:
        raise ValidationError(format_message, code=f"{kind}_format") from None


def normalize_siren(value):
    return checked(
        siren,
        value,
        format_message=_("Un SIREN compte exactement 9 chiffres."),
        checksum_message=_("Ce SIREN n'est pas valide (clé de contrôle incorrecte)."),
        kind="siren",
    )


def normalize_siret(value):
    return checked(
        siret,
        value,
        format_message=_("Un SIRET compte exactement 14 chiffres."),
        checksum_message=_("Ce SIRET n'est pas valide (clé de contrôle incorrecte)."),
        kind="siret",
    )


def normalize_rna(value):
    rna = compact(value)
    if not re.fullmatch(r"W[0-9]{9}", rna):
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
