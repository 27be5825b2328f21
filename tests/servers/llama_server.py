"""llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`), with llama.cpp's extra CPU
buffer types decided as weightwatch decides them (targets/cpu.py): the server has no option for it, and
on a CPU with AMX the repacked weights crash the first request (SIGSEGV).

    python tests/servers/llama_server.py --model FILE.gguf --host 127.0.0.1 --port N [server options]
"""

from __future__ import annotations

from typing import Any

import llama_cpp.llama_cpp as ll
from llama_cpp.server.__main__ import main

from weightwatch.targets.cpu import extra_buffer_types_enabled

if __name__ == "__main__":
    if not extra_buffer_types_enabled():
        original = ll.llama_model_default_params

        def defaults() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        ll.llama_model_default_params = defaults
    main()
