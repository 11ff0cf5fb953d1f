"""Reproducing the book: the original notebook's four runs and every MNIST result of chapters 1,
3 and 5, each rerun over several seeds and set beside the figure the book quotes, and chapter
5's speed of learning per hidden layer.

- `suites`: the experiments as data (`Quote`, `Row`, `SpeedRow`, `Suite`; `NOTEBOOK`, `BOOK`,
  `SPEEDS`, `SUITES`);
- `runner`: `reproduce()` runs every row x seed in a pool of worker processes into a `Report`;
- `summary`: `summarize()` turns a Report into results.json's content;
- `report`: results.md and accuracy.png drawn from that alone (`write_outputs`, `render`), with
  the explanations of the figures that differ from the source's read from
  docs/explanations.json;
- `speeds`: chapter 5's speed rows: measuring a run, its summary, table and layer_speed.png.

`fastnet reproduce seed|book` (`fastnet.commands.reproduce`) is the command-line front.
"""
