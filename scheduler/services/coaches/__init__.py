"""Coaches: their own record (self-service), the programme's roster, the supervisor's staff management, calendar feeds."""
