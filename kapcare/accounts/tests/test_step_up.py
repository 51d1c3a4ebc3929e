"""Step-up re-authentication: the password, and the current authenticator code of someone
with an app, both checked at the moment of an irreversible act."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.audit.log import Actor
from kapcare.refusals import Refused
from tests.factories import PASSWORD
from tests.second_factor import code_for, give_authenticator, unused_code


def refusal(call) -> dict[str, str]:
    with pytest.raises(Refused) as refused:
        call()
    return refused.value.problems


def test_the_password_and_the_current_code_of_the_app_are_accepted(clinician):
    device = give_authenticator(clinician)

    proof = step_up.reauthenticate(clinician, PASSWORD, code_for(device))

    assert (proof.user_id, proof.method) == (clinician.pk, "password+code")


def test_a_wrong_password_is_refused_at_the_password_without_using_the_code(clinician):
    device = give_authenticator(clinician)
    code = unused_code(device)

    problems = refusal(lambda: step_up.reauthenticate(clinician, "not it", code))

    assert problems == {step_up.FIELD: "That password is not right."}
    assert step_up.reauthenticate(clinician, PASSWORD, code).method == "password+code"


def test_someone_with_an_app_cannot_leave_out_the_code(clinician):
    give_authenticator(clinician)

    problems = refusal(lambda: step_up.reauthenticate(clinician, PASSWORD))

    assert set(problems) == {step_up.CODE_FIELD}


def test_someone_with_an_app_cannot_use_the_code_alone(clinician):
    device = give_authenticator(clinician)

    problems = refusal(lambda: step_up.reauthenticate(clinician, "", code_for(device)))

    assert problems == {step_up.FIELD: "That password is not right."}


def test_a_code_already_used_is_refused(clinician):
    device = give_authenticator(clinician)
    code = unused_code(device)
    step_up.reauthenticate(clinician, PASSWORD, code)

    problems = refusal(lambda: step_up.reauthenticate(clinician, PASSWORD, code))

    assert "already used" in problems[step_up.CODE_FIELD]


def test_someone_without_an_app_re_enters_the_password(patient_user):
    proof = step_up.reauthenticate(patient_user, PASSWORD)

    assert proof.method == step_up.Method.PASSWORD
    assert refusal(lambda: step_up.reauthenticate(patient_user, "guess")) == {
        step_up.FIELD: "That password is not right."
    }


def test_wrong_codes_make_the_next_try_wait(clinician):
    device = give_authenticator(clinician)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        refusal(lambda: step_up.reauthenticate(clinician, PASSWORD, "000000x"))

        problems = refusal(lambda: step_up.reauthenticate(clinician, PASSWORD, code_for(device)))

    assert "Too many wrong codes" in problems[step_up.CODE_FIELD]


@pytest.mark.parametrize(
    ("method", "words"),
    [
        ("password+code", "their password and authenticator code"),
        ("password", "their password"),
        ("authenticator", "their authenticator code"),
        ("", ""),
    ],
)
def test_how_a_signer_confirmed_reads_in_words(method, words):
    assert step_up.describe(method) == words


def test_the_service_refuses_without_a_proof(clinician):
    actor = Actor(user=clinician, ip_address=None)

    problems = refusal(lambda: step_up.require(None, actor, what="sign the record"))

    assert problems == {step_up.FIELD: "Re-enter your password to sign the record."}


def test_the_service_refuses_someone_elses_proof(clinician, coordinator):
    proof = step_up.reauthenticate(coordinator, PASSWORD)

    refusal(lambda: step_up.require(proof, Actor(clinician, None), what="sign"))


def test_a_proof_cannot_be_kept_for_later(clinician):
    proof = step_up.reauthenticate(clinician, PASSWORD)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3), tick=False):
        problems = refusal(lambda: step_up.require(proof, Actor(clinician, None), what="sign"))

    assert "too old" in problems[step_up.FIELD]
