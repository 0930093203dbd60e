"""The jobs room: runner, job kinds, journal, movable-job confirmation, salvage of bad
commands, copy page, blob transfer and A4 documents (at most once per job id)."""
