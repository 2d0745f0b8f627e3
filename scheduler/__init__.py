"""The coaching programme's domain and persistence: models, services, invites, jobs, CLI."""
