"""``python -m derivgen ...`` runs the command line, same as the ``derivgen`` script."""

import sys

from derivgen.cli import main

if __name__ == "__main__":
    sys.exit(main())
