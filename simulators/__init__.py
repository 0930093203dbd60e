"""kfleet simulators package."""
