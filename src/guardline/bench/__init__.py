"""Evaluation harnesses behind ``guardline bench``. They read data from a path given on the command
line (default ``../shared/data``); nothing in the test suite depends on that data."""
