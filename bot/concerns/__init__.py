"""Shared concerns (我也遇到): public versions of grievances and suggestions, the /board, +1."""
