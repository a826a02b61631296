"""Benchmarks: `make bench-grade`, `make bench-cluster`; outside the shipped package."""
