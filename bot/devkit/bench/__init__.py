"""Benchmarks: the bot under simulated load, with its own costs measured apart from the load's."""
