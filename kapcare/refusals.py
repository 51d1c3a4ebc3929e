"""How a service refuses a change the rules do not allow, and how a page shows it: one
message per field, at the field, so that nothing the user typed is lost."""


class Refused(Exception):
    """A change the rules do not allow. `problems` maps a field name ("__all__" for the
    whole form) to a message fit to show the user there."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(" ".join(problems.values()))


def add_problems(form, problems: dict[str, str]) -> None:
    """Put each of a refusal's problems on `form`: at its field when the form has one,
    at the top of the form otherwise."""
    for name, message in problems.items():
        form.add_error(name if name in form.fields else None, message)
