"""Drop-in replacements for the book's own modules, fast: change one import line.

``import network2`` becomes ``from fastnet.book import network2`` (the same for ``network``
and ``mnist_loader``), and an existing script or notebook runs on fastnet's compiled engine
with the book's names, data formats, printed lines and numbers.  The reference for every
behaviour is the Python 3 port of the book's code (github.com/MichalDanielDobrzanski/
DeepLearningPython): network.py, network2.py and mnist_loader.py.

These modules use the global random state (``random`` and ``np.random``) exactly as the
book's code does, so that the same seeds give the same numbers; the rest of fastnet takes
explicit Generators.
"""
