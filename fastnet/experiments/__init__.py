"""Reproducing the book: the original notebook's four runs and every MNIST result of chapters 1
and 3, each rerun over several seeds and set beside the figure the book quotes.

- `suites`: the experiments as data (`Quote`, `Row`, `Suite`; `NOTEBOOK`, `BOOK`, `SUITES`);
- `runner`: `reproduce()` runs every row x seed in a pool of worker processes into a `Report`;
- `summary`: `summarize()` turns a Report into results.json's content;
- `report`: results.md and accuracy.png drawn from that alone (`write_outputs`, `render`), with
  the explanations of the figures that differ from the source's read from
  docs/explanations.json.

`fastnet reproduce seed|book` (`fastnet.commands.reproduce`) is the command-line front.
"""
