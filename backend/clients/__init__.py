"""API clients: third-party systems with OAuth2 client credentials, scopes and rate limits."""
