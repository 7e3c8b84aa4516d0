"""Accounts: residents who register themselves, staff created by admins, and their profiles."""
