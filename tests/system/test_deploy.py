"""The Kubernetes manifests in deploy/: valid against Kubernetes' own schemas (offline,
kubernetes-validate ships them), and consistent with the app and the image they run."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest
import yaml
from kubernetes_validate import utils as k8s

from app.settings import Settings
from support.paths import ROOT

DEPLOY = ROOT / "deploy"
# The oldest and the newest Kubernetes whose schemas kubernetes-validate ships.
VERSIONS = [k8s.all_versions()[0], k8s.latest_version()]
KSERVE = DEPLOY / "kserve" / "inferenceservice.yaml"


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kubernetes_manifests() -> list[Path]:
    return sorted(DEPLOY.glob("*.yaml"))


def resource(kind: str) -> dict:
    found = [doc for path in kubernetes_manifests() for doc in documents(path) if doc["kind"] == kind]
    assert len(found) == 1, f"{kind}: {len(found)} found"
    return found[0]


def dockerfile() -> dict[str, list[str]]:
    """The runtime stage's instructions, continuation lines joined: name -> arguments."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    runtime = text.split("\nFROM ")[-1]
    instructions: dict[str, list[str]] = {}
    for line in runtime.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, arguments = line.strip().partition(" ")
            instructions.setdefault(name.upper(), []).append(arguments.strip())
    return instructions


def image_environment() -> dict[str, str]:
    return dict(part.split("=", 1) for env in dockerfile()["ENV"] for part in shlex.split(env))


def only_container(pod: dict) -> dict:
    assert len(pod["containers"]) == 1, "one container per pod"
    return pod["containers"][0]


def environment(container: dict) -> dict[str, str]:
    """The container's variables given as values (not those from a Secret)."""
    return {item["name"]: item["value"] for item in container.get("env", []) if "value" in item}


def answers_probe(client, name: str, path: str) -> bool:
    """What the kubelet's GET gets from the app: liveness, 200; readiness, 200 or, while a
    model is missing, 503 (never a 404 or 405, which a wrong path or method would get)."""
    status = client.get(path).status_code
    return status == 200 or (name == "readinessProbe" and status == 503)


def container_port(container: dict, port: int | str) -> int:
    """A probe's or a Service's port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p.get("name") == port)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", kubernetes_manifests(), ids=lambda path: path.name)
def test_manifest_is_valid_kubernetes(path, version):
    docs = documents(path)
    assert docs
    for doc in docs:
        k8s.validate(doc, version, strict=True)  # strict: an unknown or misspelt field fails too


def test_the_deployment_runs_the_image_as_its_non_root_user_with_a_read_only_root():
    pod = resource("Deployment")["spec"]["template"]["spec"]
    container = only_container(pod)
    user, _, group = dockerfile()["USER"][-1].partition(":")
    assert user.isdigit(), "a numeric USER, so that Kubernetes can check runAsNonRoot"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (
        str(pod["securityContext"]["runAsUser"]) == user
        and str(pod["securityContext"]["runAsGroup"]) == group
    )
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    # Starlette spools multipart uploads over 1 MB to a temporary file: /tmp must be writable.
    tmp = next(mount["name"] for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp")
    assert any(volume["name"] == tmp and "emptyDir" in volume for volume in pod["volumes"])
    assert (
        set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
    )


def project_version() -> str:
    """The version in pyproject.toml, which the installed package's metadata must agree with."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    try:
        installed = metadata.version("digitpad")
    except metadata.PackageNotFoundError:
        return version
    assert installed == version, f"installed digitpad {installed}, pyproject.toml {version}: reinstall"
    return version


def images(node: object) -> list[str]:
    """Every container image a manifest names, wherever its pod spec is."""
    if isinstance(node, dict):
        found = [node["image"]] if isinstance(node.get("image"), str) else []
        return found + [image for value in node.values() for image in images(value)]
    if isinstance(node, list):
        return [image for item in node for image in images(item)]
    return []


def test_the_image_tag_is_the_project_version():
    version = project_version()
    named = {
        path.name: [i for doc in documents(path) for i in images(doc)]
        for path in [*kubernetes_manifests(), KSERVE]
    }
    deployment = resource("Deployment")["spec"]["template"]["spec"]
    [service] = documents(KSERVE)
    assert images(deployment) and images(service["spec"]["predictor"]), "a pod without an image"
    wrong = {
        name: image for name, found in named.items() for image in found if image != f"digitpad:{version}"
    }
    assert not wrong, f"not digitpad:{version}: {wrong}"
    # The commands that build and load the image, in the manifests' comments and the docs.
    pages = [*kubernetes_manifests(), KSERVE, ROOT / "docs" / "kubernetes.md"]
    tags = [
        tag.rstrip(".") for page in pages for tag in re.findall(r"\bdigitpad:([\w.-]+)", page.read_text())
    ]
    assert tags and set(tags) == {version}, tags


def test_one_worker_per_pod_on_the_port_the_image_and_the_app_use():
    container = only_container(resource("Deployment")["spec"]["template"]["spec"])
    assert environment(container)["DIGITPAD_WORKERS"] == "1"
    port = Settings.model_fields["port"].default
    assert dockerfile()["EXPOSE"] == [str(port)] and image_environment()["PORT"] == str(port)
    assert environment(container)["PORT"] == str(port)
    assert [p["containerPort"] for p in container["ports"]] == [port]
    assert json.loads(dockerfile()["CMD"][-1]) == [
        "python",
        "-m",
        "app.cli.serve",
    ]  # digitpad-serve, which reads PORT


def test_probes_ask_the_apps_health_routes_on_its_port(client):
    container = only_container(resource("Deployment")["spec"]["template"]["spec"])
    probes = {
        name: container[name]["httpGet"] for name in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["livenessProbe"]["path"] == probes["startupProbe"]["path"] == "/health"
    assert probes["readinessProbe"]["path"] == "/ready"
    for name, probe in probes.items():
        assert answers_probe(client, name, probe["path"])
        assert container_port(container, probe["port"]) == Settings.model_fields["port"].default


def test_service_hpa_and_budget_select_the_deployments_pods():
    deployment = resource("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    container = only_container(deployment["spec"]["template"]["spec"])
    service = resource("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert all(container_port(container, port["targetPort"]) for port in service["spec"]["ports"])
    assert resource("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = resource("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    hpa = resource("HorizontalPodAutoscaler")["spec"]
    # The budget must leave a pod to evict, or a node drain waits for ever.
    assert hpa["minReplicas"] > resource("PodDisruptionBudget")["spec"]["minAvailable"]


def test_every_pod_keeps_examples_in_the_database_the_secret_names():
    """Pods share no disk: the examples' database comes from the Secret in deploy/, as a URL
    the service takes (PostgreSQL through psycopg, which the image installs)."""
    deployment = resource("Deployment")
    env = {item["name"]: item for item in only_container(deployment["spec"]["template"]["spec"])["env"]}
    reference = env["DIGITPAD_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    secret = resource("Secret")
    assert secret["metadata"]["name"] == reference["name"] and reference["key"] in secret["stringData"]
    url = Settings(database_url=secret["stringData"][reference["key"]]).database()
    assert url.startswith("postgresql+psycopg://")
    assert any(
        d.startswith("psycopg")
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )


LEARN = DEPLOY / "learn" / "finetune-job.yaml"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_finetune_job_is_valid_kubernetes(version):
    for document in documents(LEARN):
        k8s.validate(document, version, strict=True)


def test_the_finetune_job_exports_trains_and_proposes_with_the_commands_and_secret_the_service_has():
    [job] = documents(LEARN)
    pod = job["spec"]["template"]["spec"]
    container = only_container(pod)
    assert container["image"] == f"digitpad-train:{project_version()}"
    script = " ".join(container["args"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for command in ("digitpad-data export", "digitpad-train", "digitpad-models add"):
        assert command in script and command.split()[0] in scripts
    assert "--extra-data" in script and "--init-from" in script
    env = {item["name"]: item for item in container["env"]}
    reference = env["DIGITPAD_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert reference["name"] == resource("Secret")["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert (ROOT / "Dockerfile.train").is_file()


# KServe's InferenceService is a custom resource: Kubernetes' schemas do not know it, and
# KServe's CRD ships on no package index. What is checked offline: its structure (this
# schema, after KServe's v1beta1 API), and its predictor, a Kubernetes PodSpec with
# KServe's scaling fields beside it, against Kubernetes' own PodSpec schema.
KSERVE_FIELDS = {
    "minReplicas",
    "maxReplicas",
    "scaleMetric",
    "scaleTarget",
    "containerConcurrency",
    "timeout",
}
INFERENCE_SERVICE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "serving.kserve.io/v1beta1"},
        "kind": {"const": "InferenceService"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$"}},
        },
        "spec": {
            "type": "object",
            "required": ["predictor"],
            "additionalProperties": False,
            "properties": {
                "predictor": {
                    "type": "object",
                    "required": ["containers"],
                    "properties": {
                        "minReplicas": {"type": "integer", "minimum": 0},
                        "maxReplicas": {"type": "integer", "minimum": 0},
                        "scaleMetric": {"enum": ["cpu", "memory", "concurrency", "rps"]},
                        "scaleTarget": {"type": "integer", "minimum": 1},
                        "containers": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["name", "image"],
                                "properties": {
                                    "env": {
                                        "type": "array",
                                        "contains": {
                                            "properties": {
                                                "name": {"const": "PROTOCOL"},
                                                "value": {"enum": ["v1", "v2"]},
                                            },
                                            "required": ["name", "value"],
                                        },
                                    }
                                },
                            },
                        },
                    },
                }
            },
        },
    },
}


def pod_spec_schema(version: str) -> dict:
    """Kubernetes' strict PodSpec schema, with its references resolved from kubernetes-validate's files."""
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    definitions = k8s.schema_contents(f"{folder}/_definitions.json", version)
    return {"$ref": "#/$defs/io.k8s.api.core.v1.PodSpec", "$defs": definitions["$defs"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_kserve_inference_service_is_well_formed(version):
    [service] = documents(KSERVE)
    jsonschema.validate(service, INFERENCE_SERVICE)
    predictor = service["spec"]["predictor"]
    pod = {key: value for key, value in predictor.items() if key not in KSERVE_FIELDS}
    jsonschema.Draft202012Validator(pod_spec_schema(version)).validate(pod)


def test_the_kserve_predictor_serves_the_open_inference_protocol_on_the_apps_port(client):
    [service] = documents(KSERVE)
    container = only_container(service["spec"]["predictor"])
    assert container["name"] == "kserve-container"  # the one KServe routes to
    assert environment(container)["PROTOCOL"] == "v2"
    port = Settings.model_fields["port"].default
    assert [p["containerPort"] for p in container["ports"]] == [port] and environment(container)[
        "PORT"
    ] == str(port)
    assert environment(container)["DIGITPAD_WORKERS"] == "1"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert any(mount["mountPath"] == "/tmp" for mount in container["volumeMounts"])
    for name, path in [
        ("startupProbe", "/v2/health/live"),
        ("livenessProbe", "/v2/health/live"),
        ("readinessProbe", "/v2/health/ready"),
    ]:
        probe = container[name]["httpGet"]
        assert probe["path"] == path and answers_probe(client, name, path)
        assert container_port(container, probe["port"]) == port
