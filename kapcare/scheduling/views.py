"""The coordinator's day and week views, the admin's rooms, and clinicians' working hours and
time off.

The schedule pages name patients, so each logs one "listed" row per patient shown
(`record_list_access`) and runs a fixed number of queries (`schedule`). Every write goes
through `services`, which logs it in its transaction. Plain links and forms throughout:
nothing is dragged, everything is reachable from the keyboard.
"""

from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor, record_list_access
from kapcare.decorators import allowed
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.refusals import submit
from kapcare.scheduling import grid, rules, schedule, services
from kapcare.scheduling.forms import RoomForm, ScheduleQueryForm, TimeOffForm, WorkingHoursForm
from kapcare.scheduling.models import AppointmentStatus, Room, TimeOff, WorkingHours

# --- Day and week -----------------------------------------------------------------------------


def _query(request: HttpRequest):
    """The day asked for (default: today in the clinic) and the view; a form that shows
    what was asked, or the problem with it."""
    clinic = request.user.clinic
    asked = ScheduleQueryForm(request.GET)
    day, by = asked.chosen(timezone.localdate(timezone=clinic.zone))
    form = asked if asked.errors else ScheduleQueryForm(initial={"date": day, "by": by})
    return clinic, day, by, form


def _link(name: str, day, by: str) -> str:
    return f"{reverse(name)}?date={day:%Y-%m-%d}&by={by}"


@allowed(Action.VIEW_CLINIC_CALENDAR)
def day(request: HttpRequest) -> HttpResponse:
    """One day of the clinic per room (or clinician): appointments and free gaps."""
    clinic, day, by, form = _query(request)
    columns, appointments = schedule.day_schedule(clinic, day, by)
    record_list_access(Actor.from_request(request), schedule.patients_shown(appointments))
    columns, window = grid.day_grid(columns, day, clinic.zone)
    return render(
        request,
        "scheduling/day.html",
        {
            "form": form,
            "day": day,
            "by": by,
            "columns": columns,
            "window": window,
            "is_by_room": by == schedule.BY_ROOM,
            "previous_url": _link("scheduling:day", day - timedelta(days=1), by),
            "next_url": _link("scheduling:day", day + timedelta(days=1), by),
            "week_url": _link("scheduling:week", day, by),
            "other_view_url": _link("scheduling:day", day, _other(by)),
            "is_today": day == timezone.localdate(timezone=clinic.zone),
        },
    )


@allowed(Action.VIEW_CLINIC_CALENDAR)
def week(request: HttpRequest) -> HttpResponse:
    """The week (Monday to Sunday) that holds the day asked for, per room (or clinician)."""
    clinic, day, by, form = _query(request)
    days = rules.week_of(day)
    columns, appointments = schedule.week_schedule(clinic, days, by)
    record_list_access(Actor.from_request(request), schedule.patients_shown(appointments))
    columns, window = grid.week_grid(columns, days, clinic.zone)
    links = [(d, _link("scheduling:day", d, by)) for d in days]
    for column in columns:
        column.week = [(d, url, cells) for (d, url), cells in zip(links, column.days, strict=True)]
    return render(
        request,
        "scheduling/week.html",
        {
            "form": form,
            "days": links,
            "by": by,
            "columns": columns,
            "window": window,
            "is_by_room": by == schedule.BY_ROOM,
            "previous_url": _link("scheduling:week", days[0] - timedelta(days=7), by),
            "next_url": _link("scheduling:week", days[0] + timedelta(days=7), by),
            "other_view_url": _link("scheduling:week", day, _other(by)),
        },
    )


def _other(by: str) -> str:
    return schedule.BY_CLINICIAN if by == schedule.BY_ROOM else schedule.BY_ROOM


# --- Rooms ------------------------------------------------------------------------------------


def _clinic_room(request: HttpRequest, room_id) -> Room:
    room = Room.objects.filter(
        clinic_id=request.user.clinic_id, external_id=parse_external_id(room_id)
    ).first()
    if room is None:
        raise Http404("No such room.")
    return room


@allowed(Action.MANAGE_ROOMS)
def rooms(request: HttpRequest) -> HttpResponse:
    """The clinic's rooms, with how many appointments each holds from now on; add one."""
    clinic = request.user.clinic
    form = RoomForm(request.POST or None)

    def write(data):
        return services.save_room(actor=Actor.from_request(request), clinic=clinic, **data)

    room = submit(form, write) if request.method == "POST" else None
    if room is not None:
        messages.success(request, f"{room.name} added.")
        return redirect("scheduling:rooms")
    upcoming = Q(
        appointments__status=AppointmentStatus.BOOKED,
        appointments__ends_at__gt=timezone.now(),
    )
    listed = Room.objects.filter(clinic_id=clinic.pk).annotate(
        upcoming_count=Count("appointments", filter=upcoming)
    )
    return render(request, "scheduling/rooms.html", {"rooms": listed, "form": form})


@allowed(Action.MANAGE_ROOMS)
def room_edit(request: HttpRequest, room_id) -> HttpResponse:
    """Rename a room or mark it no longer in use. Rooms are not deleted: past appointments
    and sessions point at them."""
    room = _clinic_room(request, room_id)
    initial = {
        "name": room.name,
        "is_active": room.is_active,
        "monitor_device_id": room.monitor_device_id,
    }
    form = RoomForm(request.POST or None, initial=initial)

    def write(data):
        return services.save_room(
            actor=Actor.from_request(request),
            clinic=request.user.clinic,
            room=room,
            **data,
        )

    if request.method == "POST" and submit(form, write) is not None:
        messages.success(request, f"{room.name} saved.")
        return redirect("scheduling:rooms")
    return render(request, "scheduling/room_edit.html", {"room": room, "form": form})


# --- Working hours and time off ---------------------------------------------------------------


def _clinicians(request: HttpRequest) -> list:
    return list(
        User.objects.filter(
            clinic_id=request.user.clinic_id, role=Role.CLINICIAN, is_active=True
        ).order_by("full_name")
    )


def _chosen_clinician(request: HttpRequest, clinicians: list):
    """The clinician named by `?clinician=` (one of the clinic's, else 404), or the first."""
    asked = request.GET.get("clinician")
    if not asked:
        return clinicians[0] if clinicians else None
    external_id = parse_external_id(asked)
    for clinician in clinicians:
        if clinician.external_id == external_id:
            return clinician
    raise Http404("No such clinician.")


@allowed(Action.MANAGE_WORKING_HOURS)
def working_hours(request: HttpRequest) -> HttpResponse:
    """A clinician's weekly hours (add or remove a shift) and time off (record, list the
    upcoming, take back). Each form posts on its own, so an error in one keeps what was
    typed in it and leaves the rest as stored."""
    clinicians = _clinicians(request)
    clinician = _chosen_clinician(request, clinicians)
    action = request.POST.get("action") if request.method == "POST" else None
    hours_form = WorkingHoursForm(request.POST if action == "add_hours" else None, prefix="hours")
    away_form = TimeOffForm(request.POST if action == "add_time_off" else None, prefix="away")
    if clinician is not None and action:
        done = _change_availability(request, clinician, action, hours_form, away_form)
        if done:
            url = reverse("scheduling:working_hours")
            return redirect(f"{url}?clinician={clinician.external_id}")
    context = {
        "clinicians": clinicians,
        "clinician": clinician,
        "hours_form": hours_form,
        "away_form": away_form,
    }
    if clinician is not None:
        context["shifts"] = WorkingHours.objects.filter(clinician_id=clinician.pk)
        context["time_off"] = TimeOff.objects.filter(
            clinician_id=clinician.pk, ends_at__gt=timezone.now()
        )
    return render(request, "scheduling/working_hours.html", context)


def _change_availability(request, clinician, action, hours_form, away_form) -> bool:
    """Carry out the posted `action`; True when it was done (the page then redirects)."""
    actor = Actor.from_request(request)
    name = clinician.full_name
    if action == "remove_hours":
        shift = _owned(WorkingHours.objects.filter(clinician_id=clinician.pk), request, "shift")
        services.remove_working_hours(actor=actor, shift=shift)
        messages.success(request, f"{shift} removed from {name}'s hours.")
        return True
    if action == "remove_time_off":
        time_off = (
            TimeOff.objects.filter(
                clinician_id=clinician.pk,
                external_id=parse_external_id(request.POST.get("time_off")),
            )
            .select_related("clinician")
            .first()
        )
        if time_off is None:
            raise Http404("No such time off.")
        services.remove_time_off(actor=actor, time_off=time_off)
        messages.success(request, f"Time off taken back for {name}.")
        return True
    form = hours_form if action == "add_hours" else away_form
    if action not in {"add_hours", "add_time_off"}:
        return False
    add = services.add_working_hours if action == "add_hours" else services.add_time_off
    added = submit(form, lambda data: add(actor=actor, clinician=clinician, **data))
    if added is None:
        return False
    if action == "add_hours":
        messages.success(request, f"Shift added to {name}'s hours.")
    else:
        messages.success(request, f"Time off recorded for {name}.")
        booked = services.booked_during(clinician, added.starts_at, added.ends_at).count()
        if booked:
            messages.warning(
                request,
                f"{name} has {booked} appointment{'s' if booked != 1 else ''} booked in that "
                "time. To free it, open each patient's episode, record the session as "
                "cancelled (“Record”) and plan it again at another time.",
            )
    return True


def _owned(queryset, request, key):
    """The record of `queryset` whose id is posted as `key`, or 404."""
    raw = request.POST.get(key, "")
    found = None
    if raw.isdigit():
        found = queryset.filter(pk=int(raw)).select_related("clinician").first()
    if found is None:
        raise Http404("No such record.")
    return found
