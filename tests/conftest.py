"""Closing figures at the end of the pytest report, so the CI log shows how much was
exercised: the API fuzzing run (tests/test_api_schemathesis.py) and the attacker probe
(tests/test_probe.py). Each test hands its figures over in `user_properties`, which
pytest-xdist brings back from its workers (a stash on a worker's config would stay there)."""

from collections import Counter

API_FUZZING = "api_fuzzing"
PROBE = "probe"

GROUP_ORDER = [
    "cross-clinic",
    "cross-role",
    "anonymous",
    "expired-token",
    "unauthorised-therapist",
    "revoked-therapist",
    "scope-lacking-therapist",
    "bad-input",
]


def _properties(terminalreporter, wanted: str) -> dict:
    """{test id: value} of the `wanted` user property, from every report."""
    found = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key == wanted:
                    found[report.nodeid] = value
    return found


def pytest_terminal_summary(terminalreporter):
    fuzzing = _properties(terminalreporter, API_FUZZING)
    if fuzzing:
        terminalreporter.write_sep("-", "API fuzzing (schemathesis)")
        for line in fuzzing.values():
            terminalreporter.write_line(line)
    tallies = _properties(terminalreporter, PROBE)
    if not tallies:
        return
    attempts, leaks, errors = Counter(), 0, 0
    for tally in tallies.values():
        attempts.update(tally["attempts"])
        leaks += len(tally["leaks"])
        errors += len(tally["server_errors"])
    groups = sorted(attempts, key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else 99)
    detail = ", ".join(f"{group} {attempts[group]:,}" for group in groups)
    terminalreporter.write_sep("-", "attacker probe")
    terminalreporter.write_line(
        f"probe: {sum(attempts.values()):,} attempts ({detail}), "
        f"{leaks} leaks, {errors} server errors"
    )
