"""Classical codecs through well-kept libraries (imagecodecs, pillow-heif)."""
