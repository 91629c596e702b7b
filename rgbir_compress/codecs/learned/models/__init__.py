"""Pair models, one file per architecture (hyperprior_pair, conditional, joint), the one-modality
hyperprior coder they build on, and the contract all of them keep (contract.py)."""
