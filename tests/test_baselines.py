"""Chapter 1's baselines: the book's average-darkness classifier and its SVM, on slices of
MNIST (the whole runs are `fastnet reproduce book`'s, minutes long)."""

import sys
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

from fastnet.experiments import baselines
from fastnet.experiments.runner import run_row
from fastnet.experiments.suites import BASELINES


def test_the_baselines_are_the_books_programs():
    darkness, svm = BASELINES
    assert [(row.id, row.program, row.classifier, row.train, row.eval) for row in BASELINES] == [
        ("ch1-darkness", "mnist_average_darkness.py", "darkness", 50_000, "test"),
        ("ch1-svm", "mnist_svm.py", "svm", 50_000, "test")]
    # "2,225 of the 10,000 test images correct, i.e., 22.25 percent"; "9,435 of 10,000".
    assert [(q.value, q.statistic, str(q)) for row in BASELINES for q in row.quotes] == [
        (22.25, "accuracy", "22.25 accuracy"), (94.35, "accuracy", "94.35 accuracy")]
    # svm.SVC() of the book's time: C = 1, RBF kernel, gamma 1 / n_features.
    assert (baselines.BOOK_SVC["C"], baselines.BOOK_SVC["kernel"]) == (1.0, "rbf")
    assert baselines.BOOK_SVC["gamma"] == 1 / 784


@pytest.fixture(scope="module")
def small(mnist_uint8):
    """600 training, 300 validation and 300 test images, as pixel bytes."""
    return tuple((X[:, :n], y[:n]) for (X, y), n in zip(mnist_uint8, (600, 300, 300)))


def book_darkness(training_images, training_labels, images):
    """mnist_average_darkness.py's avg_darknesses and guess_digit, transcribed: Python sums
    over the book's pixel values (pixel / 256), a dict per digit, min over the dict."""
    counts, darknesses = defaultdict(int), defaultdict(float)
    for image, digit in zip(training_images, training_labels):
        counts[digit] += 1
        darknesses[digit] += sum(image)
    averages = {digit: darknesses[digit] / n for digit, n in sorted(counts.items())}
    guesses = []
    for image in images:
        darkness = sum(image)
        distances = {k: abs(v - darkness) for k, v in averages.items()}
        guesses.append(min(distances, key=distances.get))
    return guesses


def test_the_darkness_classifier_is_the_books(small):
    (X, y), _, (Xt, yt) = small
    pixels = lambda A: list((A.T / 256).tolist())  # noqa: E731 - the book's values, per image
    expected = book_darkness(pixels(X), y.tolist(), pixels(Xt))
    guesses = baselines.guess_digit(baselines.average_darkness(X, y), Xt)
    assert guesses.tolist() == expected
    # As a row of `reproduce book`: trained once, on the row's images, with no seed.
    row = replace(BASELINES[0], train=600)
    run = run_row(row, None, small)
    assert (run.row, run.seed, run.n_eval, run.train, run.skipped) == (
        "ch1-darkness", None, 300, 600, None)
    assert run.accuracy == [sum(g == t for g, t in zip(expected, yt.tolist()))]
    assert 10 < run.percent[0] < 40  # far from chance and far from a network, as in the book
    # --quick trains it on a slice: fewer images, another classifier.
    assert run_row(row, None, small, train=60).train == 60


def test_a_digit_without_training_images_is_never_guessed():
    X = np.array([[10, 200, 60]], dtype=np.uint8)  # three one-pixel images, digits 0, 1, 0
    averages = baselines.average_darkness(X, np.array([0, 1, 0]), classes=3)
    assert np.isnan(averages[2])
    assert baselines.guess_digit(averages, np.array([[0, 255]], np.uint8)).tolist() == [0, 1]


def test_the_svm_is_svc_with_the_old_default_gamma(small):
    svm_module = pytest.importorskip("sklearn.svm")
    (X, y), _, (Xt, yt) = small
    ours = baselines.book_svc()
    old_default = svm_module.SVC(gamma="auto")  # 1 / n_features, the default until 0.22
    assert {k: v for k, v in ours.get_params().items() if k != "gamma"} == {
        k: v for k, v in old_default.get_params().items() if k != "gamma"}
    features = lambda A: A.T.astype(np.float64) / 256  # noqa: E731
    expected = old_default.fit(features(X[:, :500]), y[:500]).predict(features(Xt))
    run = run_row(replace(BASELINES[1], train=500), None, small)
    assert (run.seed, run.n_eval, run.train, run.skipped) == (None, 300, 500, None)
    assert run.accuracy == [int(np.sum(expected == yt))]
    assert run.percent[0] > 60  # 500 images: far above the darkness, short of the full 94


def test_without_scikit_learn_the_svm_run_says_so(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.svm", None)
    run = run_row(replace(BASELINES[1], train=500), None, small)
    assert (run.accuracy, run.n_eval, run.skipped) == ([], 0, baselines.SKLEARN_MISSING)
    assert run.skipped.startswith("scikit-learn is not installed")
