"""Indexes on the complaints table that the Life Room's aggregates need (no tables of its own).

They live beside the queries that use them rather than in the complaints domain: each one
covers every column its query reads, so a million complaints are aggregated from the index
alone (SQLite and PostgreSQL index-only scans) without reading the rows' text and JSON.
"""

from sqlalchemy import Index

from backend.complaints.models import Complaint

complaint = Complaint.__table__

# The grouping columns come first: SQLite then reads each (agency, category, status) group in
# order, seeking the date range within it, and needs no sort; PostgreSQL scans the index only.
STATS_INDEXES = (
    # Complaints filed in a period: counts, on-time share, ratings, times to resolve.
    Index(
        "ix_complaint_stats_filed",
        complaint.c.agency_id,
        complaint.c.category_id,
        complaint.c.status,
        complaint.c.created_at,
        complaint.c.resolved_at,
        complaint.c.due_date,
        complaint.c.rating,
    ),
    # Overdue now: open complaints past their deadline.
    Index(
        "ix_complaint_stats_overdue",
        complaint.c.agency_id,
        complaint.c.category_id,
        complaint.c.status,
        complaint.c.due_date,
    ),
    # Resolved per week.
    Index("ix_complaint_stats_resolved", complaint.c.resolved_at, complaint.c.agency_id),
    # The density grid: a map view's box, filed in a period.
    Index(
        "ix_complaint_stats_map",
        complaint.c.latitude,
        complaint.c.longitude,
        complaint.c.created_at,
        complaint.c.agency_id,
    ),
)
