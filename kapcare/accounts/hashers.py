"""The password hasher: Argon2id at the parameters the settings state (ARGON2_TIME_COST,
ARGON2_MEMORY_KIB, ARGON2_PARALLELISM), chosen in docs/security.md#password-hashing.

Django's own Argon2 defaults (t=2, 100 MiB, p=8) took 1.2–1.7 s per check on the 2-core
machine under load — most of a 1.7 s sign-in. The parameters here are one of the OWASP
Password Storage Cheat Sheet's equivalent Argon2id configurations and cost about a tenth.
The algorithm keeps Django's name ("argon2"), so every stored hash still verifies; a hash
made with other parameters is made again at its owner's next sign-in (Django's
`must_update`)."""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class ClinicArgon2PasswordHasher(Argon2PasswordHasher):
    @property
    def time_cost(self) -> int:
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:
        return settings.ARGON2_MEMORY_KIB

    @property
    def parallelism(self) -> int:
        return settings.ARGON2_PARALLELISM
