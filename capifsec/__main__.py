"""``python -m capifsec``: the command line."""

import sys

from capifsec.cli import main

sys.exit(main())
