"""Sample data at a glance: what `crmkit.datasets` generates, in numbers.

Run: .venv/bin/python examples/sample_data_overview.py
"""

from __future__ import annotations

from crmkit import datasets

tx = datasets.transactions(n_customers=2_000, seed=7)
purchases = tx[tx["amount"] > 0]
refunds = tx[tx["amount"] < 0]
orders_per_customer = purchases.groupby("customer_id").size()
revenue = purchases.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
top20 = revenue.head(len(revenue) // 5).sum() / revenue.sum()

print(f"transactions: {len(tx):,} rows, {tx['customer_id'].nunique():,} customers")
print(f"  {tx['date'].min():%Y-%m-%d} .. {tx['date'].max():%Y-%m-%d}")
print(f"  one-time buyers: {(orders_per_customer == 1).mean():.0%}")
print(f"  refunds: {len(refunds):,} rows, {-refunds['amount'].sum():,.2f} returned")
print(f"  top 20% of customers bring {top20:.0%} of revenue")

tickets = datasets.tickets(n_tickets=1_000, seed=7)
events = datasets.ticket_events(tickets)
reply_h = (tickets["first_reply_at"] - tickets["created_at"]).dt.total_seconds() / 3600
print(f"tickets: {len(tickets):,}, {len(events):,} events")
print("  median first reply (h) by priority:")
for priority, hours in reply_h.groupby(tickets["priority"], observed=True).median().items():
    print(f"    {priority}: {hours:.1f}")

survey = datasets.survey_responses(n_responses=2_000, seed=7)
answered = survey["nps"].dropna()
nps = 100 * ((answered >= 9).mean() - (answered <= 6).mean())
print(f"survey: {len(survey):,} responses, NPS {nps:.0f} over the year")

loyalty = datasets.loyalty_events(n_members=100, seed=7)
print(f"loyalty events: {len(loyalty):,} for {loyalty['member_id'].nunique()} members")
print(loyalty["kind"].value_counts().to_string())
