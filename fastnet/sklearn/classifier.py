"""`MLPClassifier`: scikit-learn's multi-layer perceptron classifier, trained by the engine.

The estimator follows `sklearn.neural_network.MLPClassifier` (scikit-learn 1.9) step by
step: the same parameters and defaults, the same validation and errors, the same random
draws from ``random_state`` (the initial weights, every epoch's shuffle, the early-stopping
split), the same mini-batches, the same stopping rules and learning-rate schedules, the same
fitted attributes.  What it hands to fastnet's engine is the arithmetic of the epochs
(`fastnet.sklearn.training`); the data are converted once per fit (`fastnet.sklearn.inputs`).
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils import shuffle as shuffle_indices
from sklearn.utils._param_validation import (Interval, InvalidParameterError, Options,
                                             StrOptions)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (_check_partial_fit_first_call,
                                      check_classification_targets, type_of_target,
                                      unique_labels)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..train import DivergenceError
from . import inputs, training
from .schedule import LearningRate

SOLVERS = ("adam", "sgd")


def _stochastic(estimator):
    """`partial_fit` exists for the solvers fastnet has, as scikit-learn's does for its
    stochastic ones."""
    if estimator.solver not in SOLVERS:
        raise AttributeError(f"partial_fit is only available for the solvers "
                             f"{' and '.join(map(repr, SOLVERS))}, not {estimator.solver!r}")
    return True


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier: `sklearn.neural_network.MLPClassifier`, trained by
    fastnet's compiled engine.

    A drop-in: the parameters, their defaults and their meanings are scikit-learn's (below,
    in brief; its documentation has them in full), and so are the random draws: with the same
    ``random_state`` the initial weights, the shuffles, the mini-batches and the
    early-stopping split are scikit-learn's own, and for ``solver="sgd"`` the fitted
    coefficients are scikit-learn's to rounding.  The differences:

    - ``solver="lbfgs"`` is not available (an error at `fit` naming the solvers that are):
      fastnet trains by mini-batch gradient descent.  ``max_fun``, an L-BFGS setting, is
      accepted and unused, as in scikit-learn with the other solvers.
    - Adam adds ``epsilon`` to the bias-corrected root of the second moment, as
      `torch.optim.Adam` does (``m_hat / (sqrt(v_hat) + epsilon)``); scikit-learn adds it to
      the uncorrected root, which amounts to an epsilon of ``epsilon / sqrt(1 - beta_2**t)``
      at step t (3.2e-7 at the first step for the defaults, tending to 1e-8).  With gradients
      far above epsilon, as usual, the two runs agree closely.
    - ``momentum`` must be below 1 (scikit-learn also accepts 1: a velocity that never decays).
    - Sample weights must be >= 0 (scikit-learn accepts negative ones).
    - ``loss_`` and ``loss_curve_``: scikit-learn adds ``0.5 * alpha * ||W||^2 / sw`` per
      mini-batch at that mini-batch's weights; fastnet measures ||W||^2 before the epoch's
      first mini-batch and after its last, and interpolates in between
      (`training.penalty_term`).  With sample weights and several mini-batches, the data part
      is the epoch's weighted mean loss, where scikit-learn averages each mini-batch's
      weighted mean: the same without weights, close with them.
    - A diverging run (the loss or the weights no longer finite) stops at once with
      scikit-learn's ValueError ("Solver produced non-finite parameter weights ..."), the
      parameters those of the last finite epoch; scikit-learn finishes its epochs first.
    - fastnet's own options, after scikit-learn's: ``dtype``, ``threads``, ``cost``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Neurons of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        The hidden neurons.
    solver : {"adam", "sgd"}, default="adam"
        Adam, or SGD with ``momentum`` (Nesterov's when ``nesterovs_momentum``).
    alpha : float, default=1e-4
        L2 penalty, per mini-batch: the gradient is (the sum of the examples' gradients,
        weighted + alpha W) / (the mini-batch's sum of sample weights, or its size).
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        The schedule of the learning rate of ``solver="sgd"`` (`schedule.LearningRate`).
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
        The exponent of "invscaling".
    max_iter : int, default=200
        Epochs at most.
    shuffle : bool, default=True
        Shuffle the samples in each epoch.
    random_state : None, int or numpy.random.RandomState, default=None
        The initial weights, the shuffles and the early-stopping split, as scikit-learn draws
        them.
    tol : float, default=1e-4
    verbose : bool, default=False
        Print scikit-learn's lines ("Iteration %d, loss = %.8f", ...).
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        Unused (L-BFGS's).
    dtype : {"float64", "float32"} or None, default=None
        fastnet: the precision of the network.  None follows scikit-learn: float32 data train
        in float32, any other in float64.  X of any real dtype is cast to it once per fit,
        as numbers (uint8 values are not scaled: they are not taken for pixel bytes here).
    threads : int, default=1
        fastnet: cores to train on (`fastnet.Network.SGD`'s ``threads``); the result then
        differs in its last bits from one thread's.
    cost : {"log_loss", "quadratic"}, default="log_loss"
        fastnet: "log_loss" is scikit-learn's (a softmax output for multiclass targets,
        sigmoid outputs for binary and multilabel ones); "quadratic" is the book's chapter-1
        cost, ``||a - y||^2 / 2`` on sigmoid outputs (for multiclass targets `predict_proba`
        then normalises the outputs to sum to 1).

    Attributes
    ----------
    classes_, loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_,
    t_, coefs_, intercepts_, n_features_in_, feature_names_in_, n_iter_, n_layers_,
    n_outputs_, out_activation_
        As scikit-learn's.  ``coefs_[i] : (n_in, n_out)`` and ``intercepts_[i] : (n_out,)``
        are views of the network's parameters; assigning a list replaces them.
    network_ : fastnet.Network
        The trained network (its ``weights[i]`` are ``coefs_[i].T``).
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(training.ACTIVATIONS))],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        # scikit-learn allows 1; the engine's momentum lies in [0, 1).
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float64", "float32"}), None],
        "threads": [Interval(Integral, 1, None, closed="left")],
        "cost": [StrOptions({"log_loss", "quadratic"})],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=None, threads=1, cost="log_loss"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype
        self.threads = threads
        self.cost = cost

    # -- parameters ----------------------------------------------------------------------------

    def _validate_params(self):
        """scikit-learn's check of the parameters (`_parameter_constraints`), before any work;
        L-BFGS, which scikit-learn has and fastnet has not, gets its own sentence."""
        if isinstance(self.solver, str) and self.solver == "lbfgs":
            raise InvalidParameterError(
                f"The 'solver' parameter of {type(self).__name__} must be a str among "
                f"{{'adam', 'sgd'}}. Got 'lbfgs' instead: fastnet trains by mini-batch "
                f"gradient descent and has no L-BFGS (sklearn.neural_network.MLPClassifier "
                f"has).")
        super()._validate_params()

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(isinstance(s, (bool, np.bool_)) or not isinstance(s, (Integral, np.integer))
               for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be integers, got {sizes}.")
        if np.any(np.array(sizes) <= 0):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % sizes)
        return [int(s) for s in sizes]

    # -- fitting -------------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X : (n_samples, n_features)`` (array-like or sparse) and ``y :
        (n_samples,)`` class labels, or ``(n_samples, n_classes)`` a multilabel indicator
        matrix; ``sample_weight : (n_samples,)`` or None.  Returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``X : (n_samples, n_features)``, ``y : (n_samples,)`` (or a
        multilabel indicator matrix), ``sample_weight : (n_samples,)`` or None.  ``classes :
        (n_classes,)``, all the classes of the calls, is required at the first call.  The
        optimizer's state carries on from call to call.  Returns self."""
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def _fit(self, X, y, sample_weight, incremental):
        hidden = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        layer_units = [n_features] + hidden + [Y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        if first_pass:
            self._initialize(layer_units, multiclass, X.dtype)
        elif layer_units != self.network_.sizes:
            raise ValueError(f"the layers {layer_units} (n_features, hidden_layer_sizes, "
                             f"n_outputs) differ from the fitted network's "
                             f"{self.network_.sizes}; fit it afresh (warm_start=False)")
        self.n_outputs_ = Y.shape[1]
        targets = inputs.engine_targets(Y, multiclass, self.network_.dtype)
        self._fit_stochastic(X, Y, targets, sample_weight, incremental)
        return self

    def _validate_input(self, X, y, incremental, reset):
        """X as C-ordered rows of the network's dtype (`inputs.dense_rows`: at most one copy)
        and y binarized, as scikit-learn's ``_validate_input`` does."""
        if reset:
            dtype = (np.float64, np.float32) if self.dtype is None else np.dtype(self.dtype)
        else:
            dtype = self.network_.dtype
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=dtype, order="C", reset=reset)
        X = inputs.dense_rows(X, X.dtype)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    def _initialize(self, layer_units, multiclass, dtype):
        """A new network and the fitted attributes of a first pass, as scikit-learn's
        ``_initialize``."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        self.out_activation_ = ("softmax" if multiclass and self.cost == "log_loss"
                                else "logistic")
        self.network_ = training.build_network(
            layer_units, self.activation, training.cost_name(self.cost, multiclass), dtype,
            self._random_state)
        self._best_parameters = self._parameters()
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._reset_scores()

    def _reset_scores(self):
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _fit_stochastic(self, X, Y, targets, sample_weight, incremental):
        """The epochs, as scikit-learn's ``_fit_stochastic``: each shuffles, trains one epoch
        on the engine, records the loss, updates the stopping counts and the schedule."""
        net = self.network_
        if not incremental or not hasattr(self, "_schedule"):
            # A new run of the optimizer, as scikit-learn makes a new optimizer object.
            net.state.reset_optimizer()
            self._schedule = LearningRate(self.solver, self.learning_rate_init,
                                          self.learning_rate, self.power_t)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.early_stopping and self.validation_scores_ is None:
            self._reset_scores()  # a warm start from a fit without early stopping
        n_all = X.shape[0]
        train_index = np.arange(n_all)
        X_val = y_val = sample_weight_val = None
        if self.early_stopping:
            # The split scikit-learn's train_test_split makes of (X, y[, sample_weight]),
            # drawn from the same RandomState, made of the indices: no copy of X to train on.
            stratify = Y if self.n_outputs_ == 1 else None
            train_index, val_index = train_test_split(
                train_index, random_state=self._random_state,
                test_size=self.validation_fraction, stratify=stratify)
            if len(val_index) < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            X_val = X[val_index]
            y_val = self._label_binarizer.inverse_transform(Y[val_index])
            if sample_weight is not None:
                sample_weight_val = sample_weight[val_index]
        n_samples = len(train_index)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped")
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        data, weights, threads = training.check_training_data(net, X.T, targets,
                                                              sample_weight, self.threads)
        sample_idx = np.arange(n_samples)
        norm = training.squared_norm(net) if self.alpha else 0.0
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    sample_idx = shuffle_indices(sample_idx, random_state=self._random_state)
                order = train_index[sample_idx].astype(np.int64, copy=False)
                config = training.train_config(
                    self._schedule.learning_rate, self.alpha, self.solver, self.momentum,
                    self.nesterovs_momentum, (self.beta_1, self.beta_2), self.epsilon)
                try:
                    history = training.epoch(net, data, order, batch_size, config, weights,
                                             threads)
                except DivergenceError as exc:
                    raise ValueError(
                        "Solver produced non-finite parameter weights. The input data may "
                        "contain large values and need to be preprocessed. (fastnet: the "
                        f"loss or the weights stopped being finite in epoch "
                        f"{self.n_iter_ + 1} of this fit, at learning rate "
                        f"{config.eta:g}; the parameters are those before it.)") from exc
                if history.stopped == "interrupted":
                    raise KeyboardInterrupt
                before, norm = norm, training.squared_norm(net) if self.alpha else 0.0
                self.n_iter_ += 1
                self.loss_ = history.loss[0] + training.penalty_term(
                    self.alpha, before, norm, order, batch_size, weights)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                self._update_no_improvement_count(X_val, y_val, sample_weight_val)
                self._schedule.iteration_ends(self.t_)
                if self._no_improvement_count > self.n_iter_no_change:
                    if self.early_stopping:
                        message = ("Validation score did not improve more than tol=%f for %d "
                                   "consecutive epochs." % (self.tol, self.n_iter_no_change))
                    else:
                        message = ("Training loss did not improve more than tol=%f for %d "
                                   "consecutive epochs." % (self.tol, self.n_iter_no_change))
                    if self._schedule.trigger_stopping(message, self.verbose):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and "
                                  "the optimization hasn't converged yet." % self.max_iter,
                                  ConvergenceWarning)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        if self.early_stopping:
            weights_best, biases_best = self._best_parameters
            net.weights, net.biases = weights_best, biases_best

    def _update_no_improvement_count(self, X_val, y_val, sample_weight_val):
        if self.early_stopping:
            score = self._score(X_val, y_val, sample_weight_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print("Validation score: %f" % self.validation_scores_[-1])
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_parameters = self._parameters()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _parameters(self):
        """Copies of the network's ``(weights, biases)``."""
        return ([w.copy() for w in self.network_.weights],
                [b.copy() for b in self.network_.biases])

    def _score(self, X, y, sample_weight=None):
        """Accuracy on validated rows ``X`` (the early-stopping set), nan if an output is
        not finite (as scikit-learn's ``_score_with_function``)."""
        probabilities = inputs.outputs(self.network_, X)
        if not np.isfinite(probabilities).all():
            return np.nan
        return accuracy_score(y, self._labels(probabilities), sample_weight=sample_weight)

    # -- prediction ----------------------------------------------------------------------------

    def _outputs(self, X):
        """The network's outputs ``(n_samples, n_outputs)`` for ``X : (n_samples,
        n_features)``, validated as scikit-learn validates it and cast to the network's
        dtype (as numbers)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=self.network_.dtype,
                          reset=False)
        return inputs.outputs(self.network_, X)

    def _labels(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def predict(self, X):
        """The predicted classes of ``X : (n_samples, n_features)``: ``(n_samples,)``, or
        ``(n_samples, n_classes)`` indicators for multilabel targets."""
        return self._labels(self._outputs(X))

    def predict_proba(self, X):
        """Probability estimates ``(n_samples, n_classes)`` for ``X : (n_samples,
        n_features)``, classes in the order of ``classes_``."""
        outputs = self._outputs(X)
        if self.n_outputs_ == 1:
            p = outputs.ravel()
            return np.vstack([1 - p, p]).T
        if self._label_binarizer.y_type_ == "multiclass" and self.cost != "log_loss":
            # Sigmoid outputs of a multiclass problem (cost="quadratic"): normalised to sum
            # to 1, as probabilities do.
            return outputs / outputs.sum(axis=1, keepdims=True)
        return outputs

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``, ``(n_samples, n_classes)``."""
        probabilities = self.predict_proba(X)
        return np.log(probabilities, out=probabilities)

    @property
    def loss(self):
        """The loss's name, as scikit-learn's MLPs carry it: "log_loss", or "squared_error"
        (half the squared error: cost="quadratic")."""
        return "log_loss" if self.cost == "log_loss" else "squared_error"

    # -- the parameters in scikit-learn's layout ---------------------------------------------

    @property
    def coefs_(self):
        """The weight matrices ``(n_in, n_out)``: views of the network's ``(n_out, n_in)``."""
        return [w.T for w in self._fitted_network().state.weights]

    @coefs_.setter
    def coefs_(self, values):
        self._fitted_network().weights = [np.asarray(c).T for c in values]

    @property
    def intercepts_(self):
        """The bias vectors ``(n_out,)``: views of the network's ``(n_out, 1)``."""
        return [b[:, 0] for b in self._fitted_network().state.biases]

    @intercepts_.setter
    def intercepts_(self, values):
        self._fitted_network().biases = [np.asarray(b).reshape(-1, 1) for b in values]

    def _fitted_network(self):
        try:
            return self.__dict__["network_"]
        except KeyError:
            raise AttributeError(f"This {type(self).__name__} instance is not fitted yet: it "
                                 f"has no coefs_ or intercepts_ before fit") from None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified (inputs.dense_rows), never refused
        tags.classifier_tags.multi_label = True
        return tags
