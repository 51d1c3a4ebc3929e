"""`{% invitation_status profile as status %}`: the state of a directory entry's invitation,
for `therapists/_invitation.html` on the directory's page of one therapist."""

from django import template

from kapcare.therapists import invitations

register = template.Library()


@register.simple_tag
def invitation_status(profile) -> invitations.InvitationStatus:
    return invitations.invitation_status(profile)
