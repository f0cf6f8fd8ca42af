"""Station: the software of a computer-reconditioning bench."""

__version__ = "0.1.0"
