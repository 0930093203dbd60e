"""Device enrollment: one-time tokens, the token-for-credentials exchange, rotation and
revocation. Credentials are secrets the device holds (MQTT password = HTTP Basic secret);
the cloud keeps only their SHA-256, and mirrors each change at the broker through a
:class:`~cloud.broker_acl.access.BrokerAccess`.
"""
