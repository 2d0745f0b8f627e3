"""What people must hear: the outbox written in the same transaction, and its delivery after commit."""
