"""Cases received offline: an officer's /intake, the import of a paper collection, and the
invite links that bind such a case to the student who wants to follow it."""
