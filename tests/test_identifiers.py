import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from registry.models import Organization
from registry.text.identifiers import normalize_rna, normalize_siren, normalize_siret
from tests.factories import OrganizationFactory, term

# Real identifiers: the SIREN of the commune of Lille (INSEE COG), Danone SA,
# and the head office of La Poste.
LILLE_SIREN = "215903501"


@pytest.mark.parametrize("typed", ["215903501", "215 903 501", " 215.903.501 "])
def test_a_siren_typed_with_spaces_or_dots_is_stored_as_nine_digits(typed):
    assert normalize_siren(typed) == LILLE_SIREN


@pytest.mark.parametrize(
    "typed, code",
    [
        ("215903502", "siren_checksum"),
        ("21590350", "siren_format"),
        ("2159035011", "siren_format"),
        ("21590350A", "siren_format"),
        ("", "siren_format"),
    ],
)
def test_an_invalid_siren_is_refused_with_the_reason(typed, code):
    with pytest.raises(ValidationError) as error:
        normalize_siren(typed)
    assert error.value.code == code


@pytest.mark.parametrize(
    "typed, french, english",
    [
        ("21590350", "Un SIREN compte exactement 9 chiffres.", "A SIREN has exactly 9 digits."),
        (
            "215903502",
            "Ce SIREN n'est pas valide (clé de contrôle incorrecte).",
            "This SIREN is not valid (wrong check digit).",
        ),
    ],
)
def test_the_reason_a_siren_is_refused_reads_in_the_visitors_language(typed, french, english):
    for language, message in (("fr", french), ("en", english)):
        with translation.override(language):
            with pytest.raises(ValidationError) as error:
                normalize_siren(typed)
            assert error.value.messages == [message]


ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)
FULL_WIDTH = str.maketrans(
    "0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
)


@pytest.mark.parametrize(
    "normalize, typed",
    [
        (normalize_siren, LILLE_SIREN),
        (normalize_siret, "55203253400018"),
        (normalize_rna, "W751234567"),
    ],
)
def test_digits_of_other_scripts_are_refused_not_stored(normalize, typed):
    # Python's int() reads Arabic-Indic digits; a register does not.
    with pytest.raises(ValidationError):
        normalize(typed.translate(ARABIC_INDIC))


def test_full_width_digits_are_stored_as_plain_ones():
    assert normalize_siren(LILLE_SIREN.translate(FULL_WIDTH)) == LILLE_SIREN
    assert normalize_siret("55203253400018".translate(FULL_WIDTH)) == "55203253400018"


def test_a_valid_siret_is_accepted_and_normalised():
    assert normalize_siret("552 032 534 00018") == "55203253400018"


@pytest.mark.parametrize("typed", ["55203253400014", "5520325340001", "215903502 00001"])
def test_an_invalid_siret_is_refused(typed):
    with pytest.raises(ValidationError):
        normalize_siret(typed)


def test_la_poste_establishments_pass_by_the_sum_of_their_digits():
    # 3+5+6+1+5 = 20: a multiple of 5, though Luhn refuses it.
    assert normalize_siret("356 000 000 00015") == "35600000000015"
    assert normalize_siret("35600000000048") == "35600000000048"  # the head office
    with pytest.raises(ValidationError):
        normalize_siret("35600000000016")


@pytest.mark.parametrize("typed", ["W751234567", "w 751 234 567", "W-751-234-567"])
def test_an_rna_number_is_w_and_nine_digits(typed):
    assert normalize_rna(typed) == "W751234567"


@pytest.mark.parametrize("typed", ["751234567", "W75123456", "X751234567", "W7512345678"])
def test_a_malformed_rna_number_is_refused(typed):
    with pytest.raises(ValidationError) as error:
        normalize_rna(typed)
    assert "W" in str(error.value.messages[0])


@pytest.mark.django_db
def test_an_organisation_stores_identifiers_normalised_and_blank_ones_as_null():
    organization = Organization(
        name="  Ville   de Lille ",
        actor_type=term("actor_type", "collectivite"),
        siren="215 903 501",
        siret="",
        rna="  ",
    )
    organization.full_clean()
    organization.save()
    organization.refresh_from_db()
    assert organization.siren == LILLE_SIREN
    assert organization.siret is None and organization.rna is None
    assert organization.name == "Ville de Lille"
    assert organization.slug == "ville-de-lille"


@pytest.mark.django_db
def test_two_organisations_cannot_share_a_siren_but_many_may_have_none():
    OrganizationFactory(siren=LILLE_SIREN)
    OrganizationFactory(siren=None)
    OrganizationFactory(siren=None)
    duplicate = Organization(
        name="Doublon", actor_type=term("actor_type", "collectivite"), siren="215903501"
    )
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "SIREN" in str(error.value)


@pytest.mark.django_db
def test_a_siret_must_extend_the_organisations_siren():
    organization = Organization(
        name="Danone",
        actor_type=term("actor_type", "entreprise"),
        siren="552032534",
        siret="55204944700014",
    )
    with pytest.raises(ValidationError) as error:
        organization.full_clean()
    assert "siret" in error.value.message_dict


@pytest.mark.django_db
def test_only_companies_have_a_size_and_only_associations_an_rna():
    town_hall = Organization(
        name="Mairie",
        actor_type=term("actor_type", "collectivite"),
        company_size=term("company_size", "pme"),
        rna="W751234567",
    )
    with pytest.raises(ValidationError) as error:
        town_hall.full_clean()
    assert set(error.value.message_dict) & {"company_size", "rna"}
