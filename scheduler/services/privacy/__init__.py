"""Data custody: a person's export, erasure, retention of closed requests, backup and restore."""
