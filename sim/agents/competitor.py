"""Competitor: a rival firm with a price, a service quality, a capacity and a share."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.agents.view import StateHolder
    from sim.config import CompetitorsConfig

# Cap on a rival's cost of quality relative to its start (see Competitor.margin).
MAX_COST_SCALE = 1e12


class Competitor(mesa.Agent):  # type: ignore[misc]
    """A rival firm. Few of them, so their state lives on the object itself.

    A rival has economics: a variable cost per unit of revenue that rises with the
    quality it offers, and a fixed cost sized to the customers it started with, so its
    margin falls when it loses customers. Each quarter a rival that lost customers
    defends its share as far as its margin allows: it invests in quality, then cuts its
    price, and courts the focal firm's best customers; one that gained drifts back toward
    its usual offer. A rival that loses money for ``exit_quarters`` quarters in a row
    leaves the market.
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
        self.reference_customers = 0  # the volume its fixed costs were sized for
        self.losing_quarters = 0
        self.exited = False
        self._cfg = cfg

    @property
    def share(self) -> float:
        """Share of the market this rival serves."""
        return float(self.customers / max(1, self.model.config.market.n_customers))

    @property
    def room(self) -> float:
        """How open the rival is to new customers: 1 with spare capacity, 0 when full."""
        if self.exited:
            return 0.0
        spare = (self.capacity - self.customers) / (0.1 * self.capacity)
        return float(min(1.0, max(0.0, spare)))

    def margin(self, quality: float | None = None, price_index: float | None = None) -> float:
        """Operating margin (share of revenue) at its current volume and an offer.

        Variable cost is ``cost_share - fixed_share`` of revenue at the initial offer and
        rises with quality; the fixed part is sized to the reference volume.
        """
        cfg = self._cfg
        quality = self.quality if quality is None else quality
        price = self.price_index if price_index is None else price_index
        if price <= 0:
            return -1.0
        scale = 1.0
        if cfg.quality > 0:
            # A rival that started near zero quality can reach a ratio whose power
            # overflows a float; past MAX_COST_SCALE the offer is unaffordable anyway.
            ratio = quality / cfg.quality
            power = cfg.quality_cost_power
            affordable = ratio <= 1.0 or power * math.log(ratio) < math.log(MAX_COST_SCALE)
            scale = ratio**power if affordable else MAX_COST_SCALE
        variable = (cfg.cost_share - cfg.fixed_cost_share) * cfg.price_index * scale / price
        volume = self.customers / self.reference_customers if self.reference_customers else 1.0
        fixed = cfg.fixed_cost_share * cfg.price_index / price / max(volume, 1e-9)
        return 1.0 - variable - fixed

    def review_quarter(self) -> None:
        """React to the last quarter: defend share if it fell, relax if it grew; exit."""
        cfg = self._cfg
        if self.exited:
            return
        self.losing_quarters = self.losing_quarters + 1 if self.margin() < 0 else 0
        if self.losing_quarters >= cfg.exit_quarters:
            self.exited = True
            self.targeting = False
            return
        # Only a clear loss (over 2% of its customers) counts; noise does not.
        lost = self.customers < 0.98 * self.customers_last_quarter
        if cfg.react and lost:
            better = min(0.98, self.quality + cfg.reaction_quality_step)
            cheaper = max(0.5 * cfg.price_index, self.price_index - cfg.reaction_price_step)
            if better > self.quality and self.margin(quality=better) >= cfg.min_margin:
                self.quality = better  # invest in service while the margin allows
            elif self.margin(price_index=cheaper) >= cfg.min_margin:
                self.price_index = cheaper
            self.targeting = cfg.target_best_customers
        elif cfg.react:
            self.quality += 0.5 * (cfg.quality - self.quality)
            self.price_index += 0.5 * (cfg.price_index - self.price_index)
            self.targeting = False
        self.customers_last_quarter = self.customers
