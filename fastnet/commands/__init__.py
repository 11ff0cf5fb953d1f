"""The subcommands of `fastnet`, one module each.

Each module has ``register(subparsers)``, which adds its subcommand(s) to the `fastnet` parser
and sets ``run``: a function of the parsed arguments that returns the exit status
(`common.EXIT_*`) or raises `common.CommandError` for bad input.  `fastnet.cli` imports them
all and registers them; what they share (the --data option, loading the data, argument types,
exit statuses, Ctrl-C) is in `common`.
"""
