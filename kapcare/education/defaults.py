"""The education pages a new clinic starts with, written for kapcare's patients. A clinic's
admin or clinician edits them (each edit a new version); these texts are only version 1.

Sources for the facts stated (docs/clinical-reference.md#patient-education): dissociation
and its course — the Spravato (esketamine) label §5.1 and §6 (dissociation and perceptual
changes, starting within minutes and resolving within about two hours) and Dore et al.
2019 (KAP in office practice); a panic attack as the DSM-5 describes it (an abrupt surge
of intense fear peaking within minutes); fasting and the ride home — the day-of checklist
(`episodes.DayOfChecklist`: nothing to eat for 4 hours, no fluids for 2, no driving until
the next day) and the Spravato label §5 (no driving until the next day after a restful
sleep); the room and music — Dore et al. 2019 on set and setting; after-care and
integration — the same label §5 and the clinic's integration sessions
(docs/clinical-reference.md#integration-window).
"""

from kapcare.education.models import Phase

DISSOCIATION = """\
During a dose most people feel **detached** from their body or surroundings. Sounds,
colours and your sense of time can change; your body may feel heavy or light, or seem far
away. This is called **dissociation**. It is an expected effect of ketamine, not a sign
that something is going wrong.

## How long it lasts

It begins within minutes of the dose and fades over the following hour or two. By the
time you go home you will feel like yourself again, if tired.

## Why it is not a panic attack

A panic attack is a sudden surge of intense fear that builds within minutes, with a racing
heart, breathlessness and the feeling that something terrible is about to happen. It comes
from the body's alarm system.

Dissociation is different: it comes from the medicine, and it passes as the medicine wears
off. Many people find it calm or even pleasant; some find it strange. If it feels
frightening, that is a feeling about an unusual experience, and it will pass.

## What helps

- Breathe slowly, in through your nose and out through your mouth.
- Let the experience come and go rather than fighting it.
- **Tell us.** Someone from the clinic is with you or a call away the whole time. Raise
  your hand or say a word; we will check on you and can talk you through it.

We check your blood pressure and heart rate before, during and after the dose.
"""

FASTING_AND_RIDE = """\
## Eating and drinking

- **Nothing to eat for 4 hours** before your dose.
- **Nothing to drink for 2 hours** before it, not even water.

Ketamine can make you feel sick; an empty stomach makes that less likely and keeps you
safe if you vomit while drowsy. Take your usual medicines with a sip of water unless we
told you otherwise, and tell us about any change in your medicines.

## A ride home

Bring an adult who can **take you home** and stay in touch with you for the evening. You
**cannot drive until the next day**, after a night's sleep, even if you feel fine: your
reactions and judgement are slower for longer than you can tell. No cycling either, and
no taxi or ride-share on your own.

We ask you about both when you arrive: we cannot start the dose without them.

## Bring with you

- Comfortable, warm clothes.
- Your glasses, if you wear them, and anything that helps you feel settled.
"""

ROOM_AND_MUSIC = """\
## The room

You will rest in a quiet, private room on a reclining chair, with a blanket and the lights
turned low. A blood-pressure cuff stays on your arm and a small clip on your finger reads
your pulse; they are checked automatically.

## Music and eye shades

We offer **headphones with music** chosen for the session: mostly without words, gentle at
the start, fuller in the middle, quieter as the dose wears off. Many people find that an
**eye mask** helps them turn inward. Both are your choice: you may bring your own music,
or have silence, and you may take them off at any time.

## Who is with you

Someone from the clinic stays with you or close by throughout. In therapy sessions your
therapist may sit with you; before the dose you will agree with them what you want to
focus on.
"""

AFTER_CARE = """\
## For the rest of today

- **Do not drive** or use machinery **until the next day**, after a night's sleep.
- Have your adult with you on the way home and check in with them in the evening.
- Eat something light when you feel ready, drink water, and rest.
- No alcohol, cannabis or sleeping tablets tonight unless your clinician agreed them.
- Do not make big decisions or sign anything important today.

## In the next days: integration

The days after a dose are a good time to make sense of it with your therapist.

- **Write it down** soon, in your journal in this portal or on paper: images, feelings,
  thoughts, even if they seem odd.
- **Keep your integration session** with your therapist.
- Sleep, move, spend time outside; notice what has changed and what you want to keep.

## When to call

Call the clinic if you feel unwell, confused, or low in a way that worries you. If you
have thoughts of harming yourself, call or text **988** (Suicide & Crisis Lifeline, US)
now, or your local emergency number.
"""

# topic -> (phase, position, title, summary, body)
PAGES = {
    "what-a-dose-feels-like": (
        Phase.PREPARATION,
        10,
        "What a dose feels like",
        "Dissociation: what it is, how long it lasts, and why it is not a panic attack.",
        DISSOCIATION,
    ),
    "the-room-and-music": (
        Phase.PREPARATION,
        20,
        "The room and the music",
        "Where you will rest during the dose, the music and eye mask, and who is with you.",
        ROOM_AND_MUSIC,
    ),
    "fasting-and-your-ride-home": (
        Phase.DOSE_DAY,
        30,
        "Fasting and your ride home",
        "When to stop eating and drinking, and why you need someone to take you home.",
        FASTING_AND_RIDE,
    ),
    "after-care": (
        Phase.AFTER_CARE,
        40,
        "After your dose",
        "No driving until the next day, and habits that help you integrate the experience.",
        AFTER_CARE,
    ),
}

AFTER_CARE_TOPIC = "after-care"
