"""Shared test helpers, used by the tests and the benchmarks alike: the Bot API double, the real
Application driven against it, the conversation read as a user reads it, the non-editable install."""
