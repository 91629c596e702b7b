"""Learned codecs. Registered lazily: importing this module does not import torch."""
from ..registry import register_lazy

register_lazy("hyperprior", "rgbir_compress.codecs.learned.codec:HyperpriorCodec")
register_lazy("conditional", "rgbir_compress.codecs.learned.codec:ConditionalCodec")
register_lazy("joint", "rgbir_compress.codecs.learned.codec:JointCodec")
