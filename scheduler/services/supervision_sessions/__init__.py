"""Group supervision sessions: the supervisor's settings, the planner's proposal, review and
approval, invitations, and attendance that resets coaches' hours."""
