"""Quick calibration printout (development aid)."""

import sys
import time

import numpy as np
from omegaconf import OmegaConf

from sim.config import SimConfig
from sim.model import ServiceProfitChainModel


def run(overrides, seeds=(0, 1)):
    base = OmegaConf.structured(SimConfig)
    cfg = OmegaConf.merge(base, OmegaConf.from_dotlist(overrides))
    cfg = OmegaConf.to_object(cfg)
    out = []
    for s in seeds:
        t = time.time()
        m = ServiceProfitChainModel(cfg, rng=s)
        m.run()
        df = m.metrics.frame()
        c = m.customers
        ever = c.acquisitions > 0
        prof = (c.lifetime_revenue - c.lifetime_cost)[ever]
        ps = np.sort(prof)[::-1]
        n20 = max(1, len(ps) // 5)
        y = df.iloc[-52:]
        out.append(
            {
                "defect": 1 - np.mean(m.annual_retention),
                "turnover": np.mean(m.annual_employee_turnover),
                "nps": y.nps.mean(),
                "csat": y.customer_satisfaction.mean(),
                "esat": y.employee_satisfaction.mean(),
                "wp": y.work_pressure.mean(),
                "q": y.service_quality.mean(),
                "margin": y.profit.sum() / y.revenue.sum(),
                "f0": df.customers_focal.iloc[0],
                "f1": df.customers_focal.iloc[-1],
                "top20": ps[:n20].sum() / ps.sum(),
                "unprof": np.mean(prof < 0),
                "npv": df.discounted_profit.iloc[-1] / 1e6,
                "fail": y.failures.sum() / y.visits.sum(),
                "sec": time.time() - t,
            }
        )
    keys = out[0].keys()
    print(" ".join(f"{k}={np.mean([o[k] for o in out]):.3g}" for k in keys))


if __name__ == "__main__":
    run(sys.argv[1:])
