"""Loyalty programs: points earning, expiry, redemption, refunds and tiers, replayed from events.

Public names are re-exported here from private modules; import from this facade.
"""

__all__: list[str] = []
