"""cvkit: customer-value analytics for engagements run as parameterised notebooks."""

__version__ = "0.1.0"
