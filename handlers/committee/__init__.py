"""The committee's chat."""
