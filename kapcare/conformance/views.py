"""An episode's ASKP3 conformance report, for the clinic and for a referring clinician."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kapcare.conformance.report import episode_conformance
from kapcare.decorators import allowed
from kapcare.episodes.access import get_episode
from kapcare.policy import Action


@allowed(Action.VIEW_CONFORMANCE)
def episode(request: HttpRequest, episode_id) -> HttpResponse:
    episode = get_episode(request, episode_id, Action.VIEW_CONFORMANCE)
    elements = episode_conformance(episode)
    return render(
        request,
        "conformance/episode.html",
        {"episode": episode, "patient": episode.patient, "elements": elements},
    )
