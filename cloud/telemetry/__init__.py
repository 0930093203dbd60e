"""Telemetry in the cloud: validated points from the agents' ``tele`` batches, written through a
bounded buffer to a time-series store (the SQL default, or any store that takes InfluxDB v2
writes), and read back as series for charts, alerts and exports (issue 12)."""
