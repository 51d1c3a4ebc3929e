"""Hooks of the suite's own: the closing counts of the API fuzzing run, printed at the end
of the session so the CI log shows how much was exercised."""

import pytest

API_FUZZING_SUMMARY = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(API_FUZZING_SUMMARY, [])
    if lines:
        terminalreporter.section("API fuzzing (schemathesis)")
        for line in lines:
            terminalreporter.write_line(line)
