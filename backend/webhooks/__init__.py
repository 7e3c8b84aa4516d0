"""Signed webhooks (Standard Webhooks): subscriptions, an outbox written with each change, and
delivery workers inside every server process."""
