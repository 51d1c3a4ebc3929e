"""The attacker probe's closing figures at the end of the pytest report (tests/test_probe.py):
each probe test hands its tally over in `user_properties`, which xdist brings back from its
workers."""

from collections import Counter

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


def pytest_terminal_summary(terminalreporter):
    tallies = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key == "probe":
                    tallies[report.nodeid] = value
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
