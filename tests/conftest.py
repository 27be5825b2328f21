"""Shared test set-up.

Tests give every run its own WEIGHTWATCH_HOME (a temporary journal), but share one model cache, so the
491 MB embedded Qwen file is assembled once per machine, not once per test.
"""

from __future__ import annotations

import os

from weightwatch import config

os.environ.setdefault("WEIGHTWATCH_MODELS", str(config.models_dir()))
