"""Series planning: propose, adjust and book an episode's induction series in one step."""
