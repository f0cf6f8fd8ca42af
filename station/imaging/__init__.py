"""imaging layer (see docs/architecture.md)."""
