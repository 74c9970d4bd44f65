"""Helpers that start the test session's own servers: SeaweedFS, Redis, PostgreSQL, workers.

Fault tests stop and restart these; the machine's shared PostgreSQL and Redis are never
touched (other suites use them at the same time).
"""
