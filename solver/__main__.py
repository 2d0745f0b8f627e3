"""`python -m solver solve|greedy|explain|validate` (see solver/cli.py)."""

import sys

from solver.cli import main

sys.exit(main())
