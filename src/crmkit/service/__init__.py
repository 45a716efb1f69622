"""Service levels and satisfaction: business calendars, SLA evaluation, NPS/CSAT/CES, KPIs.

Public names are re-exported here from private modules; import from this facade.
"""

__all__: list[str] = []
