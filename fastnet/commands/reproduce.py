"""`fastnet reproduce seed|book`: rerun a suite of `fastnet.experiments` over several seeds,
print its tables and write results.md, results.json, accuracy.png and (for chapter 5's speed
rows) layer_speed.png and (for chapter 3's figures) ch3_*.png into --out.

Exit status: 0 on success; 1 when a worker process dies (the runs finished before it are
printed and written) or the results cannot be written; 2 for bad input found before the runs
(--seeds, --jobs beyond what the machine holds, an unwritable --out); 128 + the signal after
Ctrl-C (130), SIGTERM, SIGHUP or SIGQUIT."""

import sys
from pathlib import Path

from ..checks import check_at_most
from ..experiments import chapter3, readings, report, runner, speeds, summary
from ..experiments.suites import AGREEMENT_POINTS, SUITES, ExperimentError, select_rows
from .common import (CommandError, FailedAfterWork, add_data_option, check_writable,
                     first_run_note, load_data)
from .status import interrupted


def register(subparsers):
    reproduce = subparsers.add_parser(
        "reproduce", help="rerun the notebook's or the book's experiments over several seeds",
    ).add_subparsers(dest="suite", required=True, metavar="SUITE")
    for suite in SUITES.values():
        sub = reproduce.add_parser(suite.name, help=suite.title)
        _add_arguments(sub, suite)
        add_data_option(sub)
        sub.set_defaults(run=cmd_reproduce)


def _add_arguments(parser, suite):
    """The options of `fastnet reproduce SUITE`."""
    ids = ", ".join(row.id for row in suite.rows)
    parser.add_argument("--seeds", type=int, metavar="N",
                        help=f"runs per row, from seeds 0..N-1 (default {runner.DEFAULT_SEEDS}; "
                             f"1 with --quick; at most {runner.MAX_SEEDS:,})")
    parser.add_argument("--only", metavar="ID", help=f"run one row: {ids}")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: 1 seed, 1/{runner.QUICK_EPOCH_DIVISOR} of the epochs"
                             + (" (and of the baselines' training images)"
                                if suite.name == "book" else ""))
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="worker processes, one BLAS thread each (default and most: one "
                             "per core, as many as the memory holds at "
                             f"{runner.WORKER_BYTES // 2**20} MB each)")
    parser.add_argument("--out", metavar="DIR",
                        help="write results.md, results.json and the pictures (with "
                             "matplotlib) into DIR")


def cmd_reproduce(args):
    """Run, print the per-epoch tables (seed) and the results table, write the files of
    --out.  Bad options, and data that cannot hold a row, are CommandErrors."""
    try:
        return _reproduce(args)
    except ExperimentError as e:
        raise CommandError(e) from e


def _reproduce(args):
    suite = SUITES[args.suite]
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else runner.DEFAULT_SEEDS)
    runner.positive(seeds, "--seeds")
    _check_at_most("--seeds", seeds, runner.MAX_SEEDS, "the most a suite runs")
    jobs = runner.default_jobs() if args.jobs is None else runner.positive(args.jobs, "--jobs")
    _check_at_most("--jobs", jobs, *runner.jobs_limit())
    select_rows(suite, args.only)
    explanations = report.load_explanations() if args.out else None  # now, not after the runs
    if args.out:
        _check_out(args.out)
    (data_path, _), splits = load_data(args)
    first_run_note("float64")  # each worker compiles them, or loads them from the cache
    died = None
    try:
        done = runner.reproduce(suite.name, seeds, args.only, args.quick, jobs, data_path,
                                splits, progress=sys.stderr)
    except runner.WorkerDied as e:
        died, done = e, e.report
    except KeyboardInterrupt as e:
        raise interrupted(e, "interrupted ({signal}); nothing written") from None
    done.command = _command_line(args, seeds)
    summarized = summary.summarize(done)
    if suite.epoch_tables:
        for entry in summarized["rows"]:
            print(report.epoch_table(entry), end="\n\n")
    if report.has_table(summarized):
        print(report.results_table(summarized))
    for table in (chapter3.table(summarized, AGREEMENT_POINTS), readings.table(summarized)):
        if table:
            print("\n" + "\n".join(table))
    if summarized["speed_rows"]:
        print(speeds.table(summarized["speed_rows"]))
    print(f"\nwall time {done.wall_seconds:.1f} s")
    written = bool(args.out and done.runs)
    if written:
        try:
            paths, plot_note = report.write_outputs(summarized, args.out, explanations)
        except OSError as e:
            raise FailedAfterWork(f"cannot write the results into {args.out} ({e}): the "
                                  f"tables above were not saved"
                                  + (f"; and {died}" if died else "")) from e
        if plot_note:
            print(f"fastnet: {plot_note}", file=sys.stderr)
        print("wrote " + ", ".join(map(str, paths)))
    if died is not None:
        kept = ("nothing was written" if not done.runs else
                f"the finished runs are above" + (f" and in {args.out}" if written else ""))
        raise FailedAfterWork(f"{died}; {kept}")
    return 0


def _check_at_most(option, value, limit, why):
    try:
        check_at_most(value, limit, option, why)
    except ValueError as e:
        raise ExperimentError(e) from None


def _check_out(directory):
    """Make --out ``directory`` and check that every file of the results can be written into
    it, now rather than after the runs."""
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExperimentError(f"cannot write the results into {directory}: {e}") from e
    for name in report.OUTPUT_FILES + (speeds.PLOT_FILE,):
        check_writable("--out", Path(directory) / name)


def _command_line(args, seeds):
    """The command that reproduces ``args``' runs, for the record in results.md."""
    words = ["fastnet", "reproduce", args.suite, "--seeds", str(seeds)]
    if args.only:
        words += ["--only", args.only]
    if args.quick:
        words.append("--quick")
    if args.out:
        words += ["--out", str(args.out)]
    return " ".join(words)
