"""Utility payments at the kiosk (水电气固话): orders, the payment channels (Alipay, ICBC, CCB),
their notifications, refunds and the daily reconciliation (issue 15)."""
