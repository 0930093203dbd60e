"""Fleet domain logic without I/O: site tree, presence, job state machine, routing."""
