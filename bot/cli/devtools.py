"""For developers, and without the bot's settings: `demo` and `bench ingest|digest|delivery`
against a local Bot API emulator, `catalogs` to update the translation catalogs from the code."""

from __future__ import annotations

import argparse
import importlib

COMMANDS = frozenset({"catalogs", "demo", "bench"})
# Imported only when run: a bench brings aiogram and the emulator with it.
BENCHES = {
    "ingest": ("bot.devkit.bench.ingest", "run_ingest_bench"),
    "digest": ("bot.devkit.bench.digest", "run_digest_bench"),
    "delivery": ("bot.devkit.bench.delivery", "run_delivery_bench"),
}


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("catalogs", help="update the translation catalogs from the code (developers)")
    demo = sub.add_parser("demo", help="play a scripted story against a local Bot API emulator")
    demo.add_argument("--keep-db", action="store_true", help="keep the demo's SQLite file")
    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    ingest = bench_sub.add_parser("ingest", help="simulated students submitting cases")
    ingest.add_argument("-n", "--students", type=int, default=200)
    ingest.add_argument("--concurrency", type=int, default=20)
    ingest.add_argument(
        "--echo-updates", type=int, help="echo baseline updates (default 5/student)"
    )
    ingest.add_argument(
        "--instances",
        type=int,
        default=1,
        choices=(1, 2),
        help="2: one webhook instance, then two, on PostgreSQL and Redis (scaling_2x)",
    )
    ingest.add_argument("--redis-url", help="an empty Redis database, with --instances 2")
    digest = bench_sub.add_parser("digest", help="digest generation over 100,000 cases")
    digest.add_argument("-n", "--cases", type=int, default=100_000)
    delivery = bench_sub.add_parser(
        "delivery", help="a broadcast and interactive latency against a strict Bot API emulator"
    )
    delivery.add_argument("-n", "--messages", type=int, default=1500, help="broadcast size")
    delivery.add_argument(
        "--rate", type=float, default=100, help="the global limit, per second (Telegram: 30)"
    )
    delivery.add_argument("--interactive", type=int, default=100, help="interactive messages/phase")
    for each in (ingest, digest, delivery):
        each.add_argument(
            "--json", dest="as_json", action="store_true", help="one JSON object on the last line"
        )
        each.add_argument("--database-url", help="an empty database instead of a fresh SQLite file")


async def run(args: argparse.Namespace) -> int:
    if args.command == "catalogs":
        from bot.devkit.catalogs import main as update_catalogs

        return update_catalogs()
    if args.command == "demo":
        from bot.devkit.demo import run_demo

        return await run_demo(keep_db=args.keep_db)
    module, entry = BENCHES[args.bench]
    options = {k: v for k, v in vars(args).items() if k not in ("command", "bench", "verbose")}
    return int(await getattr(importlib.import_module(module), entry)(**options))
