"""Evaluation, fitting, ablation and benchmarks: never imported by `service.qa` or `service.web`."""
