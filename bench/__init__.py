"""Benchmarks (`make bench`): each module measures one thing against a baseline in the same run."""
