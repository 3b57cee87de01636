"""The ``aisle`` command line: one entry point for every job.

Each subcommand module registers its parsers and a handler; handlers parse and validate
arguments, call one library function and print its result. ``AisleError``s are printed as
one clear message (exit code 2); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from aisle.errors import AisleError

log = logging.getLogger("aisle")


def build_parser() -> argparse.ArgumentParser:
    from aisle.cli import agent_cmds, data_cmds, eval_cmds, model_cmds, ops_cmds

    parser = argparse.ArgumentParser(
        prog="aisle",
        description="Offline-first conversational shopping and customer-service agent.",
    )
    parser.add_argument("--config", help="settings TOML file (default: $AISLE_CONFIG, ./aisle.toml, $AISLE_HOME/aisle.toml)")
    parser.add_argument("--home", help="state directory (overrides AISLE_HOME; default ./var)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (data_cmds, eval_cmds, model_cmds, agent_cmds, ops_cmds):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from aisle import logs, offline

    offline.apply()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from aisle.settings import Settings

        settings = Settings.load(args.config)
        if args.home:
            from pathlib import Path

            settings = settings.with_home(Path(args.home))
        logs.configure("DEBUG" if args.verbose else settings.log_level)
        return int(args.handler(args, settings) or 0)
    except AisleError as exc:
        print(f"aisle: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\naisle: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `aisle … | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
