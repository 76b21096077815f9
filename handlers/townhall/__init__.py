"""The face-to-face town hall (面对面): the officers' /townhall, the students' /townhall,
/ask and /questions."""
