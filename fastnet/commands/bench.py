"""`fastnet bench`: time one epoch of fastnet, the reference and the installed peers, side by
side (`fastnet.bench`), print the table and write it as JSON if asked.

Exit status: 0 on success; 1 after the timing began, when an implementation did not learn
(nothing is printed or written) or --json cannot be written; 2 for bad input found before it
(--threads, --data, an unwritable --json); 130 after Ctrl-C."""

from ..bench import implementations, table, timing
from ..bench.implementations import PEERS
from .common import CommandError, FailedAfterWork, add_data_option, check_writable, first_run_note, load_data


def register(subparsers):
    bench = subparsers.add_parser("bench", help="time one training epoch against the reference "
                                  "and the installed peers (docs/benchmarks.md)")
    bench.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    bench.add_argument("--json", metavar="PATH", help="also write the table as JSON to PATH")
    bench.add_argument("--threads", metavar="N|all|both",
                       help="BLAS threads: a number, all cores, or both 1 and all "
                            "(default: both; 1 with --quick)")
    add_data_option(bench)
    bench.set_defaults(run=cmd_bench)


def cmd_bench(args):
    try:
        threads = timing.thread_settings(args.threads or ("1" if args.quick else "both"))
    except ValueError as e:
        raise CommandError(e) from e
    if args.json:
        check_writable("--json", args.json)
    _, (train, evaluation, _) = load_data(args)
    plan = timing.QUICK if args.quick else timing.FULL
    first_run_note("float64")
    for name in PEERS:
        if not implementations.installed(name):
            print(f"{name}: not installed (pip install -e \".[compare]\" adds it)")
    try:
        result = timing.run(implementations.Data(train, evaluation), plan, threads,
                            progress=lambda msg: print(f"timing {msg} ...", flush=True))
    except RuntimeError as e:  # an implementation did not learn: found after the timing began
        unsaved = f"no table, and --json {args.json} was not written" if args.json else "no table"
        raise FailedAfterWork(f"{e}: the timing stopped there, {unsaved}") from e
    print()
    print(table.format_table(result))
    if args.json:
        try:
            table.write_json(result, args.json)
        except OSError as e:
            raise FailedAfterWork(f"--json {args.json}: {e.strerror}: the table above was "
                                  f"not saved") from e
        print(f"wrote {args.json}")
    return 0
