"""People who sign in (users, passwords, API tokens) and the private-link tokens."""
