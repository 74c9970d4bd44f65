"""The service layer: every query, and every rule about who may see or change what.

Routes, pages and CLI commands call these functions and get pydantic models or dataclasses
back; none of them imports SQLAlchemy or a store model (the import-linter contracts in
pyproject.toml hold that line).
"""
