"""For developers, and without the bot's settings: `demo` and `bench ingest|digest|delivery`
against a local Bot API emulator, `catalogs` to update the translation catalogs from the code."""

from __future__ import annotations

import argparse

COMMANDS = frozenset({"catalogs", "demo", "bench"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("catalogs", help="update the translation catalogs from the code (developers)")
    demo = sub.add_parser("demo", help="play a scripted story against a local Bot API emulator")
    demo.add_argument("--keep-db", action="store_true", help="keep the demo's SQLite file")
    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    ingest = bench_sub.add_parser("ingest", help="simulated students submitting cases")
    ingest.add_argument("-n", "--students", type=int, default=200)
    ingest.add_argument("--concurrency", type=int, default=20)
    ingest.add_argument("--json", action="store_true", help="one JSON object on the last line")
    ingest.add_argument("--database-url", help="an empty database instead of a fresh SQLite file")
    ingest.add_argument(
        "--echo-updates", type=int, help="echo baseline updates (default 5/student)"
    )
    digest = bench_sub.add_parser("digest", help="digest generation over 100,000 cases")
    digest.add_argument("-n", "--cases", type=int, default=100_000)
    digest.add_argument("--json", action="store_true", help="one JSON object on the last line")
    digest.add_argument("--database-url", help="an empty database instead of a fresh SQLite file")
    delivery = bench_sub.add_parser(
        "delivery", help="a broadcast and interactive latency against a strict Bot API emulator"
    )
    delivery.add_argument("-n", "--messages", type=int, default=1500, help="broadcast size")
    delivery.add_argument(
        "--rate", type=float, default=100, help="the global limit, per second (Telegram: 30)"
    )
    delivery.add_argument("--interactive", type=int, default=100, help="interactive messages/phase")
    delivery.add_argument("--json", action="store_true", help="one JSON object on the last line")
    delivery.add_argument("--database-url", help="an empty database instead of a fresh SQLite file")


async def run(args: argparse.Namespace) -> int:
    if args.command == "catalogs":
        from bot.devkit.catalogs import main as update_catalogs

        return update_catalogs()
    if args.command == "demo":
        from bot.devkit.demo import run_demo

        return await run_demo(keep_db=args.keep_db)
    if args.bench == "digest":
        from bot.devkit.bench.digest import run_digest_bench

        return await run_digest_bench(
            cases=args.cases, as_json=args.json, database_url=args.database_url
        )
    if args.bench == "delivery":
        from bot.devkit.bench.delivery import run_delivery_bench

        return await run_delivery_bench(
            messages=args.messages,
            rate=args.rate,
            interactive=args.interactive,
            as_json=args.json,
            database_url=args.database_url,
        )
    from bot.devkit.bench.ingest import run_ingest_bench

    return await run_ingest_bench(
        students=args.students,
        concurrency=args.concurrency,
        as_json=args.json,
        database_url=args.database_url,
        echo_updates=args.echo_updates,
    )
