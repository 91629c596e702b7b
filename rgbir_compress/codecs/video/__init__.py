"""Low-delay video coding of ONE image stream (colour or thermal), frame by frame, through PyAV.

The still codecs code every pair alone; these coders predict each frame from the previous ones.
They are zero-latency (one packet out per frame in, no B-frames, no lookahead), put the parameter
sets in-band at every key frame (a late-joining decoder starts at any key frame), and the decoder
refuses what it cannot decode correctly (no key frame yet, a gap, corrupt data) instead of
returning a wrong image. pair_codec.py puts two of them (colour, thermal) behind PairCodec as the
stream codecs of the catalog (h264-stream, hevc-stream, av1-stream).
"""
from .bitstream import is_key_packet
from .decoder import NeedKeyFrame, PlaneDecoder
from .encoder import EncoderDelay, Packet, PlaneEncoder
from .settings import CODECS, QUALITY_MAPS, decoder_name, software_fallback

__all__ = ["CODECS", "EncoderDelay", "NeedKeyFrame", "Packet", "PlaneDecoder", "PlaneEncoder",
           "QUALITY_MAPS", "decoder_name", "is_key_packet", "software_fallback"]
