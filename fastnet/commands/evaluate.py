"""`fastnet evaluate`: the accuracy of a saved model (`fastnet train --save`, or network2.py's
save) on the validation or the test set; with --confusion also its confusion matrix, and with
--out DIR the heat map of it and the misclassified images it was surest about."""

from pathlib import Path

import numpy as np

from .. import confusion, plots
from ..data import IMAGE_SHAPE, N_CLASSES
from ..plot_extra import MissingPlotExtra, require
from .common import (EVAL_SETS, CommandError, FailedAfterWork, add_data_option, check_writable,
                     first_run_note, load_data, load_model)

N_ERRORS = plots.N_MISTAKES  # misclassified images in errors.png


def register(subparsers):
    evaluate = subparsers.add_parser("evaluate", help="print the accuracy of a saved model",
                                     description="Print the accuracy of a model file written "
                                                 "by `fastnet train --save` or network2.py.")
    evaluate.add_argument("model", metavar="MODEL.json", help="the model file")
    add_data_option(evaluate)
    evaluate.add_argument("--eval", choices=EVAL_SETS, default="test",
                          help="the set to score on (default: test)")
    evaluate.add_argument("--confusion", action="store_true",
                          help="also print the confusion matrix, each digit's recall and "
                               "precision, and the most frequent confusions")
    evaluate.add_argument("--out", metavar="DIR",
                          help="with --confusion (implied), write DIR/confusion.png (a heat "
                               "map) and DIR/errors.png (the misclassified images the network "
                               "was surest about); DIR is made if needed")
    evaluate.set_defaults(run=cmd_evaluate)


def cmd_evaluate(args):
    pictures = _picture_paths(args.out) if args.out is not None else None
    first_run_note("float64", "evaluation")  # scoring compiles the activations' kernels
    net = load_model(args.model)
    _, (X, y) = load_data(args, split=args.eval)  # only the set it scores
    if net.sizes[0] != X.shape[0] or net.sizes[-1] != N_CLASSES:
        raise CommandError(f"{args.model}: a network with sizes {net.sizes} does not fit the "
                           f"data ({X.shape[0]} pixels in, {N_CLASSES} digits out)")
    if not (args.confusion or pictures):
        correct = net.accuracy(X, y)
        _print_accuracy(args, correct, X.shape[1])
        return 0

    outputs = net.feedforward(X)
    predicted = np.argmax(outputs, axis=0)
    matrix = confusion.count(y, predicted, N_CLASSES)
    _print_accuracy(args, int(np.trace(matrix)), X.shape[1])
    print(f"\nConfusion matrix on the {args.eval} set (rows: the true digit, columns: the "
          f"digit read)")
    print("\n".join(confusion.report(matrix)))
    if pictures:
        _write_pictures(pictures, matrix, X, y, outputs, args.eval)
    return 0


def _print_accuracy(args, correct, n):
    print(f"{args.model}: {correct} / {n} ({correct / n:.2%}) on the {args.eval} set")


def _picture_paths(directory):
    """(confusion.png, errors.png) in ``directory``, made if needed and checked writable, and
    matplotlib checked, all before any work."""
    try:
        require("matplotlib.figure")
    except MissingPlotExtra as e:
        raise CommandError(e) from e
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandError(f"--out {directory}: cannot make the directory "
                           f"({e.strerror or e})") from e
    paths = directory / "confusion.png", directory / "errors.png"
    for path in paths:
        check_writable("--out", path)
    return paths


def _write_pictures(paths, matrix, X, y, outputs, eval_set):
    confusion_path, errors_path = paths
    surest, titles = plots.surest(outputs, y, N_ERRORS)
    fields = [np.reshape(X[:, i], IMAGE_SHAPE) for i in surest]  # load_data's pixel bytes
    try:
        plots.write_confusion(matrix, confusion_path, f"confusion matrix, {eval_set} set")
        plots.write_grid(fields, titles, errors_path, empty="no misclassified images")
    except OSError as e:
        raise FailedAfterWork(f"could not write the pictures into {confusion_path.parent}: "
                              f"{e}; the accuracy above stands, the pictures were not saved") from e
    print(f"\nPictures written to {confusion_path} and {errors_path}")
