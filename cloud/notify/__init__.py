"""The message service (统一消息服务): alert notifications through channels behind one
interface (signed webhook, MQTT, an SMS/IM gateway), with retries and a record of each send."""
