"""``python -m sphinx_llmarch`` runs the ``llmarch`` command."""

import sys

from .cli import main

sys.exit(main())
