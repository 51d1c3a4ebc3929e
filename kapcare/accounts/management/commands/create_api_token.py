from django.core.management.base import BaseCommand, CommandError

from kapcare import policy
from kapcare.accounts.models import ApiToken, User
from kapcare.policy import Action


class Command(BaseCommand):
    help = (
        "Make an API token for the account with this email. Prints only the token on "
        "stdout, so that it can be piped; it is not stored and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The account's email address.")
        parser.add_argument(
            "--name",
            default="Command line",
            help="What the token is for, as its owner will see it on their profile page.",
        )

    def handle(self, *args, email: str, name: str, **options):
        name = name.strip()
        if not name:
            raise CommandError("Give the token a name, e.g. --name 'EHR sync'.")
        if len(name) > ApiToken._meta.get_field("name").max_length:
            raise CommandError("The token's name is too long (100 characters at most).")
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account has the email {email}.")
        if not user.is_active:
            raise CommandError(f"The account {user.email} is deactivated.")
        if not policy.can(user, Action.USE_API_TOKENS):
            raise CommandError(f"The account {user.email} may not use API tokens.")
        record, token = ApiToken.issue(user, name)
        self.stderr.write(
            f"Made the token “{record.name}” for {user.email} ({user.get_role_display()}), "
            f"valid until {record.expires_at:%Y-%m-%d %H:%M} UTC. "
            "It is shown once; store it now.",
            style_func=self.style.SUCCESS,
        )
        self.stdout.write(token)
