"""The kfleet device agent: exposes a kiosk's peripherals to the fleet service over MQTT.

Layout: ``config`` (TOML → pydantic), ``link`` (MQTT session, birth/state), ``outbox`` +
``publisher`` (durable, ordered delivery of acks/events/telemetry), ``journal`` + ``jobs``
(at-most-once job execution), ``drivers`` (one per peripheral kind), ``agent`` (wires them
together), ``cli`` (``kfleet agent ...``).
"""

__version__ = "0.1.0"
