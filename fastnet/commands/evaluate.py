"""`fastnet evaluate`: the accuracy of a saved model (`fastnet train --save`, or network2.py's
save) on the validation or the test set."""

from ..network import load
from ..data import N_CLASSES
from .common import EVAL_SETS, CommandError, add_data_option, evaluation_split, load_data


def register(subparsers):
    evaluate = subparsers.add_parser("evaluate", help="print the accuracy of a saved model",
                                     description="Print the accuracy of a model file written "
                                                 "by `fastnet train --save` or network2.py.")
    evaluate.add_argument("model", metavar="MODEL.json", help="the model file")
    add_data_option(evaluate)
    evaluate.add_argument("--eval", choices=EVAL_SETS, default="test",
                          help="the set to score on (default: test)")
    evaluate.set_defaults(run=cmd_evaluate)


def cmd_evaluate(args):
    try:
        net = load(args.model)
    except OSError as e:
        raise CommandError(f"{args.model}: cannot read the model file ({e.strerror or e})") from e
    except ValueError as e:
        raise CommandError(e) from e
    _, splits = load_data(args)
    X, y = evaluation_split(args, splits)
    if net.sizes[0] != X.shape[0] or net.sizes[-1] != N_CLASSES:
        raise CommandError(f"{args.model}: a network with sizes {net.sizes} does not fit the "
                           f"data ({X.shape[0]} pixels in, {N_CLASSES} digits out)")
    correct = net.accuracy(X, y)
    n = X.shape[1]
    print(f"{args.model}: {correct} / {n} ({correct / n:.2%}) on the {args.eval} set")
    return 0
