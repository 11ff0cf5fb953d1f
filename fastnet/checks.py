"""Checks of the values users pass in, in one place, so that every entry point (the Python API,
the command line, the experiments) refuses the same values in the same words."""

import numbers


def check_count(value, what, minimum=1):
    """``value`` as an int, or a ValueError naming ``what``: a whole number >= ``minimum``
    (a bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, not {value!r}")
    return int(value)
