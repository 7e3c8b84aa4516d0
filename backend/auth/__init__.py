"""Authentication: signed JWTs, rotating refresh tokens in revocable sessions, login throttling."""
