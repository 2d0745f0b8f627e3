"""Attendance: after a session's end its coach marks it held, no-show or cancelled late (sessions
page, API, or the follow-up e-mail's private link); a session left unmarked past the grace
period counts as held and the coach is told. Held hours drive each coach's hours since
supervision (rule 10 of the solver contract)."""
