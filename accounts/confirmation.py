"""The link e-mailed at sign-up: it opens the account once, within three days.

The token signs the account's id with a fingerprint of its state (password
hash, activity, awaiting confirmation, last log-in, address), in the way of
Django's password-reset tokens: confirming, a password change, or staff
blocking the sign-up changes the state, and every link sent before is void.
"""

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User

SALT = "accounts.confirm-email"
MAX_AGE = 3 * 24 * 3600


def fingerprint(user):
    last_login = "" if user.last_login is None else user.last_login.isoformat()
    state = (
        f"{user.pk}:{user.password}:{user.is_active}:{user.awaiting_confirmation}:"
        f"{last_login}:{user.email.lower()}"
    )
    return salted_hmac(SALT, state, algorithm="sha256").hexdigest()[:32]


def make_token(user):
    return signing.TimestampSigner(salt=SALT).sign(f"{user.pk}:{fingerprint(user)}")


def account_of(token):
    """The account `token` may still open, or None when it served already or is
    void. Raises `signing.SignatureExpired` past three days and
    `signing.BadSignature` for a token the site did not make."""
    value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE)
    pk, _colon, given = value.partition(":")
    if not pk.isdigit():
        raise signing.BadSignature("Malformed confirmation token.")
    user = User.objects.filter(pk=int(pk), awaiting_confirmation=True, is_active=False).first()
    if user is None or not constant_time_compare(given, fingerprint(user)):
        return None
    return user
