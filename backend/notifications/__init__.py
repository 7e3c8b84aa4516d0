"""The notification inbox: one entry per event a user should hear about."""
