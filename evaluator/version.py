"""The package's version (its own module, so every stage can name it without importing the
package's public API)."""
__version__ = "0.1.0"
