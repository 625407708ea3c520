"""Synthetic trial entries for benchmarks: plausible, varied, and the same for the same seed.

Every entry is Markdown with the front matter fields of corpus/trials/*.md and the same four
sections, written in the same short sentences. The trials are invented: ids start with NCT08 and
the drugs are made-up names, so a synthetic entry can never be mistaken for a real study.

    python -m bench.synthetic OUT_DIR --count 1000 --seed 7
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

ID_PREFIX = "NCT08"  # + 6 digits; the shipped corpus and the ctgov fixtures use other ranges
SECTIONS = ("Summary", "Who can take part", "How the study works", "What it measures")


@dataclass(frozen=True)
class Condition:
    name: str  # as an entry's conditions list writes it
    lay: str  # the plain word a patient uses
    explain: str  # "Doctors call this ..." sentence, or ""
    endpoints: tuple[tuple[str, str], ...]  # (endpoint, one-sentence explanation)
    children: bool = False  # may include children


def _ep(*pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(zip(pairs[::2], pairs[1::2], strict=True))


CONDITIONS: tuple[Condition, ...] = (
    Condition("systemic lupus erythematosus (SLE)", "lupus",
              "The type of lupus is systemic lupus erythematosus, or SLE.",
              _ep("BICLA response", "BICLA is a combined score of several signs of improvement.",
                  "SRI-4 response", "SRI-4 counts a drop of at least 4 points in disease activity."), True),
    Condition("lupus nephritis", "kidney lupus", "Doctors call this lupus nephritis.",
              _ep("complete renal response", "Renal means kidney.",
                  "change in urine protein", "Urine protein shows how well the kidneys filter.")),
    Condition("rheumatoid arthritis", "joint inflammation", "Doctors call this rheumatoid arthritis.",
              _ep("ACR20 response", "ACR20 means at least 20 percent fewer swollen and tender joints.",
                  "DAS28 remission", "DAS28 is a score of disease activity in 28 joints."), True),
    Condition("plaque psoriasis", "psoriasis", "Psoriasis causes raised, scaly patches on the skin.",
              _ep("PASI 75 response", "PASI 75 means the skin score improved by at least 75 percent.",
                  "clear or almost clear skin", "Doctors judge this by looking at the skin.")),
    Condition("atopic dermatitis", "eczema", "Doctors call this atopic dermatitis.",
              _ep("EASI-75 response", "EASI-75 means the eczema score improved by at least 75 percent.",
                  "change in itch score", "People rate their itch on a scale from 0 to 10."), True),
    Condition("ulcerative colitis", "bowel inflammation", "Ulcerative colitis is an inflammation of the large bowel.",
              _ep("clinical remission", "Remission means the symptoms have mostly gone.",
                  "endoscopic improvement", "A camera test shows how the bowel lining looks.")),
    Condition("Crohn's disease", "Crohn's", "Crohn's disease causes inflammation in the gut.",
              _ep("clinical remission", "Remission means the symptoms have mostly gone.",
                  "endoscopic response", "A camera test shows how the gut lining looks."), True),
    Condition("moderate to severe asthma", "asthma", "",
              _ep("rate of asthma attacks", "An asthma attack is a sudden worsening of breathing.",
                  "change in lung function (FEV1)", "FEV1 is how much air a person can blow out in one second."),
              True),
    Condition("chronic obstructive pulmonary disease (COPD)", "COPD", "COPD is a long-term lung disease.",
              _ep("rate of flare-ups", "A flare-up is a time when breathing gets much worse.",
                  "change in lung function (FEV1)", "FEV1 is how much air a person can blow out in one second.")),
    Condition("type 2 diabetes", "diabetes", "",
              _ep("change in HbA1c", "HbA1c shows average blood sugar over about three months.",
                  "change in body weight", "Weight is measured at each visit.")),
    Condition("relapsing multiple sclerosis", "MS", "Doctors call this relapsing multiple sclerosis, or MS.",
              _ep("yearly relapse rate", "A relapse is a new attack of symptoms.",
                  "new brain lesions on MRI", "An MRI scan shows areas of damage in the brain.")),
    Condition("episodic migraine", "migraine", "",
              _ep("change in monthly migraine days", "People count their migraine days in a diary.",
                  "50 percent responder rate", "A responder has at least half as many migraine days.")),
    Condition("primary Sjögren's syndrome", "dry eyes and mouth", "Sjögren's syndrome causes dry eyes and a dry mouth.",
              _ep("ESSDAI score change", "ESSDAI is a score of disease activity in Sjögren's syndrome.",
                  "CRESS response", "CRESS is a response score for Sjögren's syndrome.")),
    Condition("systemic sclerosis", "scleroderma", "Systemic sclerosis is also called scleroderma.",
              _ep("change in skin thickness score", "Doctors feel the skin to score how thick it is.",
                  "change in lung function (FVC)", "FVC is how much air a person can blow out after a deep breath.")),
    Condition("hidradenitis suppurativa", "painful skin lumps", "Hidradenitis suppurativa causes painful lumps.",
              _ep("HiSCR response", "HiSCR counts fewer lumps and abscesses.",
                  "change in skin pain", "People rate their skin pain on a scale from 0 to 10.")),
    Condition("myasthenia gravis", "muscle weakness", "Myasthenia gravis causes muscles to tire easily.",
              _ep("change in MG-ADL score", "MG-ADL is a score of daily activities.",
                  "change in muscle strength", "A doctor tests the strength of several muscles.")),
    Condition("chronic spontaneous urticaria", "hives",
              "Doctors call long-lasting hives chronic spontaneous urticaria.",
              _ep("change in weekly hives score", "People record their hives and itch every day.",
                  "hives-free days", "People count the days with no hives."), True),
    Condition("giant cell arteritis", "artery inflammation", "Giant cell arteritis is an inflammation of arteries.",
              _ep("sustained remission", "Remission means the disease stays quiet.",
                  "time to first flare", "A flare is a return of symptoms.")),
    Condition("vitiligo", "white skin patches", "Vitiligo causes white patches on the skin.",
              _ep("change in the VASI score", "VASI scores how much of the skin has lost its colour.",
                  "facial repigmentation", "Repigmentation means colour coming back to the skin."), True),
    Condition("dermatomyositis", "muscle and skin inflammation",
              "Dermatomyositis is an inflammation of muscle and skin.",
              _ep("TIS improvement", "TIS is a combined score of improvement.",
                  "change in skin rash score", "Doctors score the rash by looking at the skin.")),
    Condition("ankylosing spondylitis", "spine inflammation", "Ankylosing spondylitis is an inflammation of the spine.",
              _ep("ASAS40 response", "ASAS40 means a 40 percent improvement in back symptoms.",
                  "change in back pain", "People rate their back pain on a scale from 0 to 10.")),
    Condition("chronic kidney disease", "kidney disease", "",
              _ep("change in kidney filtration (eGFR)", "eGFR shows how well the kidneys filter the blood.",
                  "time to kidney failure", "Kidney failure means the kidneys stop working well enough.")),
    Condition("heart failure", "weak heart", "Heart failure means the heart does not pump as well as it should.",
              _ep("time to hospital stay for heart failure", "This counts the first hospital stay.",
                  "change in walking distance", "People walk for six minutes and the distance is measured.")),
    Condition("juvenile idiopathic arthritis", "childhood arthritis",
              "Doctors call this juvenile idiopathic arthritis.",
              _ep("JIA ACR30 response", "JIA ACR30 means at least 30 percent improvement in arthritis signs.",
                  "time to flare", "A flare is a return of symptoms."), True),
    Condition("alopecia areata", "patchy hair loss", "Alopecia areata causes patches of hair loss.",
              _ep("SALT score of 20 or less", "SALT scores how much scalp hair is missing.",
                  "eyebrow regrowth", "Doctors check how much eyebrow hair has grown back."), True),
    Condition("eosinophilic esophagitis", "swallowing problems", "Eosinophilic esophagitis inflames the food pipe.",
              _ep("change in swallowing symptoms", "People record how hard swallowing is.",
                  "eosinophil count in tissue", "Eosinophils are white blood cells seen in a small tissue sample."),
              True),
)

PREFIXES = ("al", "bel", "cor", "dav", "el", "fen", "gor", "hal", "ix", "jor", "kal", "lom", "mir", "nor", "ol",
            "pra", "quil", "ros", "sal", "tor", "ul", "ver", "wel", "xan", "yor", "zel", "bri", "cal", "dar", "tre")
MIDDLES = ("a", "i", "o", "e", "u", "ta", "li", "ro", "ne", "vi", "sa", "du")
SUFFIXES = ("mab", "zumab", "limab", "nib", "citinib", "cept", "tide", "stat")
PHASES = (("Phase 1", 1), ("Phase 2", 4), ("Phase 3", 5), ("Phase 4", 1))
ROUTES = ((None, 2), ("subcutaneous injection", 3), ("intravenous infusion", 3), ("tablet by mouth", 2))
STATUSES = ((None, 5), ("completed", 3), ("recruiting", 2))
WEEKS = (12, 16, 24, 26, 48, 52)


def _weighted(rng: random.Random, options):
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _drug(rng: random.Random) -> str:
    return rng.choice(PREFIXES) + rng.choice(MIDDLES) + rng.choice(SUFFIXES)


def _route_sentence(route: str | None) -> str:
    return {
        "subcutaneous injection": "The drug is given as a shot under the skin. Doctors call this a subcutaneous "
                                  "injection.",
        "intravenous infusion": "The drug is given as an infusion, through a drip into a vein. Doctors call this "
                                "an intravenous infusion.",
        "tablet by mouth": "The drug is a pill taken by mouth.",
    }.get(route or "", "")


def make_entry(rng: random.Random, index: int, used_names: set[str], compact: bool = False) -> dict:
    """One entry as {"front": front-matter dict, "sections": {heading: text}}.

    A compact entry has only the Summary section and fewer optional fields: 2 chunks instead of 5,
    and shorter ones, so a 10,000-entry store can be embedded in minutes on 2 CPU cores.
    """
    condition = rng.choice(CONDITIONS)
    for _ in range(50):
        drug = _drug(rng)
        short_name = f"{drug} {condition.lay} study"
        if short_name not in used_names:
            break
    used_names.add(short_name)
    phase = _weighted(rng, PHASES)
    size = int(round(10 ** rng.uniform(1.2, 3.3)))
    kids = condition.children and rng.random() < 0.35
    if kids:
        low = rng.choice((2, 5, 6, 12))
        ages, who = f"{low} to under 18 years", "children and teens"
        population = f"children and teens aged {low} to under 18 years with {condition.name}"
    elif rng.random() < 0.8:
        ages, who, population = "adults", "adults", f"adults with {condition.name}"
    else:
        ages, who, population = None, "people", f"people with {condition.name}"
    comparator = rng.choice(("placebo", "placebo", "standard of care", None))
    design = []
    if comparator == "placebo":
        design.append("placebo-controlled")
        if rng.random() < 0.7:
            design.append("double-blind")
    elif comparator is None and rng.random() < 0.6:
        design.append("open-label")
    if rng.random() < 0.3:
        design.append("add-on to standard of care")
    if phase in ("Phase 1", "Phase 2") and rng.random() < 0.3:
        design.append("dose-finding")
    route = _weighted(rng, ROUTES)
    status = _weighted(rng, STATUSES)
    endpoint, explain = rng.choice(condition.endpoints)
    week = rng.choice(WEEKS)
    intervention = f"{drug} added to standard of care" if "add-on to standard of care" in design else drug
    trial_id = f"{ID_PREFIX}{index:06d}"
    front = {
        "id": trial_id,
        "reference": None,
        "title": f"{drug.capitalize()} for {condition.lay} ({condition.name})",
        "short_name": short_name,
        "conditions": [condition.name],
        "phase": phase,
        "enrollment": size,
        "population": population,
        "ages": ages,
        "includes_children": kids if ages else None,
        "design": design,
        "intervention": intervention,
        "route": route,
        "comparator": comparator,
        "primary_endpoint": endpoint,
        "primary_endpoint_timepoint": f"Week {week}",
        "status": status,
        "source": "synthetic benchmark entry made by bench/synthetic.py; not a real study",
    }
    tense = "tested" if status == "completed" else "tests"
    summary = [f"This study {tense} {drug} in {who} with {condition.lay}."]
    if condition.explain:
        summary.append(condition.explain)
    summary += [f"It is a {phase} study.", f"It includes {size} {who}."]
    if status == "completed":
        summary.append("The study is completed.")
    elif status == "recruiting":
        summary.append("The study is recruiting.")
    join = [f"This study is for {population}."]
    if ages is None:
        join.append("The entry does not give an age range.")
    how = []
    if comparator == "placebo":
        how += [f"It compares {drug} with placebo.",
                "A placebo looks like the study drug but has no active drug in it."]
    elif comparator == "standard of care":
        how += [f"It compares {drug} with standard of care.",
                "Standard of care means the usual treatment already given for the disease."]
    if "add-on to standard of care" in design and comparator != "standard of care":
        how.append(f"{drug.capitalize()} is added to standard of care.")
    if "open-label" in design:
        how.append("It is an open-label study. Everyone knows which treatment they get.")
    if "dose-finding" in design:
        how.append("The study aims to find the right dose.")
    if route:
        how.append(_route_sentence(route))
    if not how:
        how.append(f"Everyone in the study gets {drug}.")
    measures = [f"The main result is {endpoint} at Week {week}.", explain]
    sections = dict(zip(SECTIONS, (" ".join(summary), " ".join(join), " ".join(how), " ".join(measures)),
                        strict=True))
    if compact:
        front.update(design=[], route=None, comparator=None, status=None, ages=None, includes_children=None,
                     title=f"{drug.capitalize()} for {condition.lay}", population=f"{who} with {condition.name}")
        front["intervention"] = drug
        sections = {"Summary": " ".join([f"This study tests {drug} in {who} with {condition.lay}.",
                                         f"It is a {phase} study.", f"It includes {size} {who}.",
                                         measures[0]])}
    return {"front": front, "sections": sections}


def entry_markdown(entry: dict) -> str:
    front = yaml.safe_dump(entry["front"], sort_keys=False, allow_unicode=True, width=1000)
    body = "\n\n".join(f"## {name}\n{text}" for name, text in entry["sections"].items())
    return f"---\n{front}---\n{body}\n"


def generate(count: int, seed: int = 7, full: int | None = None) -> list[dict]:
    """``count`` entries, the same for the same arguments; entry i has id NCT08 + i (from 1).

    The first ``full`` entries (default: all) are full entries, the rest compact. The first n
    entries never depend on ``count`` or ``full`` >= n, so a larger corpus extends a smaller one.
    """
    rng = random.Random(seed)
    used: set[str] = set()
    full = count if full is None else full
    return [make_entry(rng, i + 1, used, compact=i >= full) for i in range(count)]


def write_corpus(folder: Path, count: int, seed: int = 7, full: int | None = None) -> list[dict]:
    """Write ``count`` entries as folder/part-NNN/<id>.md (1,000 a folder) and return them."""
    entries = generate(count, seed, full)
    folder = Path(folder)
    for i, entry in enumerate(entries):
        target = folder / f"part-{i // 1000:03d}" / f"{entry['front']['id']}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(entry_markdown(entry), encoding="utf-8")
    return entries


def questions(entries: list[dict], count: int, seed: int = 11) -> list[dict]:
    """Plain questions about random entries, each with the trial it is about and a fact the answer needs."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        front = rng.choice(entries)["front"]
        drug, lay = front["short_name"].split(" ", 1)[0], front["short_name"].split(" ", 1)[1][: -len(" study")]
        template = rng.randrange(4)
        if template == 0:
            q, fact = f"How many people are in the {drug} study for {lay}?", str(front["enrollment"])
        elif template == 1:
            q, fact = f"what does the {drug} {lay} trial measure", front["primary_endpoint"].split(" ")[0]
        elif template == 2:
            q, fact = f"What phase is {front['id']}?", front["phase"]
        else:
            q, fact = f"who can join the {drug} trial in {front['conditions'][0]}?", "with"
        out.append({"question": q, "trial_id": front["id"], "fact": fact})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--full", type=int, default=None, help="Only the first N entries are full; the rest compact.")
    args = parser.parse_args()
    write_corpus(args.out, args.count, args.seed, args.full)
    print(f"wrote {args.count} synthetic entries under {args.out}")


if __name__ == "__main__":
    main()
