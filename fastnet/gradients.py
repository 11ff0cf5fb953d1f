"""The gradient of the cost over a batch of examples, by matrix-based backprop, without a step.

Training never needs the gradient on its own: the compiled step (`kernels._train_step`) adds
it to the weights as it goes.  Measuring it does: chapter 5 of the book watches how fast each
hidden layer learns through the norm of the gradient with respect to that layer's biases,
||delta^l|| (`Network.layer_speeds`).  Here the examples go through the network as
``(n_in, chunk)`` matrices, with the engine's activations and deltas (the numba kernels of
training: the same sigmoid, softmax and output deltas), and the per-example gradients are
summed by two matrix products per layer.

Shapes: ``X : (n_in, m)``, one example per column; ``Y : (n_out, m)``; ``w : (n_out, n_in)``;
``b : (n_out, 1)``.
"""

import numpy as np

from . import kernels
from .checks import check_columns
from .data import one_hot
from .settings import EVAL_CHUNK


def gradients(net, X, Y, average=True):
    """The gradient of ``net``'s cost over the columns of ``X``, without the L2 term.

    Returns ``(nabla_b, nabla_w)``, lists like `Network.biases` and `Network.weights`
    (``(n_out, 1)`` and ``(n_out, n_in)`` float64 arrays): the per-example gradients of the
    book's ``backprop`` summed over the m columns, or, with ``average``, their mean (the
    gradient of C = (1/m) sum_x C_x).  ``X : (n_in, m)`` float or uint8 pixel bytes (scaled by
    1/256, as everywhere in the engine), ``Y : (n_out, m)`` the targets.  The examples are
    taken `EVAL_CHUNK` columns at a time, so a large X is never copied whole.  An inf or a
    nan in X is a ValueError naming its column (`checks.NonFiniteColumn`).
    """
    X = net._check_inputs(X)
    Y = np.asarray(Y)
    if Y.shape != (net.sizes[-1], X.shape[1]):
        raise ValueError(f"Y must have shape ({net.sizes[-1]}, {X.shape[1]}) to match X, "
                         f"not {Y.shape}")
    return _gradients(net, X, lambda start, stop: Y[:, start:stop], average, weights=True)


def layer_speeds(net, X, y):
    """||delta^l|| for each hidden layer l, first hidden layer first: the Euclidean norm of
    the gradient of the cost with respect to the layer's biases, averaged over the examples
    ``(X : (n_in, m), y : (m,) labels)``, as the book's generate_gradient.py measures it.
    A list of floats, empty for a network without a hidden layer."""
    X, y = net._check_data((X, y), "data", allow_empty=True)
    if X.shape[1] == 0:
        raise ValueError("layer speeds need at least one example")
    n_out = net.sizes[-1]
    nabla_b, _ = _gradients(net, X, lambda start, stop: one_hot(y[start:stop], n_out), True,
                            weights=False)
    return [float(np.linalg.norm(nb)) for nb in nabla_b[:-1]]


def _gradients(net, X, targets, average, weights):
    """`gradients` on checked inputs; ``targets(start, stop)`` gives the chunk's Y.  Without
    ``weights``, nabla_w is None: the biases' gradient alone saves the largest product."""
    want_w = weights
    weights, biases = net.weights, net.biases
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights] if want_w else None
    m = X.shape[1]
    quadratic = net.cost.delta_has_sigma_prime
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, m, EVAL_CHUNK):
            stop = min(start + EVAL_CHUNK, m)
            activations = [net._as_float(X[:, start:stop])]
            for layer, (w, b) in enumerate(zip(weights, biases)):
                z = w @ activations[-1]
                if layer == 0 and X.dtype != np.uint8:
                    check_columns(X[:, start:stop], z, start)
                net._activate(layer, z, b)  # in place: z is now the activation
                activations.append(z)
            Y = np.ascontiguousarray(targets(start, stop), net.dtype)
            delta = np.empty_like(activations[-1])
            kernels._output_delta(activations[-1], Y, delta, quadratic)
            for layer in range(len(weights) - 1, -1, -1):
                nabla_b[layer] += delta.sum(axis=1, keepdims=True, dtype=np.float64)
                if want_w:
                    nabla_w[layer] += delta @ activations[layer].T
                if layer:
                    delta = np.ascontiguousarray(weights[layer].T @ delta)
                    kernels._times_sigmoid_prime(delta, activations[layer])
    if average and m:
        nabla_b = [nb / m for nb in nabla_b]
        nabla_w = [nw / m for nw in nabla_w] if want_w else None
    return nabla_b, nabla_w
