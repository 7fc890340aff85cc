"""Studies: scenarios as Hydra multiruns, their aggregation, figures and reports."""
