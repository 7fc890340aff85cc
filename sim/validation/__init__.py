"""Validation against the stylized facts: ``sim validate`` (see docs/validation.md)."""
