"""The peripherals room: the interface every driver implements, the lazy registry that builds
drivers from config, peripheral calls, input events and telemetry counters."""
