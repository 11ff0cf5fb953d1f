"""`fastnet data`: where the data comes from and the size of each split."""

from ..data import SPLITS
from .common import add_data_option, load_data


def register(subparsers):
    data = subparsers.add_parser("data", help="load the data and print the split sizes")
    add_data_option(data)
    data.set_defaults(run=cmd_data)


def cmd_data(args):
    """Print where the data comes from and the size of each split."""
    (where, origin), splits = load_data(args)
    print(f"data: {where} ({origin}{', sha256 verified' if origin == 'bundled' else ''})")
    for name, (X, _) in zip(SPLITS, splits, strict=True):
        print(f"{name + ':':12s}{X.shape[1]:6d} images")
    return 0
