"""`weightwatch modify`: remove a model's refusal direction from a GGUF file, then audit before and after.

One job per module:

- ``gguf_io.py``   read a GGUF's header and tensors with the ``gguf`` package (no llama.cpp), check adapters
- ``adapter.py``   the rank-1 projection as a LoRA adapter GGUF, or merged into a new F16/Q8_0 GGUF
- ``prompts.py``   the contrast sets: censorship items vs their matched controls, plus our harmless set
- ``capture.py``   residual-stream activations through llama.cpp's eval callback, first-token logits
- ``direction.py`` per-layer difference of means, optionally orthogonal to the harmless mean
- ``search.py``    trials over layer, lambda and layer window; the Pareto front of refusal vs KL
- ``pipeline.py``  the whole ``modify refusal-direction`` step
- ``audit.py``     the before/after report and its per-language headline

Method, limits and measured numbers: docs/modify.md.
"""
