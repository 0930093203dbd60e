"""The agent's telemetry: system sampler, per-peripheral state, and the batcher that sends
every period's points through the outbox (``docs/agent-telemetry.md``)."""
