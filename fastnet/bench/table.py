"""A `fastnet bench` result (`timing.run`) as a text table, and as a JSON file."""

from .. import atomic_file
from .implementations import PEERS


def format_table(result):
    """The result as text: per thread setting, the rates and one line per implementation."""
    lines = []
    peers = list(PEERS)
    for setting in result["settings"]:
        rates = setting["rates"]
        square = ", ".join(f"{d} {r:.1f}" for d, r in rates["square"].items())
        lines.append(f"BLAS threads = {setting['threads']}   "
                     f"matmul {result['plan']['square']}^3: {square} GFLOP/s")
        shape = ", ".join(f"{k} {r:.1f}" for k, r in rates["shape"].items())
        lines.append(f"  first-layer product [n1 x 784] @ [784 x m] (sizes/m/dtype): {shape}")
        lines += _jax_lines(setting)
        header = (f"{'network':<12}{'batch':>6}  {'variant':<9}{'implementation':<17}"
                  f"{'dtype':<9}{'data':<8}{'s/epoch':>9}{'loop':>7}{'timed on':>10}{'x ref':>8}"
                  + "".join(f"{'x ' + p:>15}" for p in peers)
                  + f"{'eff.':>7}{'eff.shape':>10}{'accuracy':>14}")
        lines += ["", header, "-" * len(header)]
        for row in setting["rows"]:
            vs = []
            for peer in peers:
                v = row["vs"][peer]
                if isinstance(v, str):  # not installed, skipped, not timed in this variant
                    vs.append(f"{'-' if v == 'not timed' else v:>15}")
                elif row["implementation"] == peer and v["peer_dtype"] == row["dtype"]:
                    vs.append(f"{'-':>15}")
                else:
                    vs.append(f"{v['ratio']:>10.2f} {v['peer_dtype'][-2:]:>2}  ")
            ref = row["speedup_vs_reference"]
            lines.append(
                f"{'-'.join(map(str, row['sizes'])):<12}{row['batch']:>6}  "
                f"{row.get('variant', 'book'):<9}"
                f"{row['implementation']:<17}{row['dtype']:<9}{row.get('data', '-'):<8}"
                f"{row['seconds_per_epoch']:>9.3f}{_seconds(row.get('epoch_loop_seconds')):>7}"
                f"{row['images_timed']:>10}"
                f"{'-' if ref is None else format(ref, '.1f'):>8}" + "".join(vs)
                + f"{row['efficiency']:>7.0%}{row['efficiency_vs_shape_rate']:>10.0%}"
                + f"{_accuracy(row['accuracy_before']):>7}->{row['accuracy_after']:.2f}")
        lines += _float_data_lines(setting)
        lines += _variant_ratio_lines(setting)
        lines += _rival_lines(setting)
        lines.append("")
    if result.get("book_format"):
        lines += _book_format_lines(result["book_format"]) + [""]
    lines += _per_call_lines(result.get("per_call"))
    load = ", ".join(f"{x:.2f}" for x in result["load_before"])
    lines.append(f"load average before: {load}; after: "
                 + ", ".join(f"{x:.2f}" for x in result["load_after"]))
    lines.append("s/epoch: median over repeats (n in the JSON) of the whole call, scaled to the epoch when timed on fewer images; "
                 "loop: fastnet's History.seconds, the epoch loop alone; "
                 "x ref / x peer: that time / this time, same variant (peer dtype in the last "
                 "column; -: not timed in this variant); "
                 "eff.: epoch matmul FLOPs / time / the 1000^3 matmul rate; "
                 "variants: " + _variant_legend(result.get("plan", {}).get("variants", {})))
    return "\n".join(lines)


def _variant_legend(variants):
    """One phrase per variant of the plan: what it trains with."""
    parts = []
    for name, v in variants.items():
        extra = [f"lmbda {v['lmbda']:g} {v['penalty'].upper()}"] if v["lmbda"] else []
        if v["optimizer"] != "sgd":
            extra.append(v["optimizer"])
        parts.append(f"{name} = {v['activation']} hidden, {v['cost']}, {v['init']} init, "
                     f"eta {v['eta']:g}" + "".join(f", {e}" for e in extra))
    return "; ".join(parts) or "book"


def _jax_lines(setting):
    """What JAX ran on in this setting, or why it was not timed."""
    if "jax" in setting.get("skipped", {}):
        n = setting["threads"]
        return [f"  jax: not timed with {n} thread{'s' if n > 1 else ''}: "
                f"{setting['skipped']['jax']}"]
    if "jax" in setting:
        jax = setting["jax"]
        return [f"  jax: XLA on {jax['threads']} thread{'s' if jax['threads'] > 1 else ''} "
                f"(XLA_FLAGS={jax['flags']!r})"]
    return []


def _variant_ratio_lines(setting):
    """The variants' epochs against their baselines' (tanh / sigmoid, l1 / l2, adam / SGD),
    one line per ratio, network, mini-batch and dtype, an implementation a column."""
    ratios = setting.get("variant_ratios") or []
    if not ratios:
        return []
    names = list(dict.fromkeys(r["implementation"] for r in ratios))
    names = ["fastnet"] + [n for n in names if n != "fastnet"] if "fastnet" in names else names
    lines = ["", "variants against their baselines (this variant's s/epoch / the baseline's, "
                 "same implementation, network, batch and dtype; target: fastnet's bound):",
             f"  {'ratio':<20}{'network':<12}{'batch':>6}  {'dtype':<9}"
             + "".join(f"{n:>10}" for n in names) + f"{'target':>9}"]
    keys = list(dict.fromkeys((r["variant"], r["baseline"], tuple(r["sizes"]), r["batch"],
                               r["dtype"]) for r in ratios))
    for variant, baseline, sizes, batch, dtype in keys:
        same = {r["implementation"]: r for r in ratios
                if (r["variant"], r["baseline"], tuple(r["sizes"]), r["batch"], r["dtype"])
                == (variant, baseline, sizes, batch, dtype)}
        cells = "".join(f"{same[n]['ratio']:>10.2f}" if n in same else f"{'-':>10}"
                        for n in names)
        fast = same.get("fastnet")
        target = ("" if fast is None or fast["target"] is None else
                  f"{fast['target']:>8g}x {'within' if fast['within'] else 'OVER'}")
        lines.append(f"  {variant + ' / ' + baseline:<20}{'-'.join(map(str, sizes)):<12}"
                     f"{batch:>6}  {dtype:<9}{cells}{target}")
    return lines


def _rival_lines(setting):
    """fastnet against JAX and PyTorch in every row of the same dtype and variant."""
    rivals = setting.get("fastnet_vs_rivals")
    if not rivals or not rivals["compared"]:
        return []
    lines = ["", f"fastnet against jax and pytorch (same network, batch, dtype and variant): "
                 f"ahead in {rivals['ahead']} of {rivals['compared']}"]
    for b in rivals["behind"]:
        lines.append(f"  behind: {'-'.join(map(str, b['sizes']))} batch {b['batch']} "
                     f"{b['variant']} {b['dtype']}: {b['rival']}'s time / fastnet's = "
                     f"{b['ratio']:.2f}")
    return lines


def _book_format_lines(rows):
    """The rows of `book_format`: fastnet.book against the reference, in the book's formats."""
    first = rows[0]
    lines = [f"fastnet.book, the book's data format: network2 {'-'.join(map(str, first['sizes']))}, "
             f"cross-entropy, batch {first['batch']}, eta {first['eta']:g}, "
             f"lmbda {first['lmbda']:g}, BLAS threads = 1",
             f"  fastnet.book: one whole SGD call of {first['epochs_timed']} epochs on "
             f"{first['n_train']} images, per epoch; reference: network2's algorithm per "
             f"example, {first['reference_images_timed']} images, scaled"]
    header = (f"{'data':<16}{'fastnet.book s/epoch':>22}{'reference s/epoch':>19}{'x ref':>8}"
              f"{'target':>8}{'accuracy':>14}")
    lines += ["", header, "-" * len(header)]
    for row in rows:
        lines.append(f"{row['form']:<16}{row['seconds_per_epoch']:>22.3f}"
                     f"{row['reference_seconds_per_epoch']:>19.3f}"
                     f"{row['speedup_vs_reference']:>8.1f}{row['target']:>7g}x"
                     f"{row['accuracy_before']:>7.2f}->{row['accuracy_after']:.2f}")
    return lines


def _float_data_lines(setting):
    """fastnet on float pixels against the bound: FLOAT_DATA_SLACK x the uint8 loop + read."""
    rows = [r for r in setting["rows"] if "vs_uint8" in r]
    if not rows:
        return []
    lines = ["", "float pixels vs uint8 (loop <= 1.15 x uint8 loop + read time of the data):"]
    for row in rows:
        v = row["vs_uint8"]
        lines.append(f"  {'-'.join(map(str, row['sizes']))} batch {row['batch']:>4} "
                     f"{row['implementation']} {row['dtype']}: loop {row['epoch_loop_seconds']:.3f}"
                     f" (call {row['seconds_per_epoch']:.3f}) vs 1.15 x {v['uint8_epoch_loop']:.3f}"
                     f" + {v['read_seconds']:.3f} = {v['bound']:.3f}: "
                     f"{'within' if v['epoch_loop_within'] else 'OVER'}")
    return lines


def _per_call_lines(per_call):
    if per_call is None:
        return []
    calls = ", ".join(f"{d} {s * 1000:.1f} ms" for d, s in per_call["sgd_epochs0_seconds"].items())
    reads = ", ".join(f"{d} {s * 1000:.1f} ms" for d, s in per_call["read_seconds"].items())
    return [f"per-call overhead, SGD(training, 0, 10, 3.0) on the training set, by data dtype: "
            f"{calls}", f"reading the training set once (numpy X.max()): {reads}"]


def _seconds(value):
    return "-" if value is None else f"{value:.3f}"


def _accuracy(value):
    return "-" if value is None else f"{value:.2f}"


def write_json(result, path):
    """Write ``result`` to ``path`` as indented JSON, atomically (`fastnet.atomic_file`)."""
    atomic_file.write_json(path, result, indent=1)
