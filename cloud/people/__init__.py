"""People: passwords, the users service, console logins with lock-out, and API tokens.

The REST routers (``cloud/api/auth.py``, ``users.py``, ``tokens.py``) and the first-admin CLI
(``cloud/cli_admin.py``) are thin layers over these modules.
"""
