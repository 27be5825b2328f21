"""What every adoption view and metric means, exactly, and how it differs from the MIT / Hugging Face study
("Economies of Open Intelligence", arXiv 2512.03073: 851k models, 2.2B downloads, weekly download
histories; Chinese models 17.1% vs US 15.8% of downloads of models new in the year to August 2025).

Printed with every table (terminal, JSON, HTML) so that no share is read without its definition.
"""

from __future__ import annotations

STUDY = ("MIT / Hugging Face, 'Economies of Open Intelligence' (arXiv 2512.03073): weekly download histories "
         "of all ~851k models (2.2B downloads), credited to the uploading account")

VIEWS: dict[str, tuple[str, str]] = {
    # view: (exact definition, how it differs from the study)
    "uploader": (
        "Each model's downloads are credited to the country of the account that uploaded it (the owner in "
        "its id; the origin table plus your [origins]).",
        "The study's crediting as far as its paper shows; a Qwen quantization uploaded by unsloth counts as "
        "US here, as there."),
    "root": (
        "Each model's downloads are credited to the country of the root of its declared base-model chain "
        "(first declared base, followed to its end; cycles are unknown).",
        "Not in the study: credits derivatives (fine-tunes, quantizations, merges) to the original "
        "developer of the weights they derive from."),
    "developer": (
        "Each model's downloads are credited to the country of the account that developed it: its uploader, "
        "except quantizations (base_model_relation quantized) and uploads by accounts marked reuploader "
        "(unsloth, bartowski, TheBloke, ...), which go to one bucket, 'unaffiliated community'.",
        "Not in the study: keeps first-party and fine-tune uploads with their uploader, but takes re-uploads "
        "and quantizations out of any country instead of crediting the re-uploader's."),
}

METRICS: dict[str, tuple[str, str]] = {
    "downloads_30d": (
        "The Hub's rolling 30-day download counter of each model, as of the snapshot.",
        "The study summed weekly histories over a year; this is one 30-day window ending at the snapshot."),
    "downloads_all_time": (
        "Each model's all-time download counter, as of the snapshot.",
        "Counts every download since the model was created, not a fixed period."),
    "new_12m_all_time": (
        "All-time downloads (as of the snapshot) of the models created in the 12 months before the snapshot.",
        "The study counted downloads made within the year of models new in that year, from weekly "
        "histories over all models; this is all-time downloads as of one day, of the models the snapshot "
        "listed (the top N by downloads unless --census): a different metric, not the study's number."),
    "new_12m_30d": (
        "30-day downloads of the models created in the 12 months before the snapshot.",
        "One 30-day window instead of a year of weekly histories."),
    "window": (
        "Downloads between two of your snapshots: the later all-time counter minus the earlier one, per model "
        "listed in both (plus all downloads of models created in between).",
        "The closest to the study's metric: with weekly snapshots over a year (adoption snapshot --weekly) "
        "the windows add up to the study's yearly downloads; models not listed in both snapshots are left "
        "out and counted."),
}


def view_label(view: str) -> str:
    return {"uploader": "credited to the uploader", "root": "credited to the root model (lineage)",
            "developer": "credited to the developer (re-uploads: unaffiliated community)"}.get(view, view)


def definitions() -> dict[str, dict[str, str]]:
    """Everything above as plain data (the JSON report carries it)."""
    out: dict[str, dict[str, str]] = {"study": {"reference": STUDY}}
    for kind, table in (("view", VIEWS), ("metric", METRICS)):
        for key, (definition, diff) in table.items():
            out[f"{kind}:{key}"] = {"definition": definition, "differs_from_study": diff}
    return out
