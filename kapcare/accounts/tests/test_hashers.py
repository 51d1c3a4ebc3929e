"""The password hasher: Argon2id at the parameters the settings state; a hash made with
Django's defaults still verifies and is redone at the next sign-in."""

from django.contrib.auth.hashers import Argon2PasswordHasher

from kapcare.accounts.hashers import ClinicArgon2PasswordHasher

PASSWORD = "a long enough passphrase"


def test_the_hasher_uses_the_settings_parameters(settings):
    settings.ARGON2_TIME_COST, settings.ARGON2_MEMORY_KIB, settings.ARGON2_PARALLELISM = 3, 8, 1
    hasher = ClinicArgon2PasswordHasher()

    encoded = hasher.encode(PASSWORD, hasher.salt())

    assert encoded.startswith("argon2$argon2id$v=19$m=8,t=3,p=1$")
    assert hasher.verify(PASSWORD, encoded)
    assert not hasher.verify("wrong", encoded)


def test_the_production_parameters_are_owasps_twelve_mebibytes_three_passes():
    from kapcare import settings as production

    assert (
        production.ARGON2_TIME_COST,
        production.ARGON2_MEMORY_KIB,
        production.ARGON2_PARALLELISM,
    ) == (3, 12 * 1024, 1)
    assert production.PASSWORD_HASHERS[0] == "kapcare.accounts.hashers.ClinicArgon2PasswordHasher"


def test_a_hash_with_djangos_defaults_verifies_and_is_made_again(settings):
    settings.ARGON2_TIME_COST, settings.ARGON2_MEMORY_KIB, settings.ARGON2_PARALLELISM = 1, 8, 1

    class Small(Argon2PasswordHasher):  # Django's hasher, kept cheap for the test
        time_cost, memory_cost, parallelism = 2, 16, 2

    old = Small().encode(PASSWORD, Small().salt())
    hasher = ClinicArgon2PasswordHasher()

    assert hasher.verify(PASSWORD, old)
    assert hasher.must_update(old)
