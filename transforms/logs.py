"""Log levels: newsbeam's own messages at the chosen level, third-party chatter off by default.

The libraries newsbeam calls report on the input they are given ("ERROR trafilatura.utils:
parsed tree length: 1", "WARNING trafilatura.core: discarding data: None", dateutil's
`UnknownTimezoneWarning` with a file path): on real crawls that is a stream of lines per page
which says nothing the `dead_letter` table does not. They stay silent unless the level is DEBUG.

`configure_logging(level)` is called by the CLI (`--log-level`) and, through
`quiet_third_party()`, by every process that runs newsbeam's transforms: the module that parses
(`transforms.parse`) calls it when it is imported, so the worker processes of
`--direct_running_mode multi_processing` (which import the modules afresh) are quiet too; the CLI
passes the level to local worker processes in `NEWSBEAM_LOG_LEVEL`. Dataflow workers do not see
that variable: they stay at the default (third-party loggers quiet), whatever `--log-level` says.
"""

from __future__ import annotations

import logging
import os
import warnings

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "WARNING"
ENV_VAR = "NEWSBEAM_LOG_LEVEL"
# Loggers of the libraries newsbeam calls on input data.
THIRD_PARTY = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer", "dateutil", "dateparser",
               "readability", "lxml", "py3langid", "langid", "warcio")
# Python warnings those libraries raise about their input (not about newsbeam's code).
_WARNING_MODULES = r"(?:dateutil|htmldate|trafilatura|courlan|justext|charset_normalizer|dateparser)(?:\..*)?"


def level_name(value: str | None) -> str:
    """A level name from `--log-level` or the environment; ValueError for an unknown one."""
    name = (value or DEFAULT_LEVEL).strip().upper()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {value!r}; expected one of {', '.join(LEVELS)}")
    return name


def quiet_third_party(level: str | None = None) -> None:
    """Silence third-party loggers and their input warnings unless `level` (default: the
    `NEWSBEAM_LOG_LEVEL` environment variable, else WARNING) is DEBUG."""
    try:
        name = level_name(level if level is not None else os.environ.get(ENV_VAR))
    except ValueError:
        name = DEFAULT_LEVEL
    debug = name == "DEBUG"
    for logger in THIRD_PARTY:
        logging.getLogger(logger).setLevel(logging.DEBUG if debug else logging.CRITICAL + 1)
    if not debug:
        warnings.filterwarnings("ignore", module=_WARNING_MODULES)
        try:
            from dateutil.parser import UnknownTimezoneWarning
        except ImportError:  # dateutil absent: nothing of it to silence
            return
        warnings.filterwarnings("ignore", category=UnknownTimezoneWarning)


def configure_logging(level: str | None = None) -> str:
    """One-line log records on stderr; newsbeam's loggers at `level`, third-party ones quiet
    unless DEBUG. Exported to worker processes through `NEWSBEAM_LOG_LEVEL`. Returns the level."""
    name = level_name(level)
    os.environ[ENV_VAR] = name
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("newsbeam").setLevel(name)
    quiet_third_party(name)
    return name
