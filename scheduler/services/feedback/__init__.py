"""Feedback by private link after an engagement's last session, and coaches' private session notes."""
