"""Public information: announcements, agency directory, service catalogue, pages, search.

`models` and `schemas`; `announcements` (and following agencies to hear of them), `catalogue`
(agency directory, services with their FAQs, seeding from the region pack, information pages),
`search` (the index, what each item puts in it, and the hits), `stemming`; `router` (HTTP).
"""
