"""scikit-learn's learning-rate schedules, as its stochastic optimizers keep them.

`sklearn.neural_network._stochastic_optimizers` holds, besides the update rules (which the
engine runs, `fastnet.optimizers`), the learning rate of the run and what happens when the
loss stops improving.  `LearningRate` is that part alone, with the same rules and messages:

- solver "sgd": ``learning_rate="constant"`` keeps ``learning_rate_init``; "invscaling" sets
  ``learning_rate_init / (t + 1) ** power_t`` after each epoch, t the samples seen so far;
  "adaptive" divides it by 5 each time the loss (or validation score) fails to improve by
  ``tol`` for ``n_iter_no_change`` epochs, and stops once it is at most 1e-6;
- solver "adam": the rate stays ``learning_rate_init`` (Adam's bias correction is the
  engine's), and no improvement stops the run.
"""


class LearningRate:
    """The learning rate of one run of the solver ``solver`` ("sgd" or "adam"); the
    estimator keeps one across `partial_fit` calls, as scikit-learn keeps its optimizer, and
    makes a new one at each `fit`."""

    def __init__(self, solver, learning_rate_init, schedule="constant", power_t=0.5):
        self.solver = solver
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.schedule = schedule if solver == "sgd" else "constant"
        self.power_t = power_t

    def iteration_ends(self, time_step):
        """After an epoch; ``time_step`` is the number of samples trained on so far (``t_``)."""
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, message, verbose):
        """No improvement for ``n_iter_no_change`` epochs: True to stop; with the "adaptive"
        schedule, the rate is divided by 5 instead while it is above 1e-6.  ``message`` is
        what scikit-learn prints (with ``verbose``) before its decision."""
        if self.schedule != "adaptive":
            if verbose:
                print(message + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(message + " Setting learning rate to %f" % self.learning_rate)
        return False
