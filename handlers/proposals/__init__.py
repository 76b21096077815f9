"""Congress proposals: representatives drafting and co-signing them in private, the officers'
proposal committee buttons in their chat."""
