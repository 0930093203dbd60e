"""The ``kfleet`` command: one entry point with sub-apps for each part of the system."""
