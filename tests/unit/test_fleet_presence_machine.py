"""Stateful test of device presence (``fleet.presence``) against the world that feeds it.

The machine simulates one device, the broker and the cloud's MQTT connection, and feeds the
cloud's presence exactly the messages it could receive (docs/protocol.md §5):

- a **connect** starts session ``bd_seq`` = n + 1: retained ``birth(n)``, then retained
  ``state(online, n)``;
- a **crash** ends the session silently; the broker fires its **will** ``state(offline, n)``
  (retained) later, possibly after the device has reconnected (a *late will*); a device that
  sees the late will on its own state topic publishes its online state again;
- an **orderly stop** publishes ``state(offline, n)`` itself;
- the **cloud** may lose its connection (it misses what is published meanwhile: clean
  session) and, on reconnecting, receives the retained birth and the retained state — in
  either order, MQTT orders nothing across topics.

Next to ``fleet.presence`` runs a reference model written from §5: "a birth makes its
``bd_seq`` the device's current session and the device online — unless an offline ``state``
for that very ``bd_seq`` was already seen; a ``state`` counts only if its ``bd_seq`` equals the
current session's".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from fleet.presence import UNKNOWN, Presence, on_birth, on_state


@dataclass(frozen=True, slots=True)
class Birth:
    bd_seq: int


@dataclass(frozen=True, slots=True)
class State:
    online: bool
    bd_seq: int


Message = Birth | State


def shown(p: Presence) -> tuple[bool, int | None]:
    """What the cloud shows and routes by (other fields are the model's own memory)."""
    return p.online, p.bd_seq


@dataclass
class Reference:
    """§5 as written: every session seen to end is remembered, not just the current one."""

    online: bool = False
    current: int | None = None
    ended: set[int] = field(default_factory=set)

    def receive(self, msg: Message) -> None:
        if isinstance(msg, Birth):
            self.current = msg.bd_seq
            # the newest birth names the device's session; if that one already ended, the
            # device is offline (the birth is a retained copy redelivered after its end)
            self.online = msg.bd_seq not in self.ended
        elif not msg.online:
            self.ended.add(msg.bd_seq)
            if msg.bd_seq == self.current:
                self.online = False
        elif msg.bd_seq == self.current and msg.bd_seq not in self.ended:
            self.online = True


class PresenceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.next_bd_seq = 0
        self.alive: int | None = None  # the device's session, if it is connected
        self.pending_wills: set[int] = set()  # crashed sessions the broker has not noticed
        self.latest: int | None = None  # the device's newest session (alive or not)
        self.published_end: set[int] = set()  # sessions whose offline state was published
        self.retained_birth: int | None = None
        self.retained_state: State | None = None
        self.cloud_connected = True
        #: the cloud has been connected since the newest session began: it saw all of it
        self.cloud_saw_latest = True
        self.presence = UNKNOWN
        self.reference = Reference()

    # -- delivery to the cloud -------------------------------------------------------------

    def publish(self, msg: Message) -> None:
        if isinstance(msg, Birth):
            self.retained_birth = msg.bd_seq
        else:
            self.retained_state = msg
            if not msg.online:
                self.published_end.add(msg.bd_seq)
        if self.cloud_connected:
            self.receive(msg)

    def receive(self, msg: Message) -> None:
        before = self.presence
        if isinstance(msg, Birth):
            ended = msg.bd_seq in self.reference.ended
            new = on_birth(before, msg.bd_seq)
            if new is not None:
                self.presence = new
            if not ended:  # the newest birth wins
                assert shown(self.presence) == (True, msg.bd_seq), (before, msg)
        else:
            new = on_state(before, msg.online, msg.bd_seq)
            if new is not None:
                self.presence = new
            if msg.bd_seq != before.bd_seq and before.bd_seq is not None:
                # a state about another session (a late will) changes nothing
                assert shown(self.presence) == shown(before), (before, msg)
        self.reference.receive(msg)

    # -- the device --------------------------------------------------------------------------

    @precondition(lambda self: self.alive is None)
    @rule()
    def connect(self) -> None:
        n = self.next_bd_seq
        self.next_bd_seq += 1
        self.alive = self.latest = n
        self.cloud_saw_latest = self.cloud_connected
        self.publish(Birth(n))
        self.publish(State(True, n))

    @precondition(lambda self: self.alive is not None)
    @rule()
    def crash(self) -> None:
        assert self.alive is not None
        self.pending_wills.add(self.alive)
        self.alive = None

    @precondition(lambda self: self.alive is not None)
    @rule()
    def stop(self) -> None:
        assert self.alive is not None
        n, self.alive = self.alive, None
        self.publish(State(False, n))

    @precondition(lambda self: bool(self.pending_wills))
    @rule(data=st.data())
    def broker_fires_a_will(self, data: st.DataObject) -> None:
        n = data.draw(st.sampled_from(sorted(self.pending_wills)), label="will of session")
        self.pending_wills.discard(n)
        self.publish(State(False, n))
        if self.alive is not None and self.alive != n:
            # the device sees a late will on its own state topic and says online again
            self.publish(State(True, self.alive))

    # -- the cloud's connection ---------------------------------------------------------------

    @precondition(lambda self: self.cloud_connected)
    @rule()
    def cloud_disconnects(self) -> None:
        self.cloud_connected = False
        self.cloud_saw_latest = False

    @precondition(lambda self: not self.cloud_connected)
    @rule(birth_first=st.booleans())
    def cloud_reconnects(self, birth_first: bool) -> None:
        """The retained birth and state arrive, in an order MQTT does not promise."""
        self.cloud_connected = True
        retained: list[Message] = []
        if self.retained_birth is not None:
            retained.append(Birth(self.retained_birth))
        if self.retained_state is not None:
            retained.insert(0 if not birth_first else len(retained), self.retained_state)
        for msg in retained:
            self.receive(msg)
        state = self.retained_state
        if state is not None and state.bd_seq == self.retained_birth:
            # the retained pair is about one session: it is the truth the broker holds
            assert self.presence.online == state.online, (retained, self.presence)

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def an_ended_session_is_never_online(self) -> None:
        p = self.presence
        assert not (p.online and p.bd_seq in self.reference.ended), (p, self.reference)

    @invariant()
    def online_as_the_reference_says(self) -> None:
        assert self.presence.online == self.reference.online, (self.presence, self.reference)

    @invariant()
    def a_cloud_that_saw_the_whole_session_knows_the_truth(self) -> None:
        """Connected since the newest session began: online iff its end was not published
        (a crashed session stays online until the broker fires its will)."""
        if self.cloud_connected and self.cloud_saw_latest and self.latest is not None:
            assert self.presence.online == (self.latest not in self.published_end)
            assert self.presence.bd_seq == self.latest


PresenceMachine.TestCase.settings = settings(
    max_examples=400, stateful_step_count=40, deadline=None, derandomize=False
)
TestPresenceMachine = PresenceMachine.TestCase


# -- the per-message rules, for any message stream ------------------------------------------

presences = st.builds(Presence, online=st.booleans(), bd_seq=st.none() | st.integers(0, 5)).filter(
    lambda p: p.bd_seq is not None or not p.online
)


@given(current=presences, bd_seq=st.integers(0, 5))
def test_a_birth_makes_its_session_current_unless_it_ended(current: Presence, bd_seq: int) -> None:
    new = on_birth(current, bd_seq)
    assert on_birth(current, bd_seq) == new  # pure
    if current.bd_seq == bd_seq and not current.online:
        assert new is None
    else:
        assert new is not None and shown(new) == (True, bd_seq)


@given(current=presences, online=st.booleans(), bd_seq=st.integers(0, 5))
def test_a_state_counts_only_for_the_current_session(
    current: Presence, online: bool, bd_seq: int
) -> None:
    new = on_state(current, online, bd_seq)
    assert on_state(current, online, bd_seq) == new  # pure
    if current.bd_seq is not None and bd_seq != current.bd_seq:
        # a late will, or an old session's online: what the cloud shows does not change
        assert new is None or shown(new) == shown(current)
    elif new is not None:
        assert shown(new) == (online, bd_seq) != shown(current)
    if current.bd_seq is None and online:
        assert new is None  # online without a birth is not trusted


# -- the minimal failing example, as a plain test ------------------------------------------


def test_a_retained_birth_after_its_own_will_does_not_bring_the_device_back() -> None:
    """The cloud knew session 3; while it was disconnected the device connected as session 4
    and died. On reconnect the broker delivers the retained ``state(offline, 4)`` and then the
    retained ``birth(4)`` (MQTT orders nothing across topics): the device is offline, and §5
    says so ("unless an offline state for that very bd_seq was already seen")."""
    presence = Presence(online=False, bd_seq=3)
    after_will = on_state(presence, online=False, bd_seq=4) or presence
    after_birth = on_birth(after_will, 4) or after_will
    assert not after_birth.online, after_birth
