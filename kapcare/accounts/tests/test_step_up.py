"""Step-up re-authentication: the current authenticator code (or the password of someone
without an app), checked at the moment of an irreversible act."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.audit.log import Actor
from kapcare.refusals import Refused
from tests.factories import PASSWORD
from tests.second_factor import code_for, give_authenticator, unused_code


def refusal(call) -> str:
    with pytest.raises(Refused) as refused:
        call()
    return refused.value.problems[step_up.FIELD]


def test_the_current_code_of_the_app_is_accepted(clinician):
    device = give_authenticator(clinician)

    proof = step_up.reauthenticate(clinician, code_for(device))

    assert (proof.user_id, proof.method) == (clinician.pk, step_up.Method.AUTHENTICATOR)


def test_a_code_already_used_is_refused(clinician):
    device = give_authenticator(clinician)
    code = unused_code(device)
    step_up.reauthenticate(clinician, code)

    assert "already used" in refusal(lambda: step_up.reauthenticate(clinician, code))


def test_someone_with_an_app_cannot_use_the_password_instead(clinician):
    give_authenticator(clinician)

    assert "not right" in refusal(lambda: step_up.reauthenticate(clinician, PASSWORD))


def test_someone_without_an_app_re_enters_the_password(patient_user):
    proof = step_up.reauthenticate(patient_user, PASSWORD)

    assert proof.method == step_up.Method.PASSWORD
    assert refusal(lambda: step_up.reauthenticate(patient_user, "guess")) == (
        "That password is not right."
    )


def test_wrong_codes_make_the_next_try_wait(clinician):
    device = give_authenticator(clinician)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        refusal(lambda: step_up.reauthenticate(clinician, "000000x"))

        message = refusal(lambda: step_up.reauthenticate(clinician, code_for(device)))

    assert "Too many wrong codes" in message


def test_the_service_refuses_without_a_proof(clinician):
    actor = Actor(user=clinician, ip_address=None)

    message = refusal(lambda: step_up.require(None, actor, what="sign the record"))

    assert message == "Re-enter your code to sign the record."


def test_the_service_refuses_someone_elses_proof(clinician, coordinator):
    proof = step_up.reauthenticate(coordinator, PASSWORD)

    refusal(lambda: step_up.require(proof, Actor(clinician, None), what="sign"))


def test_a_proof_cannot_be_kept_for_later(clinician):
    proof = step_up.reauthenticate(clinician, PASSWORD)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3), tick=False):
        message = refusal(lambda: step_up.require(proof, Actor(clinician, None), what="sign"))

    assert "too old" in message
