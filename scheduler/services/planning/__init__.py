"""From waiting requests to approved sessions: solving, reviewing the draft, steering it, approval, supervision views."""
