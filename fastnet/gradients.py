"""The gradient of the cost over a batch of examples, by the engine's backprop, without a step.

Training never needs the gradient on its own for plain SGD (the compiled step lets BLAS add it
to the weights as it goes).  Measuring it does: chapter 5 of the book watches how fast each
hidden layer learns through the norm of the gradient with respect to that layer's biases,
||delta^l|| (`Network.layer_speeds`).  Here the examples go through the network
``(n_in, chunk)`` at a time by training's own compiled backprop (`layers._forward_backward`:
the same forward, output and backward blocks), and the per-example gradients are summed by
two matrix products per layer.

Shapes: ``X : (n_in, m)``, one example per column; ``Y : (n_out, m)``; ``w : (n_out, n_in)``;
``b : (n_out, 1)``.
"""

import numpy as np

from .checks import NonFiniteColumn, check_data, check_inputs
from .config import TrainConfig
from .evaluation import as_float, targets
from .layers import _forward_backward
from .settings import EVAL_CHUNK


def gradients(net, X, Y, average=True):
    """The gradient of ``net``'s cost over the columns of ``X``, without the penalty.

    Returns ``(nabla_b, nabla_w)``, lists like `Network.biases` and `Network.weights`
    (``(n_out, 1)`` and ``(n_out, n_in)`` float64 arrays): the per-example gradients of the
    book's ``backprop`` summed over the m columns, or, with ``average``, their mean (the
    gradient of C = (1/m) sum_x C_x).  ``X : (n_in, m)`` float or uint8 pixel bytes (scaled by
    1/256, as everywhere in the engine), ``Y : (n_out, m)`` the targets.  The examples are
    taken `EVAL_CHUNK` columns at a time, so a large X is never copied whole.  An inf or a
    nan in X is a ValueError naming its column (`checks.NonFiniteColumn`).
    """
    X = check_inputs(X, net.sizes[0])
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
    X, y = check_data((X, y), "data", net.sizes, allow_empty=True)
    if X.shape[1] == 0:
        raise ValueError("layer speeds need at least one example")
    n_out = net.sizes[-1]
    nabla_b, _ = _gradients(net, X, lambda start, stop: targets(y[start:stop], n_out), True,
                            weights=False)
    return [float(np.linalg.norm(nb)) for nb in nabla_b[:-1]]


def _gradients(net, X, chunk_targets, average, weights):
    """`gradients` on checked inputs; ``chunk_targets(start, stop)`` gives a chunk's Y.
    Without ``weights``, nabla_w is None: the biases' gradient alone saves the largest
    product."""
    want_w = weights
    weights, biases = tuple(net.weights), tuple(net.biases)
    dtype = net.dtype
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights] if want_w else None
    kinds = TrainConfig(1.0).kinds(net.activation, net.cost, net.penalty)
    no_weights, tally = np.empty(0, dtype), np.zeros(2)
    m = X.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, m, EVAL_CHUNK):
            stop = min(start + EVAL_CHUNK, m)
            x = np.asfortranarray(as_float(X[:, start:stop], dtype))
            y = np.ascontiguousarray(chunk_targets(start, stop), dtype)
            a = tuple(np.empty((n, stop - start), dtype) for n in net.sizes[1:])
            delta = tuple(np.empty_like(layer) for layer in a)
            bad = _forward_backward(x, y, no_weights, weights, biases, a, delta, kinds, tally)
            if bad >= 0:
                raise NonFiniteColumn(start + bad)
            inputs = (x,) + a[:-1]
            for layer in range(len(weights)):
                nabla_b[layer] += delta[layer].sum(axis=1, keepdims=True, dtype=np.float64)
                if want_w:
                    nabla_w[layer] += delta[layer] @ inputs[layer].T
    if average and m:
        nabla_b = [nb / m for nb in nabla_b]
        nabla_w = [nw / m for nw in nabla_w] if want_w else None
    return nabla_b, nabla_w
