"""Identity of callers: people (sessions, API tokens) and devices (credentials)."""
