from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in with the e-mail address, whatever its case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = kwargs.get("email", username)
        if not email or password is None:
            return None
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            # Spend the same time as a real check, so the answer does not tell
            # which addresses have an account.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
