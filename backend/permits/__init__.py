"""Permits (perizinan): apply, review in steps, pay, issue a verifiable certificate, expire."""
