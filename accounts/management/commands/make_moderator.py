"""`manage.py make_moderator EMAIL`: a member of staff in the « Modérateurs » group."""

import getpass
import os
import sys

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from accounts.models import User

MODERATORS = "Modérateurs"

# What a moderator needs in the admin, short of deleting anything or handing out
# rights (those stay with superusers): the migrations gave the group the same, and
# running the command again adds what a later version of this list needs.
PERMISSIONS = {
    "registry": {
        "vocabulary": ("view", "change"),
        "term": ("view", "change", "add"),
        "organization": ("view", "change", "add"),
        "case": ("view", "change", "add"),
        # Lines of a case's roster, places and sources, edited as inlines.
        "casepartner": ("view", "change", "add", "delete"),
        "caseterritory": ("view", "change", "add", "delete"),
        "casesource": ("view", "change", "add", "delete"),
        "auditlog": ("view",),
        "caseversion": ("view",),
        "caserevision": ("view",),
        "contactmessage": ("view", "change"),
        "report": ("view", "change"),
    },
    "territories": {"territory": ("view",)},
    "accounts": {"user": ("view", "change", "add")},
}


def moderators_group():
    """The « Modérateurs » group with every permission of PERMISSIONS (created
    if missing; permissions given by hand besides are left alone)."""
    group, _created = Group.objects.get_or_create(name=MODERATORS)
    wanted = Q(pk__in=[])
    for app_label, models in PERMISSIONS.items():
        codenames = [f"{verb}_{model}" for model, verbs in models.items() for verb in verbs]
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    missing = Permission.objects.filter(wanted).exclude(group=group)
    group.permissions.add(*missing)
    return group


class Command(BaseCommand):
    help = (
        "Make the account of EMAIL a moderator: staff, in the « Modérateurs » group (created "
        "with its permissions if missing). Idempotent. --create creates the account first."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The account's e-mail address.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the account if there is none (password asked on a terminal).",
        )
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="With --create: read the new account's password from this environment variable "
            "(for scripts and CI, which have no terminal).",
        )

    @transaction.atomic
    def handle(self, *args, email, create, password_from_env, **options):
        email = User.objects.normalize_email(email.strip())
        if "@" not in email:
            raise CommandError(f"« {email} » is not an e-mail address.")
        if password_from_env and not create:
            raise CommandError("--password-from-env goes with --create.")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            if not create:
                raise CommandError(f"No account uses {email}: add --create to create it.")
            user = self.create_account(email, password_from_env)
        group = moderators_group()
        if user.is_staff and user.groups.filter(pk=group.pk).exists():
            self.stdout.write(f"{user.email} is already a moderator.")
        else:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
            self.stdout.write(self.style.SUCCESS(f"{user.email} is now a moderator."))
        if not user.is_active:
            self.stderr.write(
                self.style.WARNING(
                    f"{user.email} is inactive (blocked or never confirmed): it cannot log in "
                    "until it is activated in the admin."
                )
            )

    def create_account(self, email, password_from_env):
        user = User(username=email, email=email, is_active=True)
        password = self.new_password(user, password_from_env)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        if password is None:
            self.stdout.write(
                f"Account {email} created without a password: its owner sets one with "
                "« Mot de passe oublié » on the log-in page (or run `manage.py changepassword "
                f"{email}`)."
            )
        else:
            self.stdout.write(f"Account {email} created.")
        return user

    def new_password(self, user, password_from_env):
        """From the environment variable, else asked twice on a terminal; None
        without either (no standard input, as under CI)."""
        if password_from_env:
            password = os.environ.get(password_from_env, "")
            if not password:
                raise CommandError(f"The environment variable {password_from_env} is empty.")
        elif sys.stdin is not None and sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        else:
            return None
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password
