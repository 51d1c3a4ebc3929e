"""Measures: screening instruments as data and their scoring as pure functions."""
