"""Who may read and who may change which announcement, decided once, as SQL conditions.

* `published(now)`: what everyone reads (the list, one announcement, its image, search hits),
  logged in or not, whatever their role: published by `now` and not yet expired. Nobody reads a
  draft or an expired announcement through the API; writers change them by id.
* `writable_by(writer)`: an admin changes any announcement, a supervisor their agency's.
"""

import datetime as dt

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import col

from backend.callers import Caller, caller_agency_id
from backend.information.models import Announcement
from shared.roles import Role


def published(now: dt.datetime) -> ColumnElement[bool]:
    return and_(
        col(Announcement.publish_at) <= now,
        or_(col(Announcement.expires_at).is_(None), col(Announcement.expires_at) > now),
    )


def writable_by(writer: Caller) -> ColumnElement[bool]:
    if writer.role == Role.ADMIN:
        return true()
    if writer.role == Role.SUPERVISOR:
        return col(Announcement.agency_id) == caller_agency_id(writer)
    return false()
