"""Schemathesis fuzzes every operation from the app's own OpenAPI schema: whatever
it sends, the answer is a documented status with a body matching its schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.classifier import Classifier
from app.settings import Settings
from app.web.main import create_app

# Schemathesis runs the app's lifespan once per operation: the models are loaded once, here.
SETTINGS = Settings()
app = create_app(
    SETTINGS, [Classifier.load(name, folder) for name, folder in SETTINGS.model_folders().items()]
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_request_gets_a_documented_answer(case):
    case.call_and_validate(checks=CHECKS)
