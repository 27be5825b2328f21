"""weightwatch plugin example (see docs/architecture.md)."""
