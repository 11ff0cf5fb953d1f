"""Chapter 1's yardsticks, the classifiers that are not networks (`suites.BaselineRow`): the
average-darkness classifier of the book's mnist_average_darkness.py and the support vector
machine of its mnist_svm.py, each trained once and scored, as the book's programs do; and
their section of results.md (`markdown`).

Neither involves any randomness, so a run is the same on every machine and from every seed.
scikit-learn is needed for the SVM only, and only when it runs: without it the SVM's run says
so (`Outcome.skipped`) and the other rows run as usual.
"""

import time
from dataclasses import dataclass

import numpy as np

# mnist_svm.py calls `svm.SVC()` with scikit-learn's defaults of its time (2013-2015): C = 1.0,
# the RBF kernel, and gamma = 0.0, which then meant 1 / n_features; the default became 'auto'
# (the same 1 / n_features) in 0.18 and 'scale', 1 / (n_features * X.var()), in 0.22, so a
# plain SVC() no longer trains the book's classifier.  The rest are the defaults then and now;
# cache_size changes the speed only.
BOOK_SVC = {"C": 1.0, "kernel": "rbf", "gamma": 1 / 784, "tol": 1e-3, "shrinking": True,
            "cache_size": 200}
# The book's data are pixel values / 256 (mnist.pkl.gz, and `load_mnist`).
PIXEL_SCALE = 256
SKLEARN_MISSING = ("scikit-learn is not installed (pip install scikit-learn, or the compare "
                   "extra: pip install -e '.[compare]')")


@dataclass
class Outcome:
    """A baseline's run: ``correct`` of ``n_eval`` evaluation images, on a classifier trained on
    ``train`` images in ``seconds`` (training and scoring); or ``skipped``, why it did not
    run (``correct`` and ``n_eval`` then 0)."""

    correct: int
    n_eval: int
    train: int
    seconds: float
    skipped: str | None = None


def darkness(X):
    """Each image's darkness, the sum of its pixels, in units of 1/256 (exact as integers):
    ``X : (784, n)`` uint8 pixels (or any integers) -> int64 ``(n,)``."""
    return X.sum(axis=0, dtype=np.int64)


def average_darkness(X, y, classes=10):
    """mnist_average_darkness.py's training: the mean darkness of the training images of each
    digit, ``(classes,)``, from ``X : (784, n)`` uint8 pixels and labels ``y : (n,)``; a digit
    with no image gets NaN, so that it is never the nearest."""
    sums = np.bincount(y, weights=darkness(X), minlength=classes)
    counts = np.bincount(y, minlength=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def guess_digit(averages, X):
    """For each image of ``X : (784, n)``, the digit whose average darkness is nearest its own
    darkness; ties go to the smaller digit, as the book's min over its dict of 0..9 does.
    Returns int64 ``(n,)``."""
    distance = np.abs(darkness(X)[:, None] - averages[None, :])
    return np.argmin(np.where(np.isnan(distance), np.inf, distance), axis=1)


def _features(X):
    """``X : (784, n)`` uint8 pixels as scikit-learn's samples: float64 ``(n, 784)``, pixel /
    256, the book's values."""
    features = np.ascontiguousarray(X.T, dtype=np.float64)
    features /= PIXEL_SCALE
    return features


def book_svc():
    """mnist_svm.py's classifier, unfitted; ImportError if scikit-learn is not installed."""
    from sklearn.svm import SVC
    return SVC(**BOOK_SVC)


def run(row, splits, train=None):
    """Train ``row``'s classifier (a `suites.BaselineRow`) on the first ``train`` (default: the
    row's) training images of ``splits`` (load_mnist's three pairs, uint8 pixels) and score it
    on the row's evaluation set.  Returns an Outcome."""
    (X, y), validation, test = splits
    Xe, ye = test if row.eval == "test" else validation
    train = train or row.train
    X, y = X[:, :train], y[:train]
    if row.classifier == "svm":
        try:
            classifier = book_svc()
        except ImportError:
            return Outcome(0, 0, train, 0.0, SKLEARN_MISSING)
        start = time.perf_counter()
        classifier.fit(_features(X), y)
        guesses = classifier.predict(_features(Xe))
    else:
        start = time.perf_counter()
        guesses = guess_digit(average_darkness(X, y), Xe)
    seconds = time.perf_counter() - start
    return Outcome(int(np.sum(guesses == ye)), len(ye), train, seconds)


def markdown(summary):
    """results.md's section on chapter 1's baselines of ``summary`` (results.json's content):
    what each is, what it trained on and how long it took; nothing if none ran."""
    entries = [entry for entry in summary["rows"] if entry.get("kind") == "baseline"]
    if not entries:
        return []
    settings = ", ".join(f"{key}={value!r}" if key != "gamma" else "gamma=1/784"
                         for key, value in BOOK_SVC.items())
    lines = ["## Chapter 1's baselines", ""]
    for entry in entries:
        config = entry["config"]
        what = {"darkness": "each test image is read as the digit whose average darkness "
                            "(the sum of the pixels) over the training images is nearest its "
                            "own",
                "svm": f"a support vector machine, `SVC({settings})`"}[config["classifier"]]
        seconds = f"{entry['seconds']:.1f}" if entry["seconds"] >= 1 else f"{entry['seconds']:.2g}"
        done = (f"Not run: {entry['skipped']}." if entry.get("skipped") else
                f"Trained on the first {entry['train_run']:,} training images and scored on "
                f"the {config['eval']} set in {seconds} s.")
        lines.append(f"- **{entry['id']}**, the book's {config['program']}: {what}. {done}")
        if config["classifier"] == "svm":
            lines.append("  These are mnist_svm.py's `svm.SVC()` with the defaults of "
                         "scikit-learn when the book was written, whose gamma was 1/n_features "
                         "(0.0, later 'auto'); since scikit-learn 0.22 a plain `SVC()` uses "
                         "gamma='scale', 1/(n_features X.var()), a different classifier. "
                         "Prediction is libsvm's one-against-one vote; nothing is random.")
    return lines + [""]
