"""Contract shared by the Warga backend and app: enums, state machines, validators, working days."""
