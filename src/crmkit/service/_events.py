"""The public, documented list of ticket event names (``crmkit.service.EVENTS``).

The SLA engine (:mod:`crmkit.service._sla`) owns the vocabulary; this module publishes it
under the facade with a docstring and an example, as every public name has.
"""

from __future__ import annotations

from crmkit.service._sla import EVENTS as _ENGINE_EVENTS

__all__ = ["EVENTS", "EventNames"]


class EventNames(tuple[str, ...]):
    """The ticket event names the built-in SLA metrics and KPIs understand, in order.

    ``created`` starts a ticket; ``agent_reply`` and ``customer_reply`` are public
    replies; ``pending`` pauses pausable targets (waiting on the customer) and ``open``,
    ``reopened`` or ``solved`` end the pause; ``follow_up`` and ``on_site`` are the
    follow-up call and the on-site visit; ``on_hold`` is the On-hold status (waiting on
    a third party), which ends a pending pause and pauses only targets whose rule has
    ``pause_on_hold`` (``agent_work``). Custom SLA targets may name other events.

    Examples:
        >>> from crmkit.service import EVENTS
        >>> EVENTS[:3]
        ('created', 'agent_reply', 'customer_reply')
        >>> "solved" in EVENTS, "on_hold" in EVENTS, "escalated" in EVENTS
        (True, True, False)
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(tuple(self))


#: The ticket events the built-in metrics understand (see :class:`EventNames`).
EVENTS = EventNames(_ENGINE_EVENTS)
