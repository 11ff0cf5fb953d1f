"""Reading a history file (`History.save`, `fastnet train --history`) to draw it.

A history file may come from anywhere (another version, a hand edit, a damaged disk, a hostile
source), and it is read warily: everything drawing or labelling uses is checked first
(`problem`), so that a damaged or foreign file is one ValueError naming the file and what is
wrong, never a traceback from deep inside matplotlib or the labels.  `fastnet plot` and
`fastnet.learning_curves` both read through `read`.
"""

import json
import math
import numbers

# The per-epoch quantities a history may hold, each a curve to draw (`fastnet.plots.CURVES`
# gives their titles).
CURVE_KEYS = ("evaluation_accuracy", "evaluation_cost", "training_accuracy", "training_cost",
              "loss")

# The largest epoch number a history may hold: matplotlib draws epochs as floats, which hold
# every whole number up to here exactly.
MAX_EPOCH = 2 ** 53


def read(path):
    """The document of the history file ``path``, checked enough to draw it.

    ValueError naming the file if it is not one (not JSON, nested too deeply, a field of the
    wrong kind: `problem`) or holds no epochs, or no curve to draw; OSError if it cannot be
    read."""
    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"{path}: not a fastnet history file (not JSON: {e})") from None
        except RecursionError:
            raise ValueError(f"{path}: not a fastnet history file (nested too deeply)") from None
    why = problem(doc)
    if why:
        raise ValueError(f"{path}: not a fastnet history file ({why})")
    if not doc["epochs"]:
        raise ValueError(f"{path}: holds no epochs to draw")
    if not any(key in record for record in doc["epochs"] for key in CURVE_KEYS):
        raise ValueError(f"{path}: holds no curve to draw (no epoch has any of "
                         f"{', '.join(CURVE_KEYS)})")
    return doc


def problem(doc):
    """What makes ``doc`` (a parsed history) unfit to draw, or None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        return "no config object"
    for key, (kind, fits) in _SETTINGS.items():
        value = doc["config"].get(key)
        if value is not None and not fits(value):
            return f"config.{key} is not {kind}"
    if not isinstance(doc.get("epochs"), list):
        return "no epochs list"
    for i, record in enumerate(doc["epochs"]):
        if not isinstance(record, dict) or not _is_int(record.get("epoch")):
            return f"epochs[{i}] has no whole epoch number"
        if not 0 <= record["epoch"] <= MAX_EPOCH:
            return f"epochs[{i}].epoch is not an epoch number from 0 to 2**53"
        for key in CURVE_KEYS:
            if key in record and not _is_real(record[key]):
                return f"epochs[{i}].{key} is not a finite number"
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value):
    """A number a float holds, finite (JSON's 1e400 reads as inf, 10**400 as an int no float
    holds)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


# What each setting a label or a panel reads must be, when it is not null.
_SETTINGS = {
    "sizes": ("a list of whole numbers", lambda v: isinstance(v, list) and all(map(_is_int, v))),
    "cost": ("a string", lambda v: isinstance(v, str)),
    "activation": ("a string", lambda v: isinstance(v, str)),
    "penalty": ("a string", lambda v: isinstance(v, str)),
    "optimizer": ("a string", lambda v: isinstance(v, str)),
    "init": ("a string", lambda v: isinstance(v, str)),
    "dtype": ("a string", lambda v: isinstance(v, str)),
    "eval": ("a string", lambda v: isinstance(v, str)),
    "eta": ("a finite number", _is_real),
    "lmbda": ("a finite number", _is_real),
    "momentum": ("a finite number", _is_real),
    "mini_batch_size": ("a whole number", _is_int),
    "train_size": ("a whole number", _is_int),
    "threads": ("a whole number", _is_int),
    "seed": ("a whole number", _is_int),
    "early_stopping": ("a whole number", _is_int),
    "schedule": ("true or false", lambda v: isinstance(v, bool)),
}
