"""`studentvoice` / `python -m bot`: the command line, one module per group of commands.

Building the parser imports no more than the standard library: each command imports what it
needs when it runs, so `--help` or a database command does not wait for aiogram to load.
"""

from bot.cli.entry import main

__all__ = ["main"]
