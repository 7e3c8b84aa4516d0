import pytest

from shared.errors import ErrorCode
from shared.roles import SYSTEM, Role
from shared.statemachine import History, StateMachine, Transition, TransitionNotAllowed

RESIDENT, OFFICER = Role.RESIDENT, Role.OFFICER

# A toy ticket: declared "zeta" first to show that order follows the declaration, not the alphabet.
TICKET = StateMachine(
    [
        Transition("zeta", {"open"}, "done", {OFFICER}),
        Transition("alpha", {"open", "held"}, None, {OFFICER, RESIDENT}),
        Transition("hold", {"open", "working", "held"}, "held", {OFFICER}),
        Transition("release", {"held"}, History.PREVIOUS, {RESIDENT}),
        Transition("work", {"open"}, "working", {OFFICER}),
        Transition("tidy", {"done"}, None, {SYSTEM}),
    ]
)


def test_allowed_actions_follow_declaration_order():
    assert TICKET.allowed_actions("open", OFFICER) == ["zeta", "alpha", "hold", "work"]
    assert TICKET.allowed_actions("open", RESIDENT) == ["alpha"]
    assert TICKET.allowed_actions("held", RESIDENT) == ["alpha", "release"]
    assert TICKET.allowed_actions("nowhere", OFFICER) == []


def test_target_without_a_status_change_keeps_the_status():
    assert TICKET.target("alpha", "held", RESIDENT) == "held"
    assert TICKET.target("zeta", "open", OFFICER) == "done"


def test_roles_are_checked_and_the_system_is_an_actor_of_its_own():
    assert TICKET.can("tidy", "done", SYSTEM)
    assert not TICKET.can("tidy", "done", OFFICER)
    assert not TICKET.can("zeta", "open", SYSTEM)
    # Stored plain strings work as well as enum members.
    assert TICKET.can("zeta", "open", "officer")


def test_a_refused_transition_says_what_was_refused():
    with pytest.raises(TransitionNotAllowed) as caught:
        TICKET.target("zeta", "open", RESIDENT)
    error = caught.value
    assert (error.action, error.status, error.role) == ("zeta", "open", RESIDENT)
    assert error.code is ErrorCode.TRANSITION_NOT_ALLOWED
    assert str(error) == "action zeta is not allowed in status open for resident"


def test_an_unknown_action_is_refused():
    with pytest.raises(TransitionNotAllowed):
        TICKET.target("explode", "open", OFFICER)


@pytest.mark.parametrize("previous", ["open", "working"])
def test_previous_returns_to_where_the_item_was(previous):
    assert TICKET.target("release", "held", RESIDENT, previous=previous) == previous


@pytest.mark.parametrize("previous", [None, "done", "held"])
def test_previous_must_be_a_status_that_leads_there(previous):
    with pytest.raises(ValueError, match="needs the previous status"):
        TICKET.target("release", "held", RESIDENT, previous=previous)


def test_statuses_and_actions():
    assert TICKET.statuses == {"open", "held", "working", "done"}
    assert TICKET.actions == ("zeta", "alpha", "hold", "release", "work", "tidy")


def test_the_same_action_source_and_role_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        StateMachine(
            [
                Transition("close", {"open", "held"}, "done", {OFFICER}),
                Transition("close", {"held"}, "archived", {OFFICER, RESIDENT}),
            ]
        )


def test_the_same_action_may_be_split_over_disjoint_declarations():
    machine = StateMachine(
        [
            Transition("close", {"open"}, "done", {OFFICER}),
            Transition("close", {"open"}, "done", {SYSTEM}),
        ]
    )
    assert machine.actions == ("close",)
    assert machine.allowed_actions("open", SYSTEM) == ["close"]


def test_previous_needs_something_leading_into_the_source():
    with pytest.raises(ValueError, match="nothing leads into held"):
        StateMachine([Transition("release", {"held"}, History.PREVIOUS, {RESIDENT})])


@pytest.mark.parametrize(
    ("sources", "roles"),
    [("open", {OFFICER}), (set(), {OFFICER}), ({"open"}, set())],
)
def test_transitions_need_collections_of_sources_and_roles(sources, roles):
    with pytest.raises(ValueError, match="non-empty collection"):
        Transition("close", sources, "done", roles)
