"""``python -m adsim``: the same as the ``adsim`` command."""

import sys

from .cli import main

sys.exit(main())
