from itertools import product

import pytest

from shared.complaints import (
    CLOCK_PAUSED_STATUSES,
    COMPLAINT_MACHINE,
    FINAL_STATUSES,
    OPEN_STATUSES,
    ComplaintStatus,
    open311_status,
)
from shared.roles import SYSTEM, Role

S = ComplaintStatus
RESIDENT, OFFICER, SUPERVISOR, ADMIN = Role
STAFF = {OFFICER, SUPERVISOR}
ACTORS = [*Role, SYSTEM]
OPEN = {S.SUBMITTED, S.VERIFIED, S.IN_PROGRESS, S.WAITING_REPORTER}
PREVIOUS = "previous"

# The lifecycle as specified: action -> (from statuses, to status, who). None keeps the status.
SPEC = {
    "verify": ({S.SUBMITTED}, S.VERIFIED, STAFF),
    "forward": ({S.SUBMITTED, S.VERIFIED}, S.SUBMITTED, STAFF),
    "start_work": ({S.VERIFIED}, S.IN_PROGRESS, STAFF),
    "request_info": ({S.VERIFIED, S.IN_PROGRESS}, S.WAITING_REPORTER, STAFF),
    "provide_info": ({S.WAITING_REPORTER}, PREVIOUS, {RESIDENT}),
    "resolve": ({S.VERIFIED, S.IN_PROGRESS}, S.RESOLVED, STAFF),
    "reject": ({S.SUBMITTED, S.VERIFIED, S.WAITING_REPORTER}, S.REJECTED, STAFF),
    "mark_duplicate": ({S.SUBMITTED, S.VERIFIED}, S.DUPLICATE, STAFF),
    "close": ({S.RESOLVED}, S.CLOSED, STAFF | {SYSTEM}),
    "reopen": ({S.RESOLVED}, S.VERIFIED, {RESIDENT}),
    "rate": ({S.RESOLVED, S.CLOSED}, None, {RESIDENT}),
    "comment": (OPEN, None, STAFF | {RESIDENT}),
    "claim": (OPEN, None, STAFF),
    "assign": (OPEN, None, {SUPERVISOR}),
}


def test_machine_declares_exactly_the_specified_lifecycle():
    assert list(COMPLAINT_MACHINE.actions) == list(SPEC)
    for action, status, actor in product(SPEC, S, ACTORS):
        sources, target, actors = SPEC[action]
        allowed = status in sources and actor in actors
        assert COMPLAINT_MACHINE.can(action, status, actor) is allowed, (action, status, actor)
        if allowed and target != PREVIOUS:
            assert COMPLAINT_MACHINE.target(action, status, actor) == (target or status)


def test_every_status_takes_part():
    assert COMPLAINT_MACHINE.statuses == set(S)


@pytest.mark.parametrize("paused_from", [S.VERIFIED, S.IN_PROGRESS])
def test_the_reporters_answer_resumes_where_the_complaint_was(paused_from):
    waiting = COMPLAINT_MACHINE.target("request_info", paused_from, OFFICER)
    assert waiting == S.WAITING_REPORTER
    assert COMPLAINT_MACHINE.target("provide_info", waiting, RESIDENT, previous=paused_from) == (
        paused_from
    )


def test_the_reporters_answer_cannot_jump_elsewhere():
    with pytest.raises(ValueError):
        COMPLAINT_MACHINE.target("provide_info", S.WAITING_REPORTER, RESIDENT, previous=S.RESOLVED)


def test_a_complaint_walks_from_report_to_closure():
    walk = [
        ("verify", OFFICER, S.VERIFIED),
        ("start_work", OFFICER, S.IN_PROGRESS),
        ("resolve", OFFICER, S.RESOLVED),
        ("reopen", RESIDENT, S.VERIFIED),
        ("resolve", SUPERVISOR, S.RESOLVED),
        ("rate", RESIDENT, S.RESOLVED),
        ("close", SYSTEM, S.CLOSED),
        ("rate", RESIDENT, S.CLOSED),
    ]
    status = S.SUBMITTED
    for action, actor, expected in walk:
        status = COMPLAINT_MACHINE.target(action, status, actor)
        assert status == expected, action


def test_buttons_for_a_new_complaint():
    assert COMPLAINT_MACHINE.allowed_actions(S.SUBMITTED, OFFICER) == [
        "verify",
        "forward",
        "reject",
        "mark_duplicate",
        "comment",
        "claim",
    ]
    assert COMPLAINT_MACHINE.allowed_actions(S.SUBMITTED, RESIDENT) == ["comment"]
    assert COMPLAINT_MACHINE.allowed_actions(S.RESOLVED, RESIDENT) == ["reopen", "rate"]


def test_residents_cannot_verify_and_officers_cannot_rate():
    assert not COMPLAINT_MACHINE.can("verify", S.SUBMITTED, RESIDENT)
    assert not COMPLAINT_MACHINE.can("rate", S.RESOLVED, OFFICER)


def test_admins_and_the_system_stay_out_of_case_work():
    for status in S:
        assert COMPLAINT_MACHINE.allowed_actions(status, ADMIN) == []
        assert COMPLAINT_MACHINE.allowed_actions(status, SYSTEM) == (
            ["close"] if status == S.RESOLVED else []
        )


def test_final_statuses_never_change():
    for action, status, actor in product(COMPLAINT_MACHINE.actions, FINAL_STATUSES, ACTORS):
        if COMPLAINT_MACHINE.can(action, status, actor):
            assert COMPLAINT_MACHINE.target(action, status, actor) == status


def test_status_groups():
    assert OPEN_STATUSES == OPEN
    assert {S.CLOSED, S.REJECTED, S.DUPLICATE} == FINAL_STATUSES
    assert not OPEN_STATUSES & FINAL_STATUSES
    assert set(S) - OPEN_STATUSES - FINAL_STATUSES == {S.RESOLVED}
    assert {S.WAITING_REPORTER} == CLOCK_PAUSED_STATUSES


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.SUBMITTED, "open"),
        (S.VERIFIED, "open"),
        (S.IN_PROGRESS, "open"),
        (S.WAITING_REPORTER, "open"),
        (S.RESOLVED, "closed"),
        (S.CLOSED, "closed"),
        (S.REJECTED, "closed"),
        (S.DUPLICATE, "closed"),
    ],
)
def test_open311_status(status, expected):
    assert open311_status(status) == expected
