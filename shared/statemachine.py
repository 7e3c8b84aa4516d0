"""Declarative state machines: which action moves an item between statuses, and who may take it.

The backend asks it before changing anything (and gets `TransitionNotAllowed` otherwise); the app
asks the same machine which action buttons to show, so the two can never disagree.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import Enum

from shared.errors import ErrorCode
from shared.roles import Actor


class History(Enum):
    """A target that depends on the item's past rather than on the declaration."""

    # Back to the status the item had before it entered the source status, e.g. resuming after
    # a pause that can start from several statuses. The caller stores that status and passes it.
    PREVIOUS = "previous"


@dataclass(frozen=True, init=False)
class Transition:
    """`action` moves an item from any of `sources` to `target`, if taken by one of `roles`.

    `target` None means the status stays as it is (a comment, an assignment); `History.PREVIOUS`
    means it returns to where it was before.
    """

    action: str
    sources: frozenset[str]
    target: str | History | None
    roles: frozenset[Actor]

    def __init__(
        self,
        action: str,
        sources: Collection[str],
        target: str | History | None,
        roles: Collection[Actor],
    ) -> None:
        for name, values in (("sources", sources), ("roles", roles)):
            # A bare string would silently become a set of its characters.
            if isinstance(values, str) or not values:
                raise ValueError(f"{action}: {name} must be a non-empty collection")
        # Accept any collection, but keep the declaration immutable.
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "roles", frozenset(roles))


class TransitionNotAllowed(Exception):
    """`role` may not take `action` while the item is in `status` (or the action is unknown)."""

    code = ErrorCode.TRANSITION_NOT_ALLOWED

    def __init__(self, action: str, status: str, role: Actor) -> None:
        super().__init__(f"action {action} is not allowed in status {status} for {role}")
        self.action = action
        self.status = status
        self.role = role


class StateMachine:
    """Answers "may this role take this action now, and where does it lead?"."""

    def __init__(self, transitions: Iterable[Transition]) -> None:
        self._transitions = tuple(transitions)
        self._by_key: dict[tuple[str, str, Actor], Transition] = {}
        for transition in self._transitions:
            for source in transition.sources:
                for role in transition.roles:
                    key = (transition.action, source, role)
                    if key in self._by_key:
                        raise ValueError(
                            f"{transition.action} from {source} for {role} is declared twice"
                        )
                    self._by_key[key] = transition
        # For each status, the statuses a transition can enter it from: the only valid answers
        # to "where was it before?" when resolving History.PREVIOUS.
        self._entered_from: dict[str, set[str]] = {}
        for transition in self._transitions:
            if isinstance(transition.target, str):
                entries = self._entered_from.setdefault(transition.target, set())
                entries.update(transition.sources - {transition.target})
        for transition in self._transitions:
            if transition.target is History.PREVIOUS:
                for source in transition.sources:
                    if not self._entered_from.get(source):
                        raise ValueError(
                            f"{transition.action} returns to the previous status, "
                            f"but nothing leads into {source}"
                        )

    @property
    def statuses(self) -> frozenset[str]:
        """Every status named by a transition."""
        named: set[str] = set()
        for transition in self._transitions:
            named |= transition.sources
            if isinstance(transition.target, str):
                named.add(transition.target)
        return frozenset(named)

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action name, in the order first declared."""
        return tuple(dict.fromkeys(t.action for t in self._transitions))

    def allowed_actions(self, status: str, role: Actor) -> list[str]:
        """Actions `role` may take in `status`, in declaration order (stable for UI buttons)."""
        return [action for action in self.actions if self.can(action, status, role)]

    def can(self, action: str, status: str, role: Actor) -> bool:
        return (action, status, role) in self._by_key

    def target(self, action: str, status: str, role: Actor, *, previous: str | None = None) -> str:
        """The status after `role` takes `action` in `status`.

        `previous` is the status the item had before entering `status`; only actions declared
        with `History.PREVIOUS` use it, and for them it is required.
        """
        transition = self._by_key.get((action, status, role))
        if transition is None:
            raise TransitionNotAllowed(action, status, role)
        if transition.target is None:
            return status
        if transition.target is History.PREVIOUS:
            if previous is None or previous not in self._entered_from[status]:
                raise ValueError(
                    f"{action} from {status} needs the previous status, got {previous}"
                )
            return previous
        return transition.target
