"""Timing one epoch of SGD on MNIST, side by side, in one process: what `fastnet bench`
(`fastnet.commands.bench`) prints and benchmarks/ times.

The implementations, all training the book's network.py setup (quadratic cost on sigmoid
outputs, weights and biases from N(0, 1), eta = 3.0, plain SGD over shuffled mini-batches):

- ``fastnet`` (this package), float64 and float32, on the raw uint8 pixels;
- ``fastnet-f64data`` and ``fastnet-f32data``: the same networks on the float64 (or float32)
  pixels of ``load_mnist()`` (``load_mnist(dtype=numpy.float32)``), one ``SGD(training, 1, m,
  eta)`` call per timing with every check counted: the README's path;
- ``reference``, the per-example oracle (`fastnet.reference.Network`), float64;
- ``pytorch`` (CPU, when installed), float64 and float32: the same network and initial
  parameters, `torch.optim.SGD`, the loss ``0.5 * sum ||a - y||^2 / m`` (its gradient times eta
  is the book's ``eta/m * sum of gradients``), a shuffled index gather per mini-batch;
- ``jax`` (CPU, with optax, when installed), float64 and float32: the same network, initial
  parameters and loss, an epoch one jitted `lax.scan` over the mini-batches of a
  ``jax.random.permutation``, gathered from the uint8 pixels and scaled inside the step
  (`jax_mlp`); XLA on one thread in the 1-thread setting (`jax_run`), compiled before timing;
- ``scikit-learn`` (when installed), float64 and float32: `MLPClassifier(solver="sgd",
  activation="logistic", max_iter=1, ...)`, one epoch per ``fit``.  Its output layer is a
  softmax with log-loss and its initialization is its own; the rest matches.
- ``fastnet-sklearn`` (when scikit-learn is installed), float64 and float32:
  `fastnet.MLPClassifier` with scikit-learn's settings above and on its data, one epoch per
  ``partial_fit``: scikit-learn's API on fastnet's engine, the scikit-learn column its ratio.

Beside the book's setup, the full plan times the engine's options (`variants`): tanh, ReLU and
identity hidden layers against sigmoid's, L1 against L2, Adam against SGD, for fastnet, PyTorch
and JAX at [784, 30, 10], mini-batches 10 and 100, 1 thread, and reports each variant's epoch
against its baseline's and fastnet's against JAX's and PyTorch's in every row.

Slow implementations are timed on a slice of the training set (the first k images) and the
time is scaled to the 50,000 images of an epoch; the table says on how many images each figure
was measured.  Within a (network, mini-batch size) group the implementations (and variants)
take turns (A B C, B C A, ...) for several repeats, so that noise from other processes hits
them alike, and the median is reported.  Every implementation must have learned (validation accuracy up
from its start), or the run fails.

FLOPs of an epoch: the multiply-adds of the matrix products, 2 flops each (the element-wise
work is not counted): per example, ``2 n_out n_in`` for each layer's forward product and for its
weight gradient, and again for backpropagating the error through every layer but the first.
For [784, 30, 10] that is 95,880 per example, 4.79 GFLOP per epoch.  Efficiency is the epoch's
FLOPs / (its time x a matrix-multiply rate measured in the same run with numpy's ``@``): the
rate of a 1000 x 1000 x 1000 product (the machine's BLAS at its best on this thread count;
the headline figure) and, for comparison, the rate of the network's own first-layer product
``[n1 x 784] @ [784 x m]`` at the mini-batch size m.

The modules: `variants` (the setups trained, the ratios between them), `implementations` (the
implementations timed, the data each takes), `jax_run` and `jax_mlp` (the JAX peer: starting
JAX, and its network), `rates` (the FLOPs of an epoch and the matrix-multiply rates efficiency
is measured against), `timing` (a run: the plans, the thread settings, the turns, the checks,
the ratios), `table` (the result as text and as JSON) and `book_format` (fastnet.book on the
book's data formats).
"""
