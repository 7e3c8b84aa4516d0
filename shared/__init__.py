"""Contract shared by the Warga backend and app: enums, state machines, validators, input limits,
working days."""
