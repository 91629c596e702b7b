"""Learned codecs (torch). Named in codecs/catalog.py; importing this package does not import torch."""
