"""The face-to-face town hall (面对面): sessions, moderated questions, votes, answers."""
