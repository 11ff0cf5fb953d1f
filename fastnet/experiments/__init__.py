"""Reproducing the book: the original notebook's four runs (its Network2 in two readings) and
every MNIST result of chapters 1, 3 and 5, each rerun over several seeds and set beside the
figure the book quotes, chapter 1's baseline classifiers, chapter 3's figures beside the book's
statements about them, and chapter 5's speed of learning per hidden layer.

- `suites`: the experiments as data (`Quote`, `Row`, `BaselineRow`, `SpeedRow`, `Suite`;
  `NOTEBOOK`, `NOTEBOOK_SOFTMAX`, `BOOK`, `BASELINES`, `LEARNING_RATES`, `SPEEDS`, `SUITES`);
- `runner`: `reproduce()` runs every row x seed in a pool of worker processes into a `Report`;
- `baselines`: chapter 1's average-darkness classifier and SVM;
- `summary`: `summarize()` turns a Report into results.json's content;
- `report`: results.md and accuracy.png drawn from that alone (`write_outputs`, `render`), with
  the explanations of the figures that differ from the source's read from
  docs/explanations.json;
- `chapter3`: chapter 3's figures (ch3_*.png) and the book's statements about them, checked;
- `readings`: the notebook's Network2 as printed and as probably run, side by side;
- `speeds`: chapter 5's speed rows: measuring a run, its summary, table and layer_speed.png.

`fastnet reproduce seed|book` (`fastnet.commands.reproduce`) is the command-line front.
"""
