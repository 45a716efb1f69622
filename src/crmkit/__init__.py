"""crmkit: customer-relationship analytics as tested functions and value objects.

Subpackages (import them explicitly; ``import crmkit`` itself stays light):

- :mod:`crmkit.segmentation`: customer summaries, RFM and ABC scoring, customer pyramid,
  Pareto/Gini, lifecycle stages, cohort retention and churn figures.
- :mod:`crmkit.loyalty`: loyalty programs: points earning, expiry, redemption, refunds and
  tiers, replayed from a member's events.
- :mod:`crmkit.service`: business calendars and SLA deadlines, SLA evaluation of ticket
  histories, satisfaction metrics (NPS, CSAT, CES) and service KPIs.
- :mod:`crmkit.campaigns`: audiences and tags as data, health scores, holdout groups,
  measured uplift and sample-size planning.
- :mod:`crmkit.datasets`: deterministic sample data for demos, docs and benchmarks.
- :mod:`crmkit.errors`: the exceptions crmkit raises.

Examples:
    >>> import crmkit
    >>> crmkit.__version__
    '0.1.0'
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
