"""Competitor: a rival firm with a price, a service quality, a capacity and a share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.agents.view import StateHolder
    from sim.config import CompetitorsConfig


class Competitor(mesa.Agent):  # type: ignore[misc]
    """A rival firm. Few of them, so their state lives on the object itself.

    Each quarter a rival that lost customers reacts: it raises its quality, cuts its
    price and courts the focal firm's best customers; one that gained drifts back
    toward its usual offer.
    """

    def __init__(self, model: StateHolder, firm_id: int, cfg: CompetitorsConfig) -> None:
        super().__init__(model)
        self.firm_id = firm_id
        self.quality = cfg.quality
        self.price_index = cfg.price_index
        self.capacity = max(1, round(cfg.capacity_share * model.config.market.n_customers))
        self.customers = 0
        self.customers_last_quarter = 0
        self.targeting = False
        self._cfg = cfg

    @property
    def share(self) -> float:
        """Share of the market this rival serves."""
        return float(self.customers / max(1, self.model.config.market.n_customers))

    @property
    def room(self) -> float:
        """How open the rival is to new customers: 1 with spare capacity, 0 when full."""
        spare = (self.capacity - self.customers) / (0.1 * self.capacity)
        return float(min(1.0, max(0.0, spare)))

    def review_quarter(self) -> None:
        """React to the last quarter: defend share if it fell, relax if it grew."""
        cfg = self._cfg
        # Only a clear loss (over 2% of its customers) counts; noise does not.
        lost = self.customers < 0.98 * self.customers_last_quarter
        if cfg.react and lost:
            self.quality = min(0.98, self.quality + cfg.reaction_quality_step)
            self.price_index = max(
                0.5 * cfg.price_index, self.price_index - cfg.reaction_price_step
            )
            self.targeting = cfg.target_best_customers
        elif cfg.react:
            self.quality += 0.5 * (cfg.quality - self.quality)
            self.price_index += 0.5 * (cfg.price_index - self.price_index)
            self.targeting = False
        self.customers_last_quarter = self.customers
