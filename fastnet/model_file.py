"""Model files in the JSON format of the book's network2.py, written atomically, read warily.

network2.py's ``save`` writes one JSON object::

    {"sizes": [784, 30, 10], "weights": [w.tolist(), ...], "biases": [b.tolist(), ...],
     "cost": "CrossEntropyCost"}

and its ``load`` looks the cost up by that class name in its own module.  fastnet writes those
four keys exactly as the book does, so the book's code loads fastnet's files (those whose cost
it has: QuadraticCost or CrossEntropyCost), plus a ``"fastnet"`` object that the book ignores:
``{"version": ..., "init": ..., "dtype": ..., "activation": ..., "penalty": ...}``.  That
object is optional on load, so files written by the book load here, as float64 sigmoid
networks.

A network the book's network2.py cannot compute (hidden neurons other than sigmoids) must not
load there silently as a sigmoid network, which would give wrong outputs: its ``"cost"`` is
written as a name network2.py has no class for (``"CrossEntropyCost, tanh hidden layers (not a
network2.py network)"``), so that the book's ``load`` fails loudly, naming it; the real cost
is in the ``"fastnet"`` object.  (The penalty is how the weights were trained, not how the
network computes: an L1-trained sigmoid network loads in network2.py as it should.)  `save` writes a network's file, `read`
checks one and returns its `Model`; `fastnet.load` (in `fastnet.network`) builds the network.

Weights ``w : (n_out, n_in)`` are nested lists of n_out rows; biases ``b : (n_out, 1)`` are
n_out one-element lists, as ``tolist()`` gives them.  JSON numbers are written with Python's
shortest round-trip repr, so a saved network loads back bit for bit.
"""

import json
from collections import namedtuple

import numpy as np

from . import __version__, atomic_file
from .activations import ACTIVATIONS
from .checks import DTYPES, INITS
from .costs import BY_CLASS_NAME
from .penalties import PENALTIES

KEYS = ("sizes", "weights", "biases", "cost")

Model = namedtuple("Model", "sizes weights biases cost init dtype activation penalty")
Model.__doc__ = """What a model file holds, checked: ``sizes`` (list of int), ``weights`` (float64
arrays ``(n_out, n_in)``), ``biases`` (float64 arrays ``(n_out, 1)``), ``cost`` (the book's class
name, "CrossEntropyCost"), ``init``, ``dtype``, ``activation`` and ``penalty`` (names).
`fastnet.load` builds a Network from it."""

# The hidden neurons network2.py computes; a network of other neurons gets a cost name it
# cannot load.
BOOK_ACTIVATION = "sigmoid"


def book_cost_name(cost_name, activation):
    """The ``"cost"`` written for a network of this cost and hidden activation: the book's
    class name, or, for neurons network2.py does not have, a name it cannot load."""
    if activation == BOOK_ACTIVATION:
        return cost_name
    return f"{cost_name}, {activation} hidden layers (not a network2.py network)"


def save(net, path):
    """Write the network ``net`` to ``path`` (see the module docstring), atomically: an
    interrupted or failed save leaves any existing file at ``path`` as it was."""
    atomic_file.write_json(path, {
        "sizes": net.sizes,
        "weights": [w.tolist() for w in net.weights],
        "biases": [b.tolist() for b in net.biases],
        "cost": book_cost_name(net.cost.__name__, net.activation),
        "fastnet": {"version": __version__, "init": net.init, "dtype": net.dtype.name,
                    "activation": net.activation, "penalty": net.penalty,
                    "cost": net.cost.__name__},
    })


def read(path):
    """The `Model` stored at ``path``, by fastnet or by the book's network2.py.

    Everything is checked before a network is built from it: the four keys, layer sizes, a known
    cost, every matrix's shape against ``sizes``, numbers only and all finite.  A file that
    fails any check raises ValueError naming the file and the problem; a file that cannot be
    read raises OSError.
    """
    with open(path, "rb") as f:
        raw = f.read()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError alike
        raise _error(path, f"not a JSON model file ({e})") from None
    if not isinstance(data, dict):
        raise _error(path, f"not a model file: expected a JSON object with keys "
                           f"{', '.join(KEYS)}")
    missing = [key for key in KEYS if key not in data]
    if missing:
        raise _error(path, f"not a model file: missing {', '.join(map(repr, missing))}")

    sizes = data["sizes"]
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(type(n) is int and n >= 1 for n in sizes)):
        raise _error(path, f"sizes must be a list of at least 2 positive integers, "
                           f"not {_brief(sizes)}")
    init, dtype, activation, penalty, cost = _extras(path, data.get("fastnet", {}))
    if cost is None:
        cost = data["cost"]
    if not isinstance(cost, str) or cost not in BY_CLASS_NAME:
        raise _error(path, f"unknown cost {_brief(cost)}; expected one of "
                           f"{', '.join(BY_CLASS_NAME)}")
    if data["cost"] not in (cost, book_cost_name(cost, activation)):
        raise _error(path, f'"cost" {_brief(data["cost"])} does not match the "fastnet" '
                           f"object's cost {cost} and activation {activation}")
    weights = _layers(path, data["weights"], "weights",
                      [(n, k) for k, n in zip(sizes[:-1], sizes[1:])], sizes)
    biases = _layers(path, data["biases"], "biases", [(n, 1) for n in sizes[1:]], sizes)

    return Model(sizes, weights, biases, cost, init, dtype, activation, penalty)


def _extras(path, extras):
    """(init, dtype, activation, penalty, cost) from the optional "fastnet" object; the book's
    defaults when absent (cost None: the top-level "cost" says it)."""
    if not isinstance(extras, dict):
        raise _error(path, f'"fastnet" must be a JSON object, not {_brief(extras)}')
    init = _choice(path, extras, "init", "default", INITS)
    dtype = _choice(path, extras, "dtype", "float64", DTYPES)
    activation = _choice(path, extras, "activation", BOOK_ACTIVATION, ACTIVATIONS)
    penalty = _choice(path, extras, "penalty", "l2", PENALTIES)
    cost = extras.get("cost")
    if cost is not None and cost not in BY_CLASS_NAME:
        raise _error(path, f'"fastnet": unknown cost {_brief(cost)}; expected one of '
                           f'{", ".join(BY_CLASS_NAME)}')
    return init, dtype, activation, penalty, cost


def _choice(path, extras, key, default, choices):
    """``extras[key]`` (``default`` when absent), which must be one of ``choices``."""
    value = extras.get(key, default)
    if not isinstance(value, str) or value not in choices:
        raise _error(path, f'"fastnet": {key} must be one of {", ".join(choices)}, '
                           f"not {_brief(value)}")
    return value


def _layers(path, layers, what, shapes, sizes):
    """float64 arrays of the given shapes from nested lists, or a ValueError saying which
    layer is wrong and how."""
    if not isinstance(layers, list) or len(layers) != len(shapes):
        raise _error(path, f"{what} must be a list of {len(shapes)} matrices for sizes {sizes}")
    arrays = []
    for layer, (value, (rows, cols)) in enumerate(zip(layers, shapes)):
        name = f"{what}[{layer}]"
        if (not isinstance(value, list) or len(value) != rows
                or not all(isinstance(row, list) and len(row) == cols for row in value)):
            raise _error(path, f"{name} must be {rows} rows of {cols} numbers for sizes {sizes}")
        # bool is an int subclass, and numpy would read "1.5" as a number: be exact.
        if not all(type(x) is float or type(x) is int for row in value for x in row):
            raise _error(path, f"{name} must hold numbers only")
        try:
            array = np.array(value, dtype=np.float64)
        except OverflowError:
            raise _error(path, f"{name} holds an integer too large for a float") from None
        if not np.all(np.isfinite(array)):
            raise _error(path, f"{name} holds a non-finite number (NaN or Infinity)")
        arrays.append(array)
    return arrays


def _brief(value, limit=40):
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _error(path, message):
    return ValueError(f"{path}: {message}")
