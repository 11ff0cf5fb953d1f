"""The legend of learning curves: each run named by its settings (the config of its History or
--history file).  One run is named by its main settings; several by the settings in which they
differ, or else by their names (file names, or "run 1", "run 2", ...)."""

import json

# The settings a curve's label may name, in the order it names them, and how.
LABELLED = (
    ("sizes", lambda v: "-".join(map(str, v))),
    ("activation", str),
    ("cost", str),
    ("init", lambda v: f"init {v}"),
    ("eta", lambda v: f"eta {v:g}"),
    ("lmbda", lambda v: f"lmbda {v:g}"),
    ("penalty", str),
    ("momentum", lambda v: f"mu {v:g}"),
    ("optimizer", str),
    ("mini_batch_size", lambda v: f"mini-batch {v}"),
    ("train_size", lambda v: f"{v} training images"),
    ("dtype", str),
    ("schedule", lambda v: "schedule" if v else "no schedule"),
    ("early_stopping", lambda v: f"early stopping {v}" if v else "no early stopping"),
    ("threads", lambda v: f"{v} threads"),
    ("seed", lambda v: f"seed {v}"),
)
# What a label for one run names, when there is nothing to tell it from.
ONE_RUN = ("sizes", "activation", "cost", "eta", "lmbda", "penalty", "momentum", "optimizer",
           "mini_batch_size")
# What a one-run label leaves out when it is the default: nothing to say.
DEFAULTS = {"momentum": 0.0, "activation": "sigmoid", "penalty": "l2", "optimizer": "sgd"}


def labels(configs, names):
    """A label per run, from the runs' ``configs``: for one run its main settings; for
    several the settings in which they differ, else their ``names``."""
    if len(configs) == 1:
        return [run_label(configs[0])]
    differing = [key for key, _ in LABELLED
                 if len({json.dumps(c.get(key), sort_keys=True, default=str)
                         for c in configs}) > 1]
    if not differing:
        return [str(name) for name in names]
    return [_describe(c, differing) for c in configs]


def run_label(config):
    """The label of a run's curves when there is no other run to tell it from."""
    return _describe(config, ONE_RUN)


def _describe(config, keys):
    words = []
    for key, spell in LABELLED:
        if key in keys and key in config:
            value = config[key]
            if keys is ONE_RUN and key in DEFAULTS and value == DEFAULTS[key]:
                continue  # the book's setting: nothing to say
            words.append("-" if value is None else _spelled(spell, key, value))
    return ", ".join(words) or "run"


def _spelled(spell, key, value):
    try:
        return spell(value)
    except (TypeError, ValueError):  # a hand-edited file's "eta": "fast": named, not refused
        return f"{key} {value}"
