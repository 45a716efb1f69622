"""Customer value and segmentation: summaries, RFM, ABC, pyramid, Pareto/Gini, lifecycle.

Public names are re-exported here from private modules; import from this facade.
"""

__all__: list[str] = []
