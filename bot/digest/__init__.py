"""The weekly digest to the committee: figures, words, chart, schedule."""
