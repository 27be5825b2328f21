"""Build journal-like samples by hand for probe unit tests."""

from __future__ import annotations

from weightwatch.probes.base import PlanContext, TargetInfo
from weightwatch.types import Completion, Fingerprint, PlannedRequest, Sample, SampleKey


def info(label: str = "t", name: str = "model.gguf", kind: str = "gguf", quant: str | None = None,
         params: int | None = None, price: dict[str, float] | None = None) -> TargetInfo:
    return TargetInfo(label=label, kind=kind,
                      fingerprint=Fingerprint(kind=kind, name=name, quantization=quant, parameters=params),
                      defaults={"temperature": 0.8}, price=price or {})


def sample(planned: PlannedRequest, completion: Completion, label: str = "t", probe: str = "capability",
           ) -> Sample:
    key = SampleKey(target_id=label, probe=probe, item_id=planned.item_id, variant=planned.variant,
                    sample_index=planned.sample_index, params_hash=planned.request.request_hash(planned.phase))
    return Sample(key=key, target_label=label, planned=planned, completion=completion)


def ctx(size: str = "quick", samples: int = 0) -> PlanContext:
    return PlanContext(size=size, samples=samples)  # type: ignore[arg-type]
