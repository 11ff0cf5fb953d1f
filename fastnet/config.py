"""The hyper-parameters of a training run, in one named object, and the small arrays that carry
them (and the network's kinds) into the compiled code.

`TrainConfig` is what `Network.SGD` and `Network.update_mini_batch` resolve their arguments
into, checked; the engine reads nothing else.  The compiled step takes three small arrays
instead of a long list of arguments:

- ``hyper`` (float64, the fields of `optimizers.HYPER`): eta, lmbda, n, mu, the betas, epsilon;
- ``kinds`` (int64, indices below): the table entries of the activation, cost, penalty and
  optimizer, the output layer, the update's `route`, and whether to tally the loss;
- ``control`` (int64): a stop request the compiled loop polls between mini-batches, the count
  of mini-batches done, and the optimizer's step count t (Adam's bias correction).

The routes of an update (`fastnet.updates`): plain SGD adds the mini-batch's gradient straight
into the weights inside BLAS (``FOLD``; L2's decay rides in the same call) or into the velocity
(``FOLD_VELOCITY``, momentum); every other optimizer gets the gradient in an array first
(``GRADIENT``).
"""

from dataclasses import dataclass

import numpy as np

from . import activations, costs, optimizers, penalties

# kinds
ACTIVATION, SOFTMAX, COST, PENALTY, PENALTY_FOLDS, OPTIMIZER, ROUTE, LOSS = range(8)
# routes
FOLD, FOLD_VELOCITY, GRADIENT = range(3)
# control
STOP, DONE, T = range(3)


@dataclass(frozen=True)
class TrainConfig:
    """The hyper-parameters of SGD, checked (`Network.SGD` builds it).

    eta : the learning rate (Adam's step size); lmbda : the penalty's parameter; n : what
    lmbda is divided by: None for the number of examples an epoch trains on (the book's
    ``lmbda/n``, set per epoch by `fastnet.train`), a number, or 0 for each mini-batch's own
    weight (scikit-learn's ``alpha``); mu : momentum; optimizer : a name of
    `fastnet.optimizers.OPTIMIZERS`; betas, epsilon : Adam's.
    """

    eta: float
    lmbda: float = 0.0
    n: float = None
    mu: float = 0.0
    optimizer: str = "sgd"
    betas: tuple = (0.9, 0.999)
    epsilon: float = 1e-8

    @property
    def route(self):
        """How the updates run: `FOLD`, `FOLD_VELOCITY` or `GRADIENT`."""
        if not optimizers.OPTIMIZERS[self.optimizer].fold:
            return GRADIENT
        return FOLD_VELOCITY if self.mu else FOLD

    @property
    def slots(self):
        """How many arrays of state each parameter needs on this route."""
        if self.route == GRADIENT:
            return optimizers.OPTIMIZERS[self.optimizer].slots
        return 1 if self.route == FOLD_VELOCITY else 0

    def hyper(self):
        """The float64 array of `optimizers.HYPER`, for the compiled code."""
        values = {"eta": self.eta, "lmbda": self.lmbda, "n": self.n, "mu": self.mu,
                  "beta1": self.betas[0], "beta2": self.betas[1], "epsilon": self.epsilon}
        return np.array([values[name] for name in optimizers.HYPER], np.float64)

    def kinds(self, activation, cost, penalty, loss=False):
        """The int64 array of kinds, for a network of hidden ``activation``, ``cost`` (a class
        of `fastnet.costs`) and ``penalty`` trained with this config; ``loss``: tally each
        mini-batch's loss as it is computed (the ``tally`` work array)."""
        out = np.zeros(8, np.int64)
        out[ACTIVATION] = activations.code(activation)
        out[SOFTMAX] = cost.output == "softmax"
        out[COST] = costs.code(cost)
        out[LOSS] = loss
        out[PENALTY] = penalties.code(penalty)
        out[PENALTY_FOLDS] = penalties.PENALTIES[penalty].folds
        out[OPTIMIZER] = optimizers.code(self.optimizer)
        out[ROUTE] = self.route
        return out


def control():
    """A fresh control array: no stop asked, no mini-batch done, t = 0."""
    return np.zeros(3, np.int64)
