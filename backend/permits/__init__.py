"""Permits (perizinan): apply, review in steps, pay, issue a verifiable certificate, expire.

Read top to bottom: `models`, `schemas`; `numbering` (registration and permit numbers),
`queries` (who sees what, lists, status as read), `transitions` (the one path of every status
change), `drafting` (the applicant's draft), `workflow` (submission, review, decision,
revocation), `payment` and `issuing`, `scheduled` (the daily job); `deadlines`, `certificates`
and `signing`; then the HTTP side: `dependencies`, `views`, `router`, `verification` and
`register`.

Functions that change data take the session and keyword-only arguments, flush and never
commit: the router (or the CLI) owns the transaction.
"""
