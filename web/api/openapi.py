"""The OpenAPI 3.1 document of /api/v1, kept beside the views it describes (tests check they agree).

Request bodies are generated from the input boundary's declarations
(`scheduler.services.boundary`): the same types, lengths and `additionalProperties: false`
the API enforces. Responses are described here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from scheduler.services import boundary


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


AUTH = (401, 403)
INT_ID = {"type": "integer", "minimum": 1}
STR_LIST = {"type": "array", "items": {"type": "string"}}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_STR = {"type": ["string", "null"]}
INSTANT = {"type": "string", "format": "date-time"}


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": INT_ID}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    op_id: str,
    ok: tuple[int, dict[str, Any], str],
    errors: tuple[int, ...],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    status, schema, description = ok
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": op_id,
        "responses": {str(status): _json(schema, description), **_errors(*errors)},
    }
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = body
    if public:
        operation["security"] = []
    return operation


REQUEST_ID = _path_id("request_id", "The coaching request's id")
READER_ZONE = {
    "name": "timezone",
    "in": "query",
    "required": False,
    "description": "The IANA zone the reasons' times are told in (default: the programme's)",
    "schema": {"type": "string"},
}
COACH_ID = _path_id("coach_id", "The coach's id")
RUN_ID = _path_id("run_id", "The solve run's id")
RESOLVE = {"type": "boolean", "description": "Queue a re-solve at once (the rest of the draft is kept)"}


# The declarations that are bodies of requests, under their names in components/schemas.
DECLARED_BODIES: dict[str, type[boundary.Declaration]] = {
    "NewCoachingRequest": boundary.NewCoachingRequest,
    "RequestChange": boundary.RequestChange,
    "CoachInvitation": boundary.CoachInvitation,
    "ProgrammeChange": boundary.ProgrammeChange,
    "CoachChange": boundary.CoachChange,
    "CoachChoice": boundary.CoachChoice,
    "ReassignChoice": boundary.ReassignChoice,
    "Approval": boundary.Approval,
    "CoachProfileChange": boundary.CoachProfile,
    "CapacityChange": boundary.Capacity,
    "WeeklyAvailability": boundary.WeeklyAvailability,
    "DateException": boundary.DateException,
}
EDITABLE_SETTINGS = tuple(boundary.ProgrammeChange.model_fields)


def _declared_schemas() -> dict[str, Any]:
    return {name: boundary.request_schema(declaration) for name, declaration in DECLARED_BODIES.items()}


def _schemas() -> dict[str, Any]:
    return {
        **_declared_schemas(),
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "fields"],
                    "properties": {
                        "code": {"type": "string", "examples": ["invalid", "not_found", "conflict", "unauthorized"]},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                }
            },
        },
        "Me": {
            "type": "object",
            "properties": {
                "id": INT_ID,
                "email": {"type": "string"},
                "role": {"type": "string", "enum": ["supervisor", "coach"]},
                "coach_id": NULLABLE_INT,
                "supervisor_id": NULLABLE_INT,
            },
        },
        "ProgrammeSettings": {
            "type": "object",
            "required": list(EDITABLE_SETTINGS),
            "properties": {
                "name": {"type": "string"},
                "timezone": {"type": "string", "examples": ["Europe/Brussels"]},
                "horizon_start": {"type": "string", "format": "date"},
                "horizon_end": {"type": "string", "format": "date"},
                "session_minutes": {"type": "integer", "minimum": 15, "maximum": 240},
                "slot_minutes": {"type": "integer", "minimum": 5, "maximum": 60},
                "min_notice_hours": {"type": "integer", "minimum": 0, "maximum": 720},
                "min_gap_days": {"type": "integer", "minimum": 0},
                "max_gap_days": {"type": "integer", "minimum": 1},
                "topics": STR_LIST,
                "sensitive_topics": STR_LIST,
                "languages": STR_LIST,
                "max_hours_trainee": {"type": "number"},
                "max_hours_accredited": {"type": "number"},
                "max_hours_senior": {"type": "number"},
                "capacity_over_time": {"type": "boolean"},
            },
        },
        "Programme": {
            "allOf": [{"type": "object", "required": ["id"], "properties": {"id": INT_ID}}, _ref("ProgrammeSettings")]
        },
        "Session": {
            "type": "object",
            "properties": {
                "id": INT_ID,
                "start": INSTANT,
                "end": INSTANT,
                "status": {"type": "string", "enum": ["draft", "scheduled", "cancelled"]},
            },
        },
        "Request": {
            "type": "object",
            "properties": {
                "id": INT_ID,
                "coachee_name": {"type": "string"},
                "timezone": {"type": "string"},
                "languages": STR_LIST,
                "topics": STR_LIST,
                "sessions_wanted": {"type": "integer"},
                "priority": {"type": "integer", "minimum": 1, "maximum": 3},
                "sensitive": {"type": "boolean"},
                "status": {"type": "string"},
                "submitted_at": INSTANT,
                "pinned_coach_id": NULLABLE_INT,
                "excluded_coach_ids": {"type": "array", "items": INT_ID},
            },
        },
        "QueueEntry": {
            "allOf": [
                _ref("Request"),
                {
                    "type": "object",
                    "properties": {
                        "position": {"type": "integer"},
                        "waiting_seconds": {"type": "integer"},
                        "draft_coach_id": NULLABLE_INT,
                    },
                },
            ]
        },
        "Engagement": {
            "type": "object",
            "properties": {
                "id": INT_ID,
                "request_id": INT_ID,
                "coach_id": INT_ID,
                "coach_name": {"type": "string"},
                "status": {"type": "string"},
                "score": {"type": "object", "additionalProperties": {"type": "number"}},
                "explanation": STR_LIST,
                "sessions": {"type": "array", "items": _ref("Session")},
            },
        },
        "RequestDetail": {
            "allOf": [
                _ref("Request"),
                {"type": "object", "properties": {"engagements": {"type": "array", "items": _ref("Engagement")}}},
            ]
        },
        "SolveRun": {
            "type": "object",
            "properties": {
                "id": INT_ID,
                "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                "solver_status": NULLABLE_STR,
                "served_weight": NULLABLE_INT,
                "served_weight_bound": NULLABLE_INT,
                "percent_of_bound": NULLABLE_INT,
                "elapsed_seconds": {"type": ["number", "null"]},
                "started_at": INSTANT,
                "finished_at": {"type": ["string", "null"], "format": "date-time"},
                "unassigned_count": {"type": "integer"},
                "error": NULLABLE_STR,
                "finished": {"type": "boolean"},
            },
        },
        "Unserved": {
            "type": "object",
            "properties": {
                "request_id": INT_ID,
                "reasons": STR_LIST,
                "details": {
                    "type": "array",
                    "description": "The reasons for programs: a stable code, the text and its parameters",
                    "items": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "text": {"type": "string"}, "params": {"type": "object"}},
                    },
                },
            },
        },
        "Adjusted": {
            "type": "object",
            "properties": {
                "request": _ref("Request"),
                "solve_run": {"oneOf": [_ref("SolveRun"), {"type": "null"}]},
            },
        },
        "Coach": {
            "type": "object",
            "description": "A coach: one shape for the supervisor's endpoints and the coach's own",
            "properties": {
                "format": {"type": "string", "enum": ["coach/2"]},
                "id": INT_ID,
                "name": {"type": "string"},
                "email": {"type": "string"},
                "timezone": {"type": "string"},
                "languages": STR_LIST,
                "topics": STR_LIST,
                "level": {"type": "string", "enum": ["trainee", "accredited", "senior"]},
                "supervisor_id": NULLABLE_INT,
                "organisation": NULLABLE_STR,
                "active": {"type": "boolean"},
                "capacity": _ref("Capacity"),
            },
        },
        "CoachSession": {
            "type": "object",
            "properties": {
                "id": INT_ID,
                "start": INSTANT,
                "end": INSTANT,
                "local_start": {"type": "string", "description": "ISO 8601 with the offset of `timezone`"},
                "local_end": {"type": "string"},
                "timezone": {"type": "string"},
                "engagement_id": INT_ID,
                "coachee_name": {"type": "string"},
                "topics": STR_LIST,
            },
        },
        "Capacity": {
            "type": "object",
            "properties": {
                "max_active_coachees": {"type": "integer", "minimum": 0, "maximum": 20},
                "max_sessions_per_week": {"type": "integer", "minimum": 0, "maximum": 30},
                "max_sessions_per_day": {"type": "integer", "minimum": 0, "maximum": 10},
                "buffer_minutes": {"type": "integer", "minimum": 0, "maximum": 240},
            },
        },
        "Weekly": {
            "type": "object",
            "description": 'Weekly windows in the coach\'s timezone, e.g. {"mon": [["09:00", "12:00"]]}',
            "propertyNames": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
            "additionalProperties": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
            },
        },
        "Availability": {
            "type": "object",
            "properties": {
                "timezone": {"type": "string"},
                "weekly": _ref("Weekly"),
                "exceptions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": INT_ID,
                            "date": {"type": "string", "format": "date"},
                            "start": NULLABLE_STR,
                            "end": NULLABLE_STR,
                        },
                    },
                },
            },
        },
        "CoachingRequestStatus": {
            "type": "object",
            "properties": {
                "id": INT_ID,
                "status": {"type": "string"},
                "timezone": {"type": "string"},
                "waiting_days": {"type": "integer"},
                "queue_position": NULLABLE_INT,
                "waiting_total": NULLABLE_INT,
                "coach_name": NULLABLE_STR,
                "sessions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": INT_ID,
                            "local_start": {"type": "string"},
                            "local_end": {"type": "string"},
                        },
                    },
                },
                "topics": STR_LIST,
                "languages": STR_LIST,
                "sessions_wanted": {"type": "integer"},
                "windows": {
                    "type": "object",
                    "description": "Weekly times they can meet, in their timezone: weekday -> [[HH:MM, HH:MM]]",
                    "additionalProperties": {"type": "array", "items": STR_LIST},
                },
                "no_coach_at_these_times": {"type": "boolean"},
                "can_respond": {"type": "boolean"},
                "can_cancel": {"type": "boolean"},
                "can_change": {"type": "boolean"},
            },
        },
    }


def openapi_document(server_url: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI 3.1 description of every endpoint under `server_url`."""
    responses = {
        f"E{code}": _json(_ref("Error"), text)
        for code, text in {
            400: "The body is not a JSON object",
            401: "No valid bearer token",
            403: "The token's account may not do this",
            404: "No such item in this programme",
            409: "The state changed meanwhile, or a solve is already running",
            413: "The body is larger than the server reads",
            422: "Invalid input: `fields` names each bad field",
            429: "Too many requests: wait the seconds in Retry-After",
        }.items()
    }
    paths: dict[str, Any] = {
        "/openapi.json": {
            "get": _op(
                "This document", "getOpenapi", (200, {"type": "object"}, "The OpenAPI document"), (), public=True
            )
        },
        "/me": {"get": _op("Who the token belongs to", "getMe", (200, _ref("Me"), "The account"), (401,))},
        "/programme": {
            "get": _op("The programme's settings", "getProgramme", (200, _ref("Programme"), "Settings"), AUTH),
            "patch": _op(
                "Change some of the programme's settings (all checked, all or nothing)",
                "patchProgramme",
                (200, _ref("Programme"), "The saved settings"),
                (400, *AUTH, 422),
                body=_body(_ref("ProgrammeChange")),
            ),
        },
        "/requests": {
            "get": _op(
                "The queue: waiting requests in the order the solver serves them, with waiting time",
                "listRequests",
                (
                    200,
                    {"type": "object", "properties": {"requests": {"type": "array", "items": _ref("QueueEntry")}}},
                    "The queue",
                ),
                AUTH,
            )
        },
        "/requests/{request_id}": {
            "get": _op(
                "One request with its engagements",
                "getRequest",
                (200, _ref("RequestDetail"), "The request"),
                (*AUTH, 404),
                params=[REQUEST_ID],
            )
        },
        "/requests/{request_id}/pin": {
            "put": _op(
                "Pin a waiting request to a coach (a draft with another coach is withdrawn)",
                "pinRequest",
                (200, _ref("Adjusted"), "The request, and the re-solve if asked for"),
                (400, *AUTH, 404, 409, 422),
                params=[REQUEST_ID],
                body=_body(_ref("CoachChoice")),
            ),
            "delete": _op(
                "Unpin a request",
                "unpinRequest",
                (200, _ref("Adjusted"), "The request"),
                (*AUTH, 404, 409),
                params=[REQUEST_ID],
            ),
        },
        "/requests/{request_id}/forbidden-coaches": {
            "post": _op(
                "Forbid a coach for a request (their draft for it is withdrawn)",
                "forbidCoach",
                (200, _ref("Adjusted"), "The request, and the re-solve if asked for"),
                (400, *AUTH, 404, 409, 422),
                params=[REQUEST_ID],
                body=_body(_ref("CoachChoice")),
            )
        },
        "/requests/{request_id}/forbidden-coaches/{coach_id}": {
            "delete": _op(
                "Allow a forbidden coach again",
                "allowCoach",
                (200, _ref("Adjusted"), "The request"),
                (*AUTH, 404, 409, 422),
                params=[REQUEST_ID, COACH_ID],
            )
        },
        "/requests/{request_id}/reassign": {
            "post": _op(
                "Move a drafted request: to `coach_id` (pinned) or, without it, away from its draft coach",
                "reassignRequest",
                (200, _ref("Adjusted"), "The request, and the re-solve if asked for"),
                (400, *AUTH, 404, 409, 422),
                params=[REQUEST_ID],
                body=_body(_ref("ReassignChoice")),
            )
        },
        "/solve-runs": {
            "get": _op(
                "The latest solve runs, newest first",
                "listSolveRuns",
                (
                    200,
                    {"type": "object", "properties": {"solve_runs": {"type": "array", "items": _ref("SolveRun")}}},
                    "Runs",
                ),
                AUTH,
            ),
            "post": _op(
                "Start a solve in the background; poll the run for progress",
                "createSolveRun",
                (202, _ref("SolveRun"), "The queued run (Location: the run)"),
                (*AUTH, 409),
            ),
        },
        "/solve-runs/{run_id}": {
            "get": _op(
                "A solve run's progress (status, best served weight, bound) and unserved requests",
                "getSolveRun",
                (
                    200,
                    {
                        "allOf": [
                            _ref("SolveRun"),
                            {
                                "type": "object",
                                "properties": {"unassigned": {"type": "array", "items": _ref("Unserved")}},
                            },
                        ]
                    },
                    "The run",
                ),
                (*AUTH, 404, 422),
                params=[RUN_ID, READER_ZONE],
            )
        },
        "/draft": {
            "get": _op(
                "The draft: each assignment with its score and explanation, each unserved request with reasons",
                "getDraft",
                (
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "solve_run": {"oneOf": [_ref("SolveRun"), {"type": "null"}]},
                            "assignments": {"type": "array", "items": _ref("Engagement")},
                            "unserved": {"type": "array", "items": _ref("Unserved")},
                        },
                    },
                    "The draft",
                ),
                (*AUTH, 422),
                params=[READER_ZONE],
            )
        },
        "/draft/approve": {
            "post": _op(
                "Approve the given draft engagements, or all; invitations are queued",
                "approveDraft",
                (
                    200,
                    {"type": "object", "properties": {"approved": {"type": "array", "items": _ref("Engagement")}}},
                    "The approved engagements",
                ),
                (400, *AUTH, 404, 409, 422),
                body=_body(_ref("Approval")),
            )
        },
        "/coaches": {
            "get": _op(
                "All coaches of the programme",
                "listCoaches",
                (
                    200,
                    {"type": "object", "properties": {"coaches": {"type": "array", "items": _ref("Coach")}}},
                    "Coaches",
                ),
                AUTH,
            ),
            "post": _op(
                "Invite a coach: an account without a password and an e-mail to set one",
                "inviteCoach",
                (201, _ref("Coach"), "The invited coach (Location: the coach)"),
                (400, *AUTH, 422),
                body=_body(_ref("CoachInvitation")),
            ),
        },
        "/coaches/{coach_id}": {
            "get": _op("One coach", "getCoach", (200, _ref("Coach"), "The coach"), (*AUTH, 404), params=[COACH_ID]),
            "patch": _op(
                "Set a coach's level and supervisor, or (de)activate them",
                "patchCoach",
                (200, _ref("Coach"), "The coach"),
                (400, *AUTH, 404, 422),
                params=[COACH_ID],
                body=_body(_ref("CoachChange")),
            ),
        },
        "/load": {
            "get": _op(
                "Sessions per ISO week and coach against the weekly cap",
                "getLoad",
                (
                    200,
                    {"type": "object", "properties": {"weeks": {"type": "array"}, "coaches": {"type": "array"}}},
                    "The load chart's data",
                ),
                AUTH,
                params=[
                    {
                        "name": "drafts",
                        "in": "query",
                        "required": False,
                        "description": "0 to count scheduled sessions only",
                        "schema": {"type": "string", "enum": ["0", "1"]},
                    }
                ],
            )
        },
        "/calendar": {
            "get": _op(
                "All sessions in a date range, with local times in the chosen timezone",
                "getCalendar",
                (
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "timezone": {"type": "string"},
                            "start": {"type": "string", "format": "date"},
                            "end": {"type": "string", "format": "date"},
                            "sessions": {"type": "array"},
                        },
                    },
                    "Sessions",
                ),
                (*AUTH, 422),
                params=[
                    {"name": "timezone", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "start", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
                    {
                        "name": "days",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 366},
                    },
                    {
                        "name": "drafts",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["0", "1"]},
                    },
                ],
            )
        },
        "/supervision": {
            "get": _op(
                "The supervision ledger: hours per coach, trainee engagements per supervisor, who is blocked and why",
                "getSupervision",
                (
                    200,
                    {"type": "object", "properties": {"coaches": {"type": "array"}, "supervisors": {"type": "array"}}},
                    "The ledger",
                ),
                AUTH,
            )
        },
        "/sessions/{session_id}/attendance": {
            "post": {
                **_op(
                    "The session's coach records what happened once it is over",
                    "markAttendance",
                    (
                        200,
                        {
                            "type": "object",
                            "properties": {
                                "session_id": {"type": "integer"},
                                "outcome": {"type": "string", "enum": ["held", "no_show", "cancelled_late"]},
                                "recorded_by": {"type": "string", "enum": ["coach", "automatic"]},
                            },
                        },
                        "The recorded outcome",
                    ),
                    (400, *AUTH, 404, 422),
                    params=[_path_id("session_id", "The session")],
                    body=_body(
                        {
                            "type": "object",
                            "required": ["outcome"],
                            "properties": {"outcome": {"type": "string", "enum": ["held", "no_show", "cancelled_late"]}},
                        }
                    ),
                ),
                "tags": ["coach"],
            }
        },
    }
    for path, item in paths.items():
        for operation in item.values():
            operation.setdefault("tags", ["account"] if path in ("/openapi.json", "/me") else ["supervisor"])
    paths.update(_people_paths())
    for item in paths.values():
        for operation in item.values():
            # Any operation refuses a query parameter it does not declare (422), and the API
            # is rate-limited per token or client (429 with Retry-After).
            operation["responses"].setdefault("422", {"$ref": "#/components/responses/E422"})
            operation["responses"].setdefault("429", {"$ref": "#/components/responses/E429"})
            if "requestBody" in operation:
                operation["responses"].setdefault("400", {"$ref": "#/components/responses/E400"})
                operation["responses"].setdefault("413", {"$ref": "#/components/responses/E413"})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Coaching scheduler API",
            "version": "1.0.0",
            "description": (
                "The supervisor's operations on a volunteer coaching programme. Authenticate with "
                "`Authorization: Bearer <token>` (each person creates their own token on their API-token page). "
                'Every error is `{"error": {"code", "message", "fields"}}`.'
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "account", "description": "The document and who a token belongs to"},
            {"name": "supervisor", "description": "The supervisor's operations (a supervisor's token)"},
            {"name": "coach", "description": "A coach's own record (the coach's token)"},
            {"name": "coachee", "description": "A coachee's request (no account; the private link's token)"},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "statusToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Status-Token",
                    "description": "The token of the coachee's private link (from their e-mail)",
                },
            },
            "schemas": _schemas(),
            "responses": responses,
        },
    }


COACH_ERRORS = (401, 403)
ENGAGEMENT_ID = _path_id("engagement_id", "The engagement's id")
EXCEPTION_ID = _path_id("exception_id", "The date exception's id")


def _coach_op(
    summary: str, op_id: str, ok: tuple[int, dict[str, Any], str], errors: tuple[int, ...] = (), **kw: Any
) -> dict[str, Any]:
    return {**_op(summary, op_id, ok, (*COACH_ERRORS, *errors), **kw), "tags": ["coach"]}


def _coachee_op(
    summary: str, op_id: str, ok: tuple[int, dict[str, Any], str], errors: tuple[int, ...], **kw: Any
) -> dict[str, Any]:
    return {**_op(summary, op_id, ok, errors, **kw), "tags": ["coachee"], "security": [{"statusToken": []}]}


def _people_paths() -> dict[str, Any]:
    """The coach's own endpoints (their token) and the coachee's (no account)."""
    answer = _coach_op  # same shape for accept and decline
    status_ok = (200, _ref("CoachingRequestStatus"), "The request as the coachee sees it")
    return {
        "/me/sessions": {
            "get": _coach_op(
                "The coach's upcoming sessions, local times in their timezone",
                "getMySessions",
                (
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "timezone": {"type": "string"},
                            "sessions": {"type": "array", "items": _ref("CoachSession")},
                        },
                    },
                    "Sessions",
                ),
            )
        },
        "/me/engagements": {
            "get": _coach_op(
                "Approved engagements the coach has not answered yet",
                "getMyEngagements",
                (
                    200,
                    {"type": "object", "properties": {"engagements": {"type": "array", "items": _ref("Engagement")}}},
                    "Engagements",
                ),
            )
        },
        "/me/engagements/{engagement_id}/accept": {
            "post": answer(
                "Accept an engagement",
                "acceptEngagement",
                (200, _ref("Engagement"), "The engagement"),
                (404, 422),
                params=[ENGAGEMENT_ID],
            )
        },
        "/me/engagements/{engagement_id}/decline": {
            "post": answer(
                "Decline an engagement: its sessions are cancelled and the request waits for another coach",
                "declineEngagement",
                (200, _ref("Engagement"), "The engagement"),
                (404, 409, 422),
                params=[ENGAGEMENT_ID],
            )
        },
        "/me/profile": {
            "get": _coach_op(
                "The coach's profile and capacity", "getMyProfile", (200, _ref("Coach"), "Profile")
            ),
            "put": _coach_op(
                "Name, timezone, languages and topics (the level is the supervisor's)",
                "putMyProfile",
                (200, _ref("Coach"), "Profile"),
                (400, 422),
                body=_body(_ref("CoachProfileChange")),
            ),
        },
        "/me/capacity": {
            "put": _coach_op(
                "Coachees at once, sessions per week and per day, buffer minutes",
                "putMyCapacity",
                (200, _ref("Coach"), "Profile"),
                (400, 422),
                body=_body(_ref("CapacityChange")),
            )
        },
        "/me/availability": {
            "get": _coach_op(
                "Weekly availability and date exceptions",
                "getMyAvailability",
                (200, _ref("Availability"), "Availability"),
            ),
            "put": _coach_op(
                "Replace the weekly availability (in the coach's timezone)",
                "putMyAvailability",
                (200, _ref("Availability"), "Availability"),
                (400, 422),
                body=_body(_ref("WeeklyAvailability")),
            ),
        },
        "/me/availability/exceptions": {
            "post": _coach_op(
                "A date whose availability replaces the weekly pattern (a span, or none)",
                "addMyException",
                (201, _ref("Availability"), "Availability"),
                (400, 422),
                body=_body(_ref("DateException")),
            )
        },
        "/me/availability/exceptions/{exception_id}": {
            "delete": _coach_op(
                "Remove a date exception",
                "removeMyException",
                (200, _ref("Availability"), "Availability"),
                (404,),
                params=[EXCEPTION_ID],
            )
        },
        "/coaching-requests": {
            "post": {
                **_op(
                    "Ask for coaching (the private link is e-mailed to the coachee)",
                    "submitCoachingRequest",
                    (
                        201,
                        {
                            "type": "object",
                            "properties": {
                                "id": INT_ID,
                                "status": {"type": "string"},
                                "link_sent_to": {"type": "string"},
                            },
                        },
                        "The request is in the queue",
                    ),
                    (400, 422),
                    body=_body(_ref("NewCoachingRequest")),
                    public=True,
                ),
                "tags": ["coachee"],
            }
        },
        "/coaching-requests/status": {
            "get": _coachee_op(
                "The coachee's request: what they sent, waiting (with queue position), proposed or confirmed, "
                "sessions in their timezone",
                "getCoachingRequestStatus",
                status_ok,
                (401, 403),
            ),
            "patch": _coachee_op(
                "While waiting: change times, topics, languages, timezone or number of sessions (the place in the "
                "queue is kept; each field sent replaces the one stored)",
                "changeCoachingRequest",
                status_ok,
                (400, 401, 403, 409, 422),
                body=_body(_ref("RequestChange")),
            ),
        },
        "/coaching-requests/status/accept": {
            "post": _coachee_op("Accept the proposed coach and sessions", "acceptProposal", status_ok, (401, 403, 409))
        },
        "/coaching-requests/status/decline": {
            "post": _coachee_op(
                "Decline the proposal (sessions are cancelled)", "declineProposal", status_ok, (401, 403, 409)
            )
        },
        "/coaching-requests/status/cancel": {
            "post": _coachee_op("Cancel the request", "cancelCoachingRequest", status_ok, (401, 403, 409))
        },
        "/coaching-requests/status/sessions/{session_id}/cancel": {
            "post": _coachee_op(
                "Cancel one scheduled session; the others stand",
                "cancelCoachingSession",
                status_ok,
                (401, 403, 404, 409),
                params=[_path_id("session_id", "The session's id (from the status)")],
            )
        },
        "/coaching-requests/status/another-coach": {
            "post": _coachee_op(
                "Ask for a different coach: the engagement ends and the request waits again in its old place",
                "askForAnotherCoach",
                status_ok,
                (401, 403, 409),
            )
        },
    }


@lru_cache(maxsize=1)
def _query_parameters() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    document = openapi_document()
    return {
        (path, method.upper()): {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _value_problem(value: str, schema: dict[str, Any]) -> str | None:
    if "enum" in schema and value not in schema["enum"]:
        return f"must be one of {', '.join(schema['enum'])}"
    return None


def query_problems(rule: str, method: str, args: Mapping[str, str]) -> dict[str, str]:
    """What is wrong with a request's query parameters under the document: unknown names, values off their schema."""
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
    declared = _query_parameters().get((path, method.upper()), {})
    problems = {name: "is not a parameter here" for name in args if name not in declared}
    for name, schema in declared.items():
        if name in args and (problem := _value_problem(args[name], schema)):
            problems[name] = problem
    return problems
