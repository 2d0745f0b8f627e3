"""Schemathesis over every operation of /api/v1/openapi.json, as each kind of caller.

`fuzz_api` drives schemathesis's generated cases (valid and invalid data) through the WSGI
app with every built-in check on (server errors, status codes, content types, headers,
response schemas, negative-data rejection, positive-data acceptance, ...) and returns what
it ran and what failed, so a test can demand zero findings and a long run can report its
figures (docs/hostile-input.md). `python -m tests.web.api_fuzz --examples 200` runs the
long one.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

# Business rules the schema cannot say (a topic the programme offers, a known timezone, a
# date inside the horizon, an id that exists) are refused with 422 naming the field: a
# schema-valid body may get that answer, and a conflicting state 409.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
        }
    }
)


@dataclass
class FuzzReport:
    cases: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)

    def add(self, other: FuzzReport) -> None:
        self.cases += other.cases
        self.seconds += other.seconds
        self.statuses.update(other.statuses)
        self.findings.extend(other.findings)


def fuzz_api(
    app: Flask,
    roles: Mapping[str, Mapping[str, str]],
    *,
    examples: int,
    examples_without_account: int | None = None,
    seed: int = 0,
) -> FuzzReport:
    """Run `examples` valid and `examples` invalid cases per operation for each role's headers.

    Coachees and anonymous callers reach few operations past their credentials, so they may
    be given fewer (`examples_without_account`).
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    report = FuzzReport()
    started = time.perf_counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    for role, headers in roles.items():
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                count = (
                    examples
                    if "Authorization" in headers or examples_without_account is None
                    else examples_without_account
                )
                _fuzz_operation(operation, mode, role, dict(headers), count, seed, report)
    report.seconds = time.perf_counter() - started
    return report


def _fuzz_operation(operation, mode, role, headers, examples, seed, report):  # type: ignore[no-untyped-def]
    label = f"{role} {mode.value} {operation.label}"
    seen: set[str] = set()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed == 0,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        report.cases += 1
        try:
            response = case.call_and_validate(headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # failed checks: keep going, report each kind once
            first_line = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            if first_line not in seen:
                seen.add(first_line)
                report.findings.append(f"{label}: {str(exc).strip()[:1500]}")
            return
        report.statuses[response.status_code] += 1

    try:
        run()
    except Exception as exc:  # generation itself failed (an unsatisfiable schema): a finding too
        report.findings.append(f"{label}: could not generate cases: {exc}")
