"""fastnet for scikit-learn users: `MLPClassifier`, a drop-in for
`sklearn.neural_network.MLPClassifier` trained by fastnet's engine.

    from fastnet.sklearn import MLPClassifier   # was: from sklearn.neural_network import ...

Needs scikit-learn (``pip install "fastnet[sklearn]"``); ``import fastnet`` alone does not
import it.  The modules: `classifier` (the estimator), `training` (the network it builds and
the engine's epochs in scikit-learn's terms), `inputs` (the data in the engine's form),
`schedule` (scikit-learn's learning-rate schedules).
"""

try:
    import sklearn  # noqa: F401
except ImportError as exc:
    raise ImportError("fastnet.MLPClassifier needs scikit-learn: pip install "
                      "\"fastnet[sklearn]\" (or pip install scikit-learn)") from exc

from .classifier import MLPClassifier  # noqa: E402

__all__ = ["MLPClassifier"]
