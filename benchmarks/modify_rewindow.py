"""Write the own-objective default's adapter (layer 18, window +-2, lambda 0.75: 8g's choice, trial 9 of the
8i run) from the 8i adapter (layer 18, window all, lambda 0.375): same direction (B = -lambda v), other window
and strength; A is recomputed from the base weights by write_adapter."""
import hashlib
import sys
from pathlib import Path

import gguf
import numpy as np

from weightwatch.modify.adapter import Edit, provenance, write_adapter
from weightwatch.modify.gguf_io import check_adapter, read_header
from weightwatch.modify.search import window_layers

src, base_path, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
r = gguf.GGUFReader(str(src))
meta = {f.name: f for f in r.fields.values()}
t = {x.name: x for x in r.tensors}
lam_src = 0.375
b = np.asarray(t["blk.18.attn_output.weight.lora_b"].data, dtype=np.float64).reshape(-1)
v = -b / lam_src
print("norm of v", np.linalg.norm(v))
# every layer's B is the same vector
b2 = np.asarray(t["blk.3.ffn_down.weight.lora_b"].data, dtype=np.float64).reshape(-1)
print("max |B_18 - B_3|", np.abs(b - b2).max())
header = read_header(base_path)

sha = hashlib.sha256(base_path.read_bytes()).hexdigest()
edit = Edit(direction=v / np.linalg.norm(v), lam=0.75, layers=window_layers(18, "+-2", 24), source_layer=18,
            window="+-2")
m = provenance(edit, header, sha, {"note": "rewindowed from the 8i adapter (layer 18 all 0.375)",
                                   "center_languages": True, "contrast": "refused", "directions": "single"})
write_adapter(header, edit, out, m)
check_adapter(out, base_path)
print("wrote", out, out.stat().st_size)
