"""The kiosk services of the cloud (issue 14): the service-guide catalogue, appointments, case
progress, convenience queries and the one-time codes that guard queries about a person.

Kiosks call them under ``/api/v1/kiosk/...`` with their device credentials (the kiosk's agent
relays its browser's calls; the browser holds no secret). Outside systems (the city
政务服务平台, departments, the SMS gateway) are one adapter each, with a simulator in
``simulators/``. Personal data is never logged: log lines name a case or a query, never a
person's ID number, name or phone.
"""
