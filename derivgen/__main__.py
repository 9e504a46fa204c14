"""``python -m derivgen ...`` runs the command line, same as the ``derivgen`` script."""

import os
import signal
import sys

# Ctrl-C (or SIGTERM, SIGHUP) while Python is still importing: nothing to clean up yet, and
# no traceback to show.  (The command line installs its own handlers once it runs.)
for _sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, lambda signum, frame: os._exit(130))

from derivgen.cli import main  # noqa: E402 -- after the handler, on purpose

if __name__ == "__main__":
    sys.exit(main())
