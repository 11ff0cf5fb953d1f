"""Beyond one machine: a scikit-learn grid search of `fastnet.MLPClassifier` run by joblib's
dask backend on a `distributed.LocalCluster` of two worker processes (over loopback, as on
a real cluster: the estimator and the data are pickled to the workers, which import fastnet
and load the compiled kernels from numba's cache), scoring exactly as in one process."""

import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from fastnet.sklearn import MLPClassifier  # noqa: E402


def _imported_fastnet():
    return "fastnet.sklearn" in sys.modules


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_on_a_dask_cluster_scores_as_in_one_process():
    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16.0, y[:600]
    grid = {"hidden_layer_sizes": [(16,), (32,)], "alpha": [1e-4, 1e-1]}
    estimator = MLPClassifier(max_iter=5, learning_rate_init=0.01, random_state=0)
    local = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(X, y)
        # The fits ran in the worker processes, not here.
        assert all(client.run(_imported_fastnet).values())
    for key in ("mean_test_score", "std_test_score", "split0_test_score", "rank_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.best_estimator_.predict_proba(X),
                                  local.best_estimator_.predict_proba(X))
    assert len(set(local.cv_results_["mean_test_score"])) > 1  # the grid made a difference
