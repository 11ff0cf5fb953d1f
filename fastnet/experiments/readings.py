"""Two readings of one source run, side by side: for each row that reads another row's
source differently (`suites.Row.reading_of`; the notebook's Network2 trained with a softmax
output layer, beside the class as printed), where the source's figure falls in each reading's
spread over the seeds.  It reads results.json's content only (`summary.summarize`).
"""

from .suites import AGREEMENT_POINTS

# What each reading is, for the table's head: the config's cost -> words.
READING = {"cross-entropy": "as printed: sigmoid output, cross-entropy delta",
           "log-likelihood": "softmax output, log-likelihood delta"}


def pairs(summary):
    """(the row as printed, the row reading it differently) for each such pair of entries."""
    entries = {entry["id"]: entry for entry in summary["rows"]}
    return [(entries[entry["config"]["reading_of"]], entry) for entry in summary["rows"]
            if entry["config"].get("reading_of") in entries]


def fit(quote, points=AGREEMENT_POINTS):
    """How a source figure sits in one reading's seeds (``quote``: a quote summary): inside
    their range or not, and how many seeds lie within ``points`` of it."""
    near = sum(abs(v - quote["book"]) <= points for v in quote["values"])
    return {"inside": quote["min"] <= quote["book"] <= quote["max"], "near": near,
            "seeds": len(quote["values"])}


def verdict(fits):
    """Which readings (names -> `fit`) a figure fits: those whose range holds it."""
    holding = [name for name, f in fits.items() if f["inside"]]
    if not holding:
        return "neither"
    return "both" if len(holding) == len(fits) else " only, ".join(holding) + " only"


def _names(found):
    printed, other = found[0]
    return (READING.get(printed["config"]["cost"], printed["id"]),
            READING.get(other["config"]["cost"], other["id"]))


def markdown(summary):
    """The section of results.md that sets the readings side by side, or nothing when the
    summary holds no pair (or comes from a --quick run)."""
    found = pairs(summary)
    if not found or summary["quick"]:
        return []
    source = summary["source"]
    a, b = _names(found)
    return [f"## The {source}'s Network2 as printed and as probably run", "",
            f"Each figure of the {source} beside the same statistic of our runs in two "
            f"readings of its class: **{a}** (the rows without a suffix) and **{b}** (the "
            f"*-softmax* rows). *within {AGREEMENT_POINTS:g}*: the seeds whose figure lies "
            f"within {AGREEMENT_POINTS:g} points of the {source}'s; *fits*: the readings whose "
            f"range over the seeds holds the {source}'s figure.", "",
            *table(summary), ""]


def table(summary):
    """The readings side by side as a markdown table (lines; none without a pair)."""
    found = pairs(summary)
    if not found or summary["quick"]:
        return []
    source = summary["source"]
    a, b = _names(found)
    lines = [f"| {source} quotes | {source} | {a}: median [min–max] | within "
             f"{AGREEMENT_POINTS:g} | {b}: median [min–max] | within {AGREEMENT_POINTS:g} | "
             "fits |", "|---|---|---|---|---|---|---|"]
    for first, second in found:
        for q1, q2 in zip(first["quotes"], second["quotes"]):
            fits = {"as printed": fit(q1), "softmax": fit(q2)}
            cells = []
            for q, f in zip((q1, q2), fits.values()):
                cells += [f"{q['median']:.2f} [{q['min']:.2f}–{q['max']:.2f}]",
                          f"{f['near']} of {f['seeds']}"]
            lines.append(f"| {first['id']}: lmbda {first['config']['lmbda']:g}, {q1['quote']} "
                         f"| {q1['book']:g} | {' | '.join(cells)} | {verdict(fits)} |")
    return lines
