"""`python -m rgbir_compress.cli`, the same as `rgbir-compress` and `python -m rgbir_compress`."""
import sys

from .main import main

sys.exit(main())
