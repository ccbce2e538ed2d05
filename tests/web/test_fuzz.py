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

# The schema, from an app that is made and never started: collecting the tests loads no model.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def app():
    # Schemathesis runs the app's lifespan for every call: the models are loaded once, here.
    settings = Settings()
    return create_app(
        settings, [Classifier.load(name, folder) for name, folder in settings.model_folders().items()]
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_request_gets_a_documented_answer(case, app):
    case.call_and_validate(app=app, checks=CHECKS)
