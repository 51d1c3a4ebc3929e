"""The demo's shared secrets: one password for every demo sign-in, and one authenticator
key for everyone who signs in with two factors (staff and the therapist). Known on purpose:
the demo only runs with DEBUG on."""

PASSWORD = "kapcare-demo"
# 20 bytes, RFC 4226's recommended key length; printed by `manage.py demo` and in the README.
AUTHENTICATOR_KEY = b"kapcare-demo-2fa-key".hex()
