"""The networks of `fastnet bench`, written as a JAX user writes them: parameters as a list of
``(w, b)`` pairs with ``w : (n_in, n_out)`` (``x @ w + b`` on rows of examples), the loss
differentiated by `jax.grad`, the optimizer from optax, an epoch one jitted function whose
mini-batches are one `jax.lax.scan`.

Importing this module imports JAX: `jax_run.start` sets XLA's threads and 64-bit mode first.

The arithmetic is the book's (`fastnet.Network`): the loss of a mini-batch of m examples is the
sum of the examples' costs divided by m (so that eta times its gradient is the book's ``eta/m``
times the sum of the gradients), plus the penalty ``(lmbda/n) * P(w)`` over the weights
(``P = w^2/2`` for L2, the book's weight decay; ``|w|`` for L1, whose gradient at 0 JAX takes as
0), biases never penalised, n the images of the epoch.  The pixels stay uint8 on the device;
each mini-batch is gathered and scaled by 1/256 inside the jitted step.
"""

import jax
import jax.numpy as jnp
import optax

HIDDEN = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
          "identity": lambda z: z}


def output_inputs(params, x, activation):
    """The output layer's weighted inputs z ``(m, n_out)`` for the scaled inputs ``x : (m, n_in)``
    (the output's own function is the cost's, applied in `loss`)."""
    for w, b in params[:-1]:
        x = HIDDEN[activation](x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss(params, pixels, labels, variant, dtype, n):
    """The variant's cost of the mini-batch ``pixels : (m, n_in)`` uint8, ``labels : (m,)``."""
    x = pixels.astype(dtype) / 256
    z = output_inputs(params, x, variant.activation)
    y = jax.nn.one_hot(labels, z.shape[1], dtype=dtype)
    if variant.cost == "quadratic":
        cost = 0.5 * jnp.sum((jax.nn.sigmoid(z) - y) ** 2)
    elif variant.cost == "cross-entropy":
        cost = jnp.sum(optax.sigmoid_binary_cross_entropy(z, y))
    else:
        raise ValueError(f"no JAX form of the cost {variant.cost!r}")
    cost = cost / pixels.shape[0]
    if variant.lmbda:
        if variant.penalty == "l2":
            penalty = 0.5 * sum(jnp.sum(w * w) for w, _ in params)
        else:
            penalty = sum(jnp.sum(jnp.abs(w)) for w, _ in params)
        cost = cost + variant.lmbda / n * penalty
    return cost


def optimizer(variant):
    """The variant's optax optimizer: plain SGD or Adam (optax's Adam adds epsilon to the root
    of the bias-corrected second moment, as torch.optim.Adam does)."""
    if variant.optimizer == "adam":
        return optax.adam(variant.eta, b1=variant.betas[0], b2=variant.betas[1],
                          eps=variant.epsilon)
    if variant.optimizer == "sgd":
        return optax.sgd(variant.eta)
    raise ValueError(f"no JAX form of the optimizer {variant.optimizer!r}")


def make_step(variant, dtype, n):
    """``step(params, opt_state, pixels, labels, index) -> (params, opt_state)``: one mini-batch,
    the examples ``index`` of the (N, n_in) uint8 rows ``pixels``; not jitted (the epoch is)."""
    tx = optimizer(variant)
    grad = jax.grad(loss)

    def step(params, opt_state, pixels, labels, index):
        g = grad(params, pixels[index], labels[index], variant, dtype, n)
        updates, opt_state = tx.update(g, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    return step


def make_epoch(variant, dtype, k, m):
    """The jitted ``epoch(params, opt_state, key, pixels, labels) -> (params, opt_state, key)``
    over the first k rows: a permutation of them drawn from ``key``, cut into mini-batches of
    m, one `lax.scan` over the whole ones and one more step on a shorter last one."""
    n_batches, rest = divmod(k, m)
    step = make_step(variant, dtype, k)

    def epoch(params, opt_state, key, pixels, labels):
        key, shuffle = jax.random.split(key)
        order = jax.random.permutation(shuffle, k)

        def body(carry, index):
            return step(*carry, pixels, labels, index), None

        batches = order[:n_batches * m].reshape(n_batches, m)
        (params, opt_state), _ = jax.lax.scan(body, (params, opt_state), batches)
        if rest:
            params, opt_state = step(params, opt_state, pixels, labels, order[n_batches * m:])
        return params, opt_state, key

    return jax.jit(epoch)


def make_predict(activation, dtype):
    """The jitted ``predict(params, pixels) -> labels`` on uint8 rows."""
    def predict(params, pixels):
        return jnp.argmax(output_inputs(params, pixels.astype(dtype) / 256, activation), axis=1)

    return jax.jit(predict)
