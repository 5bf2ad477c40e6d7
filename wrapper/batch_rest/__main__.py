"""`python -m batch_rest`: the command line (cli.py), as the installed script runs it."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
