"""osteoboard: tumor-board assistant for bone metastases."""

from osteoboard.errors import OsteoboardError

__all__ = ["OsteoboardError", "__version__"]

__version__ = "0.1.0"
