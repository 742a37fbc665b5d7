"""The `evaluator` command: a thin click layer over the library (main.py holds the group and the
core commands; each other command lives in a module of its own, imported when it runs)."""
from .main import cli, main

__all__ = ["cli", "main"]
