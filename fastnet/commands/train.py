"""`fastnet train`.

`train` runs the engine's SGD on MNIST with network2.py's options and the chapter-3 exercises;
without flags it is the book's chapter-1 run (network.py: [784, 30, 10], 30 epochs, mini-batch
10, eta 3.0, quadratic cost, N(0, 1) weights, scored on the test set).  It prints the resolved
config, one line per epoch in the book's style, and a summary; it can save the model
(`fastnet.model_file`), a per-epoch history and its learning curves, all written
atomically.

Exit status: 0 on success; 1 for a failure after training began: --save, --history or --plot
cannot be written (the message says what was not saved), or the run diverges (the engine
restores the last finite parameters, which --save then writes); 2 for bad input found before
training (a usage error, a missing or damaged file, an unwritable output); 130 after Ctrl-C,
which stops the run after the current mini-batch and still writes --save, --history and
--plot; SIGTERM, SIGHUP and SIGQUIT do the same, with 143, 129 and 131.
"""

import argparse
import functools
import secrets
import sys
import time
from pathlib import Path

from .. import __version__, atomic_file, resources
from ..activations import ACTIVATIONS
from ..checks import check_at_most, check_fits_memory, training_bytes
from ..costs import COSTS
from ..optimizers import OPTIMIZERS
from ..penalties import PENALTIES
from ..data import N_CLASSES
from ..network import DTYPES, INITS, Network
from ..train import DivergenceError
from .common import (EVAL_SETS, CommandError, FailedAfterWork, add_data_option, check_writable,
                     ctrl_c_exits, evaluation_split, integer, load_data, real)
from .plot import check_plot_extra, run_label, write_learning_curves
from .train_progress import BestEpoch, Progress, history_document, plural, saved_note, summary

# network2.py's monitors (`--monitor all`), then chapter 5's speed of learning per hidden layer.
NETWORK2_MONITORS = ("evaluation-cost", "training-cost", "training-accuracy")
MONITORS = NETWORK2_MONITORS + ("layer-speed",)
# --monitor layer-speed measures on the first this many training images (all of them if
# fewer), as the book's chapter 5 does (generate_gradient.py: training_data[:1000]).
LAYER_SPEED_IMAGES = 1000
# What --save keeps: the last epoch's weights, or the best epoch's.
KEEP = ("last", "best")
# The engine's patience when --schedule is given without --early-stopping (the book's 10).
SCHEDULE_PATIENCE = 10


def register(subparsers):
    train = subparsers.add_parser(
        "train", help="train a network on MNIST (default: the book's chapter-1 run)",
        description="Train a network on MNIST by mini-batch SGD. Without flags: the "
                    "book's chapter-1 run. Exit status 1 if --save, --history or --plot "
                    "cannot be written after training, 2 for bad input found before training, "
                    "1 too if the run diverges (--save then holds the last finite "
                    "parameters), 130 after Ctrl-C (which still writes --save, --history and "
                    "--plot; SIGTERM, SIGHUP and SIGQUIT too, with 143, 129 and 131).")
    train.add_argument("--sizes", type=_sizes, default=[784, 30, 10], metavar="N,N,...",
                       help="neurons per layer, input first (default: 784,30,10)")
    train.add_argument("--epochs", type=integer(0), default=30, metavar="N",
                       help="epochs to train (default: 30)")
    train.add_argument("--mini-batch-size", type=integer(1), default=10, metavar="N",
                       help="examples per gradient step (default: 10)")
    train.add_argument("--eta", type=real("a number > 0", lambda v: v > 0), default=3.0,
                       help="learning rate (default: 3.0)")
    train.add_argument("--lmbda", type=real("a number >= 0", lambda v: v >= 0), default=0.0,
                       help="regularization parameter (of --penalty); it is divided by n = "
                            "the training size (default: 0.0)")
    train.add_argument("--penalty", choices=list(PENALTIES), default="l2",
                       help="what --lmbda penalises: l2 (weight decay, network2.py's) or l1 "
                            "(|w|) (default: l2)")
    train.add_argument("--activation", choices=list(ACTIVATIONS), default="sigmoid",
                       help="the hidden layers' neurons (default: sigmoid); the output layer "
                            "is the cost's")
    train.add_argument("--cost", choices=list(COSTS), default="quadratic",
                       help="cost function; log-likelihood gives a softmax output layer "
                            "(default: quadratic)")
    train.add_argument("--init", choices=INITS, default="large",
                       help="initial weights: N(0, 1) (large) or N(0, 1/n_in) (default) "
                            "(default: large)")
    train.add_argument("--dtype", choices=DTYPES, default="float64",
                       help="floating-point precision of the network (default: float64)")
    train.add_argument("--seed", type=integer(0), metavar="N",
                       help="seed of the initial weights and the shuffles (default: a random "
                            "one, printed so that the run can be repeated)")
    add_data_option(train)
    train.add_argument("--train-size", type=integer(1), metavar="N",
                       help="train on the first N training images (default: all 50,000)")
    train.add_argument("--eval", choices=EVAL_SETS, default="test",
                       help="the set each epoch is scored on (default: test)")
    train.add_argument("--monitor", type=_monitors, default=(), metavar="WHAT,...",
                       help="also compute per epoch (comma-separated): "
                            f"{', '.join(MONITORS)}, or all ({', '.join(NETWORK2_MONITORS)}); "
                            "layer-speed is the norm of each hidden layer's average bias "
                            f"gradient on the first {LAYER_SPEED_IMAGES:,} training images "
                            "(default: none)")
    train.add_argument("--early-stopping", type=integer(1), metavar="N",
                       help="stop after N epochs without improvement in evaluation accuracy")
    train.add_argument("--schedule", action="store_true",
                       help="halve eta instead each time --early-stopping's N epochs pass "
                            f"without improvement (N defaults to {SCHEDULE_PATIENCE}); stop "
                            "when eta falls below the initial eta/128")
    train.add_argument("--momentum", type=real("in [0, 1)", lambda v: 0 <= v < 1),
                       default=0.0, metavar="MU",
                       help="momentum coefficient mu (default: 0, plain SGD)")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), default="sgd",
                       help="sgd (the book's, with --momentum), nesterov (Nesterov momentum, "
                            "needs --momentum) or adam (--eta its step size) (default: sgd)")
    train.add_argument("--beta1", type=real("in [0, 1)", lambda v: 0 <= v < 1), default=0.9,
                       help="Adam's decay rate of the gradient's mean (default: 0.9)")
    train.add_argument("--beta2", type=real("in [0, 1)", lambda v: 0 <= v < 1), default=0.999,
                       help="Adam's decay rate of the gradient's square (default: 0.999)")
    train.add_argument("--epsilon", type=real("a number > 0", lambda v: v > 0), default=1e-8,
                       help="Adam's constant added to the root of the square (default: 1e-8)")
    train.add_argument("--threads", type=integer(1), default=1, metavar="N",
                       help="train on N threads, each owning a share of every layer's "
                            "neurons: faster on idle cores, at mini-batches of 100 and more "
                            "above all; the result differs from one thread's in the last "
                            "bits (default: 1)")
    train.add_argument("--save", metavar="MODEL.json",
                       help="save the trained network, in network2.py's JSON format")
    train.add_argument("--keep", choices=KEEP, default="last",
                       help="with --save: the weights of the last epoch, as the book keeps "
                            "them, or of the epoch with the best evaluation accuracy "
                            "(default: last)")
    train.add_argument("--history", metavar="HISTORY.json",
                       help="write the per-epoch record as JSON (after every epoch and at "
                            "the end)")
    train.add_argument("--plot", metavar="FILE.png",
                       help="draw the run's learning curves, as `fastnet plot` does (needs "
                            "the plot extra)")
    train.set_defaults(run=cmd_train)


# Ctrl-C (or SIGTERM, SIGHUP, SIGQUIT) before training starts, or a second one during it,
# aborts; a first one during it stops the run after the current mini-batch
# (train_progress.Progress).
@ctrl_c_exits("aborted ({signal}); nothing more was written")
def cmd_train(args):
    if args.optimizer == "nesterov" and not args.momentum:
        raise CommandError("--optimizer nesterov needs --momentum > 0 (e.g. --momentum 0.9)")
    _check_outputs(args)
    (where, origin), splits = load_data(args)
    X, y = splits[0]
    if args.train_size is not None:
        if args.train_size > X.shape[1]:
            raise CommandError(f"--train-size must be at most {X.shape[1]}, the number of "
                               f"training images, not {args.train_size}")
        X, y = X[:, :args.train_size], y[:args.train_size]
    evaluation = evaluation_split(args, splits)
    del splits  # the split not trained or scored on is freed (load_mnist reads it apart)
    _check_sizes_fit_data(args.sizes, X.shape[0])
    _check_machine_fits(args, X.shape[1])
    if "layer-speed" in args.monitor and len(args.sizes) < 3:
        raise CommandError("--monitor layer-speed needs a hidden layer; --sizes has none")
    config = _resolve_config(args, where, X.shape[1], evaluation[0].shape[1])
    _print_config(config, origin)
    try:
        net = Network(args.sizes, cost=args.cost, init=args.init, dtype=args.dtype,
                      seed=config["seed"], activation=args.activation, penalty=args.penalty)
    except ValueError as e:
        raise CommandError(e) from e

    run = _progress(net, (X, y), config)
    status = 0
    best = BestEpoch(net)
    diverged = None  # the DivergenceError's message: what went wrong and what was restored
    start = time.perf_counter()
    try:
        history = _sgd(net, (X, y), evaluation, config, run, best)
    except DivergenceError as e:
        history, diverged = e.history, str(e)
    elapsed = time.perf_counter() - start

    if history.stopped == "interrupted":
        print(f"Interrupted ({run.stopped_by}) after {plural(history.epochs, 'epoch')}: the "
              f"run stopped after the current mini-batch")
        status = run.stopped_status
    elif history.stopped == "early stopping":
        print(f"Stopped early: {config['early_stopping']} epochs without improvement")
    elif history.stopped == "schedule":
        print(f"Stopped by the schedule: eta fell below {config['eta']:g}/128")
    print(summary(history, config, elapsed))
    failures = _write_outputs(net, args, config, history, best, run,
                              diverged=diverged is not None)
    # A divergence is a failure after the work began (exit status 1), reported on one line
    # with whatever could not be written.
    if diverged is not None or failures:
        raise FailedAfterWork("; ".join(([diverged] if diverged else []) + failures))
    return status


def _resolve_config(args, where, n_train, n_eval):
    """Every setting of the run, defaults and the drawn seed included: printed at the start
    and kept in the history file."""
    return {
        "version": __version__,
        "data": str(where),
        "train_size": n_train,
        "eval": args.eval,
        "eval_size": n_eval,
        "sizes": args.sizes,
        "epochs": args.epochs,
        "mini_batch_size": args.mini_batch_size,
        "eta": args.eta,
        "lmbda": args.lmbda,
        "penalty": args.penalty,
        "momentum": args.momentum,
        "optimizer": args.optimizer,
        **({"betas": [args.beta1, args.beta2], "epsilon": args.epsilon}
           if args.optimizer == "adam" else {}),
        "activation": args.activation,
        "cost": args.cost,
        "init": args.init,
        "dtype": args.dtype,
        "threads": args.threads,
        "seed": args.seed if args.seed is not None else secrets.randbelow(2 ** 32),
        "early_stopping": (SCHEDULE_PATIENCE if args.schedule and args.early_stopping is None
                           else args.early_stopping),
        "schedule": args.schedule,
        "monitor": list(args.monitor),
        **({"speed_images": min(LAYER_SPEED_IMAGES, n_train)}
           if "layer-speed" in args.monitor else {}),
        "save": args.save,
        "keep": args.keep,
        "history": args.history,
    }


def _progress(net, training, config):
    """The hooks of the run (`Progress`); with --monitor layer-speed, measuring ``net``'s
    layer speeds on the first training images, starting now."""
    speeds = None
    if "layer-speed" in config["monitor"]:
        X, y = training
        n = config["speed_images"]
        speeds = functools.partial(net.layer_speeds, X[:, :n], y[:n])
    return Progress(config, show_bar=sys.stderr.isatty(), layer_speeds=speeds)


def _sgd(net, training, evaluation, config, run, best):
    """`Network.SGD` as the config says, with Ctrl-C, the progress bar, the epoch lines and
    the layer speeds hooked in (``run``) and ``best`` (a `BestEpoch`, for --keep best).
    Raises DivergenceError as SGD does; other engine errors are usage errors."""
    keep_best = config["save"] is not None and config["keep"] == "best"

    def on_epoch(epoch, history):
        if keep_best:
            best.on_epoch(epoch, history)
        run.on_epoch(epoch, history)

    monitor = config["monitor"]
    with run.catching_ctrl_c():
        try:
            return net.SGD(
                training, config["epochs"], config["mini_batch_size"], config["eta"],
                lmbda=config["lmbda"], evaluation_data=evaluation,
                monitor_evaluation_cost="evaluation-cost" in monitor,
                monitor_evaluation_accuracy=True,
                monitor_training_cost="training-cost" in monitor,
                monitor_training_accuracy="training-accuracy" in monitor,
                mu=config["momentum"], optimizer=config["optimizer"],
                betas=tuple(config.get("betas", (0.9, 0.999))),
                epsilon=config.get("epsilon", 1e-8), early_stopping=config["early_stopping"],
                schedule=config["schedule"], on_progress=run.on_progress, on_epoch=on_epoch,
                threads=config["threads"], verbose=0)
        except ValueError as e:
            raise CommandError(e) from e
        finally:
            run.close_bar()


def _check_outputs(args):
    """Fail now, not after hours of training, if --save, --history or --plot cannot be
    written (or, for --plot, drawn)."""
    if args.keep == "best" and args.save is None:
        raise CommandError("--keep best says which weights --save writes; give --save FILE too")
    outputs = [(flag, path) for flag, path in (("--save", args.save), ("--history", args.history),
                                               ("--plot", args.plot)) if path is not None]
    for i, (flag, path) in enumerate(outputs):
        for other, other_path in outputs[:i]:
            if Path(path).resolve() == Path(other_path).resolve():
                raise CommandError(f"{other} and {flag} must be different files")
    if args.plot is not None:
        check_plot_extra()
    for flag, path in outputs:
        check_writable(flag, path)


def _check_sizes_fit_data(sizes, n_in):
    if sizes[0] != n_in:
        raise CommandError(f"--sizes: the first layer must have {n_in} neurons, one per pixel "
                           f"of the data, not {sizes[0]}")
    if sizes[-1] != N_CLASSES:
        raise CommandError(f"--sizes: the last layer must have {N_CLASSES} neurons, one per "
                           f"digit, not {sizes[-1]}")


def _check_machine_fits(args, n_train):
    """Refuse now, before the network is allocated, what the data or this machine cannot
    hold: a mini-batch larger than the training set, more threads than cores, a network and
    mini-batch larger than the memory available."""
    try:
        check_at_most(args.mini_batch_size, n_train, "--mini-batch-size",
                      "the number of training images")
        check_at_most(args.threads, resources.cores(), "--threads",
                      "the number of cores this process may use")
        check_fits_memory(training_bytes(args.sizes, args.mini_batch_size, args.dtype),
                          resources.available_memory(),
                          f"training --sizes {','.join(map(str, args.sizes))} on mini-batches "
                          f"of {args.mini_batch_size}")
    except ValueError as e:
        raise CommandError(e) from e


def _print_config(config, origin):
    print(f"fastnet {config['version']} train")
    for key, value in config.items():
        if key == "version":
            continue
        if key == "data":
            value = f"{value} ({origin})"
        elif isinstance(value, list):
            value = ",".join(map(str, value)) or "-"
        elif isinstance(value, bool):
            value = "on" if value else "off"
        elif value is None:
            value = "-"
        print(f"  {key:<16}{value}")
    sys.stdout.flush()


def _write_outputs(net, args, config, history, best, run, diverged):
    """Write --save (the weights --keep names), --history (with the layer speeds, if
    measured) and --plot (when an epoch was done); one failing does not keep the others from
    being written.  Returns what failed, each saying what was not saved (for the caller's
    FailedAfterWork, exit status 1)."""
    failures = []
    if args.save is not None:
        if args.keep == "best":
            best.restore()  # no epoch completed: the weights as they are
        try:
            net.save(args.save)
            print(f"Model saved to {args.save}: "
                  f"{saved_note(history, args.keep, best.epoch, diverged, run.stopped_by)}")
        except OSError as e:
            failures.append(f"could not write --save {args.save} ({e.strerror or e}): the "
                            f"trained model was not saved")
    if args.history is not None:
        try:
            atomic_file.write_json(args.history, history_document(history, config, run.speeds))
            print(f"History written to {args.history}")
        except OSError as e:
            failures.append(f"could not write --history {args.history} ({e.strerror or e}): "
                            f"the history was not written")
    if args.plot is not None and history.epochs:
        try:
            write_learning_curves([(run_label(config), history_document(history, config))],
                                  args.plot)
            print(f"Learning curves written to {args.plot}")
        except CommandError as e:
            failures.append(f"{e}: the learning curves were not written")
    return failures


# -- argument types ----------------------------------------------------------------------------

def _sizes(text):
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes like "
                                         f"784,30,10, not {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"needs at least 2 layers (input and output) of at "
                                         f"least 1 neuron each, not {text!r}")
    return sizes


def _monitors(text):
    names = [name.strip() for name in text.split(",")]
    if names == ["all"]:
        return NETWORK2_MONITORS
    unknown = [name for name in names if name not in MONITORS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {', '.join(map(repr, unknown))}; expected "
                                         f"a comma-separated list of {', '.join(MONITORS)}, "
                                         f"or all")
    return tuple(name for name in MONITORS if name in names)
