"""Censorship of China-sensitive topics: matched non-China controls, four languages, layered judges.

dataset.py (topic files), prompts.py (a user's own prompt set), scoring.py (labels), metrics.py
(rates, gaps, comparisons), probe.py (the Probe), files.py (`weightwatch judge censorship`).
"""
