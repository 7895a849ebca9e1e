"""Where requests go: the endpoint state every flow is given."""

from .endpoints import Endpoints

__all__ = ["Endpoints"]
