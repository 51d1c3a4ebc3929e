"""How a signer re-authenticated, in words: `{{ record.signed_with|confirmed_with }}` →
“their password and authenticator code” (`accounts.step_up.describe`)."""

from django import template

from kapcare.accounts import step_up

register = template.Library()


@register.filter
def confirmed_with(method: str) -> str:
    return step_up.describe(method)
