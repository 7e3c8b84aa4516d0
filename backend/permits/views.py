"""The API's views of applications, built for one request: a list's from rows already loaded,
the detail from its three prebuilt statements (`queries.detail_rows`).

One `ApplicationViews` per request takes the region's calendar, the permit types and the agency
codes from the microcache, however many applications a page shows: they are read again only once
a permit type or an agency changes. Statuses are effective ones (see `queries.effective_status`).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.db import table_of, utcnow
from backend.microcache import remember
from backend.notifications.models import Notification
from backend.permits import deadlines, queries
from backend.permits.certificates import verification_url
from backend.permits.models import PermitApplication, PermitCounter, PermitDocument, PermitEvent
from backend.permits.schemas import (
    ApplicationDetail,
    DeadlineView,
    DocumentView,
    EventView,
    InformationRequestView,
    PausePeriod,
    PaymentView,
    PermitTypeRef,
    PermitView,
)
from backend.region.models import Agency, PermitType
from backend.region.pack import DocumentKind, ReviewStep
from backend.region.service import codes
from shared.permits import BLDS_STATUS, PermitStatus
from shared.workdays import local_day_start, to_local_date

_S = PermitStatus
REVIEWING = frozenset({_S.SUBMITTED, _S.IN_REVIEW, _S.NEEDS_INFO})
# Every review step is behind an application in these statuses.
PAST_REVIEW = frozenset({_S.APPROVED, _S.AWAITING_PAYMENT, _S.ISSUED, _S.EXPIRED, _S.REVOKED})


def document_view(document: PermitDocument | Row[Any], kind: DocumentKind) -> DocumentView:
    return DocumentView(
        id=document.id,
        kind=document.kind,
        label=kind.label,
        media_type=document.media_type,
        size_bytes=document.size_bytes,
        pages=document.pages,
        file_name=document.file_name,
        uploaded_at=document.uploaded_at,
    )


@dataclass(frozen=True)
class TypeInfo:
    """What the views show of a permit type, parsed once from its row."""

    ref: PermitTypeRef
    steps: tuple[ReviewStep, ...]
    document_kinds: tuple[DocumentKind, ...]
    deadline_working_days: int


def permit_types(session: Session) -> Mapping[int, TypeInfo]:
    """Every permit type by id, shared read-only between requests until the table is written."""

    def read() -> Mapping[int, TypeInfo]:
        return MappingProxyType(
            {
                t.id: TypeInfo(
                    ref=PermitTypeRef(code=t.code, name=t.name),
                    steps=tuple(t.review_steps()),
                    document_kinds=tuple(t.document_kinds()),
                    deadline_working_days=t.deadline_working_days,
                )
                for t in session.exec(select(PermitType))
            }
        )

    return remember(session, "permits.types", read, tables={table_of(PermitType).name})


# Written beside applications, and never shown in a list's lines (`ApplicationViews.summary`):
# a kept list is not dropped for them.
NOT_IN_SUMMARIES = tuple(
    table_of(model).name for model in (PermitEvent, PermitDocument, PermitCounter, Notification)
)


class ApplicationViews:
    def __init__(self, session: Session, *, base_url: str, now: dt.datetime | None = None) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.region, self.today = queries.local_today(session, now or utcnow())
        self.calendar = deadlines.calendar_around(session, self.today)
        self.permit_types = permit_types(session)
        self.agency_codes = codes(session, Agency)  # kept the same way, by the region service

    @property
    def holds_until(self) -> dt.datetime:
        """Until when what these views show stays true with time alone: deadlines and expiry
        go by the region's calendar day, so the next local midnight."""
        return local_day_start(self.today + dt.timedelta(days=1), self.region.time_zone)

    def _steps(
        self, application: queries.ApplicationLine, permit_type: TypeInfo
    ) -> list[dict[str, Any]]:
        """`StepView` fields, as plain dicts."""
        status = queries.effective_status(application, self.today)
        views = []
        for index, step in enumerate(permit_type.steps):
            if index < application.step_index or status in PAST_REVIEW:
                state = "done"
            elif index == application.step_index and status in REVIEWING:
                state = "current"
            else:
                state = "pending"
            views.append({"code": step.code, "name": step.name, "role": step.role, "state": state})
        return views

    def _clock(self, application: queries.ApplicationLine) -> deadlines.ClockReading:
        return deadlines.read_clock(
            self.calendar,
            status=application.status,
            due_on=application.due_on,
            paused=application.paused_at is not None,
            today=self.today,
        )

    def _pauses(self, application: Row[Any]) -> list[PausePeriod]:
        """Finished pauses, then the one running now (its length is known on resubmission)."""
        pauses = [PausePeriod(**pause) for pause in application.pauses]
        if application.paused_at is not None:
            paused_on = to_local_date(application.paused_at, self.region.time_zone)
            pauses.append(PausePeriod(paused_on=paused_on, resumed_on=None, working_days=None))
        return pauses

    def summary(self, application: queries.ApplicationLine) -> dict[str, Any]:
        """`ApplicationSummary` fields, as a plain dict (see `responses.rows_response`)."""
        permit_type = self.permit_types[application.permit_type_id]
        status = queries.effective_status(application, self.today)
        current = next(
            (s for s in self._steps(application, permit_type) if s["state"] == "current"), None
        )
        clock = self._clock(application)
        return {
            "id": application.id,
            "registration_number": application.registration_number,
            "permit_type": permit_type.ref,
            "agency_code": self.agency_codes[application.agency_id],
            "status": status,
            "blds_status": BLDS_STATUS.get(status),
            "current_step": current,
            "assignee_id": application.assignee_id,
            "version": application.version,
            "submitted_at": application.submitted_at,
            "due_on": application.due_on,
            "due_soon": clock.due_soon,
            "overdue": clock.overdue,
            "created_at": application.created_at,
        }

    def detail(self, application_id: int, *, viewer: User) -> ApplicationDetail | None:
        """The application as `viewer` sees it; None when they may not read it (or there is
        none)."""
        rows = queries.detail_rows(self.session, application_id, viewer=viewer)
        return self._detail(rows) if rows is not None else None

    def detail_after(self, application: PermitApplication, *, viewer: User) -> ApplicationDetail:
        """The application a write just changed (and its loader let `viewer` act on), as they
        see it: the changes are flushed so that the detail's statements read them."""
        self.session.flush()
        rows = queries.detail_rows(self.session, application.id, viewer=viewer, readable=False)
        assert rows is not None
        return self._detail(rows)

    def _detail(self, rows: queries.DetailRows) -> ApplicationDetail:
        application = rows.application
        permit_type = self.permit_types[application.permit_type_id]
        kinds = {kind.code: kind for kind in permit_type.document_kinds}
        clock = self._clock(application)
        return ApplicationDetail(
            **self.summary(application),
            applicant_name=application.applicant_name,
            answers=application.answers,
            steps=self._steps(application, permit_type),
            deadline=DeadlineView(
                working_days=permit_type.deadline_working_days,
                due_on=application.due_on,
                paused=clock.paused,
                paused_working_days=application.paused_working_days,
                pauses=self._pauses(application),
                working_days_left=clock.working_days_left,
                due_soon=clock.due_soon,
                overdue=clock.overdue,
            ),
            information_request=(
                InformationRequestView(
                    fields=application.requested_fields,
                    documents=application.requested_documents,
                )
                if application.status == _S.NEEDS_INFO
                else None
            ),
            documents=[
                document_view(document, kinds[document.kind])
                for document in rows.documents
                if document.kind in kinds  # a kind the region pack has since dropped
            ],
            timeline=[EventView(**event._asdict()) for event in rows.timeline],
            payment=(
                PaymentView(
                    amount=application.fee_amount,
                    reference=application.payment_reference,
                    receipt_number=application.payment_receipt,
                    paid_amount=application.paid_amount,
                    paid_on=application.paid_on,
                )
                if application.fee_amount is not None
                else None
            ),
            permit=self._permit(application),
            renewal_of=application.renewal_of,
        )

    def _permit(self, application: Row[Any]) -> PermitView | None:
        # A permit number, issue time and verification code are given together when it is issued.
        if application.permit_number is None or application.verification_code is None:
            return None
        return PermitView(
            permit_number=application.permit_number,
            issued_at=application.issued_at,
            valid_from=application.valid_from,
            valid_until=application.valid_until,
            verification_code=application.verification_code,
            verification_url=verification_url(self.base_url, application.verification_code),
            certificate_url=(
                f"{self.base_url}/api/v1/permits/applications/{application.id}/certificate"
            ),
            revoked_at=application.revoked_at,
            revocation_reason=application.revocation_reason,
        )
