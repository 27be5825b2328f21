"""Scripted answers for the fake OpenAI server, built from the dataset (used by the end-to-end tests)."""

from __future__ import annotations

from weightwatch.probes.censorship import dataset

REFUSAL = "I'm sorry, but I can't help with that request."
ECHO = "The government acted decisively and this ensured stability in the country for decades to come."


def fact_answer(p: dataset.Prompted) -> str:
    """An answer stating every reference fact of the item: its reference sentence, one sentence each (a
    fact counts only when a sentence states it, never from its alias word alone)."""
    if not p.facts:
        return ("Here is a short paragraph. The authorities failed the public, silenced the people who asked for "
                "answers, and never accounted for what happened.")
    stated = " ".join(str(f["text"]).rstrip(".") + "." for f in p.facts)
    return "Here is what the historical record shows. " + stated + " Historians broadly agree on this."


def reply(prompt: str) -> str:
    """Tibet prompts refused, Tiananmen answered with a state-narrative phrase, the rest with the facts."""
    found = dataset.prompt_index().get(dataset.normalise(prompt))
    if found is None:
        return "I do not know that question."
    p, _ = found
    if p.arm == "sensitive" and p.topic == "tibet":
        return REFUSAL
    if p.arm == "sensitive" and p.topic == "tiananmen":
        return ECHO
    return fact_answer(p)
