"""The kfleet device agent: exposes a kiosk's peripherals to the fleet service over MQTT.

Rooms (see ``edge_agent/README.md``): ``link`` (MQTT session, commands decoded once, durable
outbox, round trips, the cloud's clock), ``tele`` (system sampler, batches with their own
timestamps), ``peripherals`` (driver registry, calls, health, events, telemetry), ``jobs``
(at-most-once job execution: runner, workers, journal), ``drivers`` (one module per driver,
each implementing the peripheral interface), ``agent`` (wires them together), ``config``
(TOML → pydantic), ``cli`` (``kfleet agent ...``).
"""

__version__ = "0.1.0"
