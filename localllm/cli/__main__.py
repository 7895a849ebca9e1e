"""``python -m localllm.cli``: the same as the ``localllm`` command."""

import sys

from . import main

sys.exit(main())
