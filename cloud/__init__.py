"""The central fleet service: REST API, console, MQTT bus worker, job dispatcher, storage.

Cloud code imports ``protocols`` and ``fleet`` only; it never imports the edge agent.
"""
