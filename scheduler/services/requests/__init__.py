"""A coachee's request from intake to its sessions: submit, follow the private link, answer proposals, move a session."""
