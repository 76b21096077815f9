"""The university's departments at work on cases: a part per department a case is forwarded
(转办) or a proposal assigned (交办) to, its liaisons' answers, questions and refusals, and the
officers' review of those answers. Below `bot.proposals`, which assigns through it; above the
delivery it sends with."""
