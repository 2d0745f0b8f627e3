"""Intervision rounds: the supervisor opens a round, members and coaches sign up through a public
form, the intervision planner (solver.intervision) forms the groups, the supervisor schedules
them and everyone is invited; each sign-up left out has its reasons."""
