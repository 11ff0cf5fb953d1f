"""What every implementation `fastnet bench` times trains: the shared setup (`SEED`, `N_EPOCH`,
`N_EVAL`) and the training variants, and the ratios between variants the run reports.

A `Variant` is one training setup: the hidden layers' activation, the penalty and the
optimizer, with the cost, initialization and hyper-parameters it learns at.  ``book`` is
network.py's setup (sigmoid neurons, quadratic cost, N(0, 1) weights, eta 3.0, plain SGD), the
rows `fastnet bench` has always timed, for every implementation.  The others time the engine's
options (`fastnet.activations`, `fastnet.penalties`, `fastnet.optimizers`) against PyTorch's and
JAX's equivalents; they share one baseline, ``sigmoid`` (cross-entropy on sigmoid outputs,
network2's N(0, 1/n_in) weights, eta 0.1, plain SGD), and each differs from it (or from ``l2``)
in one thing, so that a ratio of two epochs is the cost of that one thing.

eta 0.1, not network2's 0.5: at 0.5 and mini-batch 10, identity hidden layers diverge (the
weights leave the finite range within the first epochs) and ReLU layers learn erratically; one
rate for all keeps the ratios about the neurons alone.  Adam takes its usual step size, 0.001.
"""

from dataclasses import asdict, dataclass

N_EPOCH = 50_000  # an epoch: the whole training set; times on fewer images are scaled to it
N_EVAL = 2_000  # the validation images that score an implementation
SEED = 12345  # the initial parameters (and shuffles, where a library takes a seed)


@dataclass(frozen=True)
class Variant:
    """One training setup.  ``lmbda`` is the penalty's parameter, with n = the images of the
    epoch; ``betas`` and ``epsilon`` are Adam's (torch.optim.Adam's defaults)."""

    name: str
    activation: str = "sigmoid"
    penalty: str = "l2"
    optimizer: str = "sgd"
    cost: str = "cross-entropy"
    init: str = "default"
    eta: float = 0.1
    lmbda: float = 0.0
    betas: tuple = (0.9, 0.999)
    epsilon: float = 1e-8

    def as_dict(self):
        return asdict(self)


BOOK = Variant("book", cost="quadratic", init="large", eta=3.0)
VARIANTS = {v.name: v for v in (
    BOOK,
    Variant("sigmoid"),
    Variant("tanh", activation="tanh"),
    Variant("relu", activation="relu"),
    Variant("identity", activation="identity"),
    Variant("l2", lmbda=5.0),
    Variant("l1", penalty="l1", lmbda=5.0),
    Variant("adam", optimizer="adam", eta=0.001),
)}


@dataclass(frozen=True)
class Ratio:
    """``variant``'s epoch / ``baseline``'s, same implementation, network, mini-batch and dtype;
    ``targets[batch]``: the bound issue 24 sets fastnet at that mini-batch size."""

    variant: str
    baseline: str
    targets: dict


RATIOS = [Ratio("tanh", "sigmoid", {10: 1.15, 100: 1.15}),
          Ratio("relu", "sigmoid", {10: 1.15, 100: 1.15}),
          Ratio("identity", "sigmoid", {10: 1.15, 100: 1.15}),
          Ratio("l1", "l2", {10: 1.25, 100: 1.10}),
          Ratio("adam", "sigmoid", {10: 2.5, 100: 1.3})]
