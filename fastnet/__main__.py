"""`python -m fastnet`: the same as the `fastnet` command."""

import sys

from .cli import main

sys.exit(main())
