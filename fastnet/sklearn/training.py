"""The estimator's bridge to the engine: a `fastnet.Network` built and initialised as
scikit-learn builds its MLP, one epoch of it trained by `fastnet.train.sgd` in scikit-learn's
terms, and the regularization term of scikit-learn's loss.

What scikit-learn's names become:

- ``activation`` "logistic" | "tanh" | "relu" | "identity": the network's hidden neurons
  (`ACTIVATIONS`);
- the output layer and loss: softmax with the log-likelihood cost for multiclass targets,
  sigmoid outputs with the cross-entropy cost (scikit-learn's binary log-loss) for binary and
  multilabel ones (`cost_name`);
- ``solver`` "adam" (with ``beta_1``, ``beta_2``, ``epsilon``), or "sgd" with ``momentum``
  (Nesterov's when ``nesterovs_momentum``): the engine's optimizers (`optimizer`);
- ``alpha``: the L2 penalty per mini-batch, the gradient ``(sum of the weighted example
  gradients + alpha W) / (the mini-batch's sum of sample weights)``: `TrainConfig` with
  ``n=0`` (each mini-batch's own weight);
- ``learning_rate_init`` and its schedule (`fastnet.sklearn.schedule`): eta, epoch by epoch.
  The optimizer's state (velocity, Adam's moments and step count) carries on from one call to
  the next, so that one epoch per call is one continuous run.
"""

import numpy as np

from .. import train
from ..checks import check_data, check_threads
from ..config import TrainConfig
from ..network import Network
from ..optimizers import check_optimizer

ACTIVATIONS = {"logistic": "sigmoid", "tanh": "tanh", "relu": "relu", "identity": "identity"}


def cost_name(cost, multiclass):
    """The engine's cost for the estimator's ``cost`` ("log_loss" or "quadratic")."""
    if cost == "quadratic":
        return "quadratic"
    return "log-likelihood" if multiclass else "cross-entropy"


def glorot_parameters(sizes, activation, random_state, dtype):
    """scikit-learn's initialisation (``_init_coef``, Glorot et al.), drawn exactly as it
    draws it: for each layer, the coefficients ``(fan_in, fan_out)`` and then the intercepts
    ``(fan_out,)``, uniform in +-sqrt(f / (fan_in + fan_out)), f = 2 for "logistic" neurons
    and 6 otherwise, in float64 from ``random_state`` (a `numpy.random.RandomState`), then cast
    to ``dtype``.  Returns the engine's ``(weights, biases)``: ``(fan_out, fan_in)`` and
    ``(fan_out, 1)`` arrays."""
    factor = 2.0 if activation == "logistic" else 6.0
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept = random_state.uniform(-bound, bound, fan_out)
        weights.append(coef.astype(dtype, copy=False).T)
        biases.append(intercept.astype(dtype, copy=False)[:, None])
    return weights, biases


def build_network(sizes, activation, cost, dtype, random_state):
    """A `fastnet.Network` of layer ``sizes`` (input first) initialised by
    `glorot_parameters` from ``random_state``.  The network's own Generator is seeded from
    the RandomState's state without drawing from it, and never draws in training: the
    estimator gives every epoch's order itself, as scikit-learn draws it."""
    seed = np.random.default_rng(random_state.get_state()[1])
    net = Network(sizes, cost=cost, init="default", dtype=dtype, seed=seed,
                  activation=ACTIVATIONS[activation])
    net.weights, net.biases = glorot_parameters(sizes, activation, random_state, dtype)
    return net


def optimizer(solver, momentum, nesterovs_momentum):
    """``(name, mu)``: the engine's optimizer for scikit-learn's solver settings."""
    if solver == "adam":
        return "adam", 0.0
    if momentum > 0 and nesterovs_momentum:
        return "nesterov", float(momentum)
    return "sgd", float(momentum)


def train_config(eta, alpha, solver, momentum, nesterovs_momentum, betas, epsilon):
    """The `TrainConfig` of an epoch at learning rate ``eta``, checked by the engine's own
    checks (`fastnet.optimizers.check_optimizer`)."""
    name, mu = optimizer(solver, momentum, nesterovs_momentum)
    name, mu, betas, epsilon = check_optimizer(name, mu, betas, epsilon)
    return TrainConfig(float(eta), lmbda=float(alpha), n=0.0, mu=mu, optimizer=name,
                       betas=betas, epsilon=epsilon)


def check_training_data(net, X, targets, sample_weight, threads):
    """The engine's checks of a fit's data, once per fit: ``X : (n_features, n_samples)``
    (the transpose of the estimator's rows), ``targets`` (`inputs.engine_targets`),
    ``sample_weight`` ``(n_samples,)`` or None; returns ``(data, sample_weight, threads)``
    in the engine's forms."""
    data = check_data((X, targets), "X", net.sizes)
    if sample_weight is not None:
        sample_weight = np.ascontiguousarray(sample_weight, dtype=net.dtype)
    return data, sample_weight, check_threads(threads, net.sizes)


def epoch(net, data, order, batch_size, config, sample_weight=None, threads=1):
    """One epoch of ``net`` on ``data`` (`check_training_data`), the examples in ``order``
    (int64 indices into the columns, cut into mini-batches of ``batch_size``, the last one
    possibly shorter), trained with ``config``; returns the engine's `History` (its
    ``loss``: the epoch's mean loss, weighted, before each mini-batch's step, without the
    penalty).  Raises `fastnet.DivergenceError` when the loss or the parameters stop being
    finite (the network is then as it was before the epoch)."""
    with net.state.training():
        return train.sgd(net, data, config, epochs=1, mini_batch_size=batch_size,
                         monitor=["loss"], threads=threads, order=lambda _: order,
                         sample_weight=sample_weight)


def squared_norm(net):
    """The sum of the squared weights of ``net`` (biases are not penalised), in float64."""
    total = 0.0
    for w in net.state.weights:
        flat = w.ravel().astype(np.float64, copy=False)
        total += float(np.dot(flat, flat))
    return total


def penalty_term(alpha, before, after, order, batch_size, sample_weight):
    """The regularization part of scikit-learn's epoch loss: it adds, for each mini-batch b
    of an epoch, ``len(b) * 0.5 * alpha * ||W_b||^2 / sw_b`` (sw_b the mini-batch's sum of
    sample weights, its size without them; W_b the weights before its step) and divides the
    sum by the number of samples.  The engine does not stop between mini-batches to measure
    ||W_b||^2: it is interpolated linearly between ``before`` (the epoch's first mini-batch,
    exact) and ``after`` (the weights after the last step), the squared norms of the weights
    (`squared_norm`).  Over an epoch ||W||^2 moves by a few percent at most, and the term is
    alpha-small, so the loss differs from scikit-learn's in its last digits only."""
    if alpha == 0:
        return 0.0
    n = len(order)
    starts = np.arange(0, n, batch_size)
    lengths = np.diff(np.append(starts, n)).astype(np.float64)
    if sample_weight is None:
        factors = np.ones(len(starts))
    else:
        factors = lengths / np.add.reduceat(sample_weight[order].astype(np.float64), starts)
    norms = before + (after - before) * np.arange(len(starts)) / len(starts)
    return 0.5 * alpha * float(np.dot(factors, norms)) / n
