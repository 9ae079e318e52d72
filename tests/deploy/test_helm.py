"""The Helm chart of a site instance, rendered for every level and checked offline.

deploy/helm/install-helm.sh provides the pinned helm (built once per machine from the Go module
proxy, minutes when cold; reused afterwards). The chart is linted and rendered for the province,
city and county values; every core Kubernetes object is validated with kubernetes-validate in
strict mode, ServiceMonitors against a small schema of our own, and the results are asserted on.
No cluster and no network are needed once helm is built.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HELM_DIR = REPO / "deploy" / "helm"
CHART = HELM_DIR / "govhall"
INSTALL_HELM = HELM_DIR / "install-helm.sh"

# The Kubernetes version the chart is rendered and validated for: the newest that
# kubernetes-validate ships schemas for (and the default of the pinned helm).
KUBE_VERSION = "1.37.0"
RELEASE = "govhall"
LEVELS = ("province", "city", "county")
SERVICES = (
    "identity",
    "catalogue",
    "search",
    "cases",
    "consult",
    "appointments",
    "licences",
    "crossprovince",
    "gateway",
)
GRPC_SERVICES = (
    "identity",
    "catalogue",
    "search",
    "cases",
    "consult",
    "appointments",
    "licences",
    "crossprovince",
)
CORE_KINDS = {
    "ConfigMap", "Deployment", "Service", "PersistentVolumeClaim", "Job", "NetworkPolicy",
    "PodDisruptionBudget", "Pod",
}  # fmt: skip
# The province and the city scale gateway, search and cases on CPU; the county does not.
AUTOSCALED = ("cases", "gateway", "search")
# Where cases keeps uploaded materials and notices (services.cases.files.mountPath).
CASES_FILES = "/var/lib/govhall/cases-files"
# Where consult keeps letter attachments (services.consult.files.mountPath).
CONSULT_FILES = "/var/lib/govhall/consult-files"
# Where licences keeps drive files and licence renderings (services.licences.files.mountPath).
LICENCES_FILES = "/var/lib/govhall/licences-files"
# Objects of the instance rather than of one service.
SHARED_OBJECTS = {f"{RELEASE}-nats-leafnodes", f"{RELEASE}-trust-bundle"}
# Where every pod finds the trust bundle and its own caller-assertion key (whole directories).
TRUST_BUNDLE_DIR = "/etc/govhall/trust-bundle"
TRUST_KEY_DIR = "/etc/govhall/trust-key"
# The Redis ACL user of each service: the gateway and identity have their own, the rest share one.
REDIS_USERS = {
    "gateway": "gateway",
    "identity": "identity",
    "catalogue": "services",
    "search": "services",
    "cases": "services",
    "consult": "services",
    "appointments": "services",
    "licences": "services",
    "crossprovince": "services",
}
# Environment variables that hold a credential: they must all come from a secretKeyRef.
CREDENTIAL_ENV = re.compile(r"(PASSWORD|_USER|_USERNAME|ADMIN_TOKEN|DATA_KEY)$")

# A cold helm build takes minutes on two cores; it happens inside the first test's setup.
pytestmark = pytest.mark.timeout(1800)

# kubernetes-validate has no schema for this CRD: the parts the Prometheus Operator needs.
SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace", "labels"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"},
                "namespace": {"type": "string", "minLength": 1},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": {
                    "type": "object",
                    "required": ["matchLabels"],
                    "properties": {
                        "matchLabels": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "namespaceSelector": {
                    "type": "object",
                    "properties": {"matchNames": {"type": "array", "items": {"type": "string"}}},
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["port"],
                        "properties": {
                            "port": {"type": "string", "minLength": 1},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        },
                    },
                },
            },
        },
    },
}


# --- helm ------------------------------------------------------------------------------------


def pinned_helm_version() -> str:
    match = re.search(r'^readonly HELM_VERSION="(v3\.[0-9]+\.[0-9]+)"$', INSTALL_HELM.read_text(), re.M)
    assert match, "install-helm.sh must pin HELM_VERSION to an exact v3 release"
    return match.group(1)


def run_helm(helm: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, env=env, timeout=120)


def values_file(level: str) -> Path:
    return CHART / f"values-{level}.yaml"


def template_args(level: str, *extra: str) -> list[str]:
    return [
        "template", RELEASE, str(CHART),
        "--namespace", f"govhall-{load_values(level)['site']['code']}",
        "--kube-version", KUBE_VERSION,
        "--values", str(values_file(level)),
        *extra,
    ]  # fmt: skip


def load_values(level: str) -> dict[str, Any]:
    return yaml.safe_load(values_file(level).read_text(encoding="utf-8"))


def load_values_defaults() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))


# --- the rendered instances --------------------------------------------------------------------


@dataclass
class Instance:
    level: str
    values: dict[str, Any]
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def by_component(self, kind: str) -> dict[str, dict[str, Any]]:
        """The objects of one kind that belong to the services, by service name."""
        found: dict[str, dict[str, Any]] = {}
        for obj in self.of_kind(kind):
            if obj["metadata"]["name"] in SHARED_OBJECTS:
                continue
            component = obj["metadata"]["labels"]["app.kubernetes.io/component"]
            if component.startswith("dashboard-"):  # Grafana dashboards (tests/deploy/test_dashboards.py)
                continue
            assert component not in found, f"two {kind}s for {component}"
            found[component] = obj
        return found

    def named(self, kind: str, name: str) -> dict[str, Any]:
        matches = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.level}: expected one {kind}/{name}, found {len(matches)}"
        return matches[0]

    def pod(self, service: str) -> dict[str, Any]:
        pod: dict[str, Any] = self.by_component("Deployment")[service]["spec"]["template"]["spec"]
        return pod

    def container(self, service: str) -> dict[str, Any]:
        (container,) = self.pod(service)["containers"]
        return container

    def volume_at(self, service: str, mount_path: str) -> dict[str, Any]:
        """The pod volume mounted at mount_path in the service's container."""
        mounts = {m["mountPath"]: m["name"] for m in self.container(service)["volumeMounts"]}
        volumes = {v["name"]: v for v in self.pod(service)["volumes"]}
        return volumes[mounts[mount_path]]


def claims(instance: Instance) -> dict[str, dict[str, Any]]:
    """The PersistentVolumeClaims the chart makes, by the service they belong to."""
    found: dict[str, dict[str, Any]] = {}
    for claim in instance.of_kind("PersistentVolumeClaim"):
        found[claim["metadata"]["labels"]["app.kubernetes.io/component"]] = claim
    return found


def render(helm: Path, helm_env: dict[str, str], level: str, *extra: str) -> Instance:
    proc = run_helm(helm, helm_env, *template_args(level, *extra))
    assert proc.returncode == 0, f"helm template ({level} {' '.join(extra)}) failed:\n{proc.stderr}"
    objects = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
    assert objects, f"helm template ({level}) rendered nothing"
    return Instance(level, load_values(level), objects)


def validation_errors(objects: list[dict[str, Any]]) -> list[str]:
    """kubernetes-validate, strict, on every core object (the Prometheus Operator's kinds have no
    schema there)."""
    errors = []
    for obj in objects:
        if obj["kind"] in ("ServiceMonitor", "PrometheusRule"):
            continue
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{where}: {'.'.join(map(str, e.path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(f"{where}: {e.message}")
    return errors


@pytest.fixture(scope="session")
def instances(helm: Path, helm_env: dict[str, str]) -> dict[str, Instance]:
    return {level: render(helm, helm_env, level) for level in LEVELS}


@pytest.fixture(params=LEVELS)
def instance(request: pytest.FixtureRequest, instances: dict[str, Instance]) -> Instance:
    return instances[request.param]


# --- quantities --------------------------------------------------------------------------------

_SUFFIXES = {
    "m": Decimal("0.001"), "": Decimal(1), "k": Decimal(10) ** 3, "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9, "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
}  # fmt: skip


def quantity(value: str | int | float) -> Decimal:
    match = re.fullmatch(r"([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", str(value))
    assert match, f"not a Kubernetes quantity: {value!r}"
    return Decimal(match.group(1)) * _SUFFIXES[match.group(2) or ""]


# --- tests -------------------------------------------------------------------------------------


def test_install_script_is_pinned_and_idempotent(helm: Path, helm_env: dict[str, str]) -> None:
    version = run_helm(helm, helm_env, "version", "--template", "{{.Version}}")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == pinned_helm_version()

    again = subprocess.run(["bash", str(INSTALL_HELM)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines() == [str(helm)], "stdout must be the path and nothing else"
    assert "building" not in again.stderr, "a second run must reuse the binary, not rebuild it"


@pytest.mark.parametrize("level", [None, *LEVELS], ids=["defaults", *LEVELS])
def test_helm_lint_strict(helm: Path, helm_env: dict[str, str], level: str | None) -> None:
    args = ["lint", "--strict", "--kube-version", KUBE_VERSION, str(CHART)]
    if level:
        args += ["--values", str(values_file(level))]
    proc = run_helm(helm, helm_env, *args)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "0 chart(s) failed" in proc.stdout


def test_kubernetes_validate_knows_the_target_version() -> None:
    versions = {kubernetes_validate.utils.major_minor(v) for v in kubernetes_validate.utils.all_versions()}
    assert kubernetes_validate.utils.major_minor(KUBE_VERSION) in versions


def test_core_objects_validate_strictly(instance: Instance) -> None:
    kinds = {o["kind"] for o in instance.objects}
    hpa = set() if instance.level == "county" else {"HorizontalPodAutoscaler"}
    assert kinds == CORE_KINDS | hpa | {"ServiceMonitor", "PrometheusRule"}, f"unexpected kinds: {kinds}"
    errors = validation_errors(instance.objects)
    assert not errors, "\n".join(errors)


def test_strict_validation_catches_a_typo(instances: dict[str, Instance]) -> None:
    """Guards the test above: strict mode must reject a field Kubernetes does not have."""
    deployment = copy.deepcopy(instances["county"].by_component("Deployment")["catalogue"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSION, strict=True)


def test_every_instance_runs_every_service(instance: Instance) -> None:
    # What `make image` builds (deploy/image/build.sh).
    image = f"localhost/govhall:{yaml.safe_load((CHART / 'Chart.yaml').read_text())['appVersion']}"
    for kind in ("Deployment", "Service", "ConfigMap", "ServiceMonitor"):
        assert set(instance.by_component(kind)) == set(SERVICES), f"{instance.level}: {kind}s"
    for service, deployment in instance.by_component("Deployment").items():
        assert deployment["metadata"]["name"] == f"{RELEASE}-{service}"
        # Where an HPA owns the count, the Deployment states none and the HPA starts from replicas.
        hpa = instance.by_component("HorizontalPodAutoscaler").get(service)
        replicas = hpa["spec"]["minReplicas"] if hpa else deployment["spec"]["replicas"]
        assert replicas == instance.values["services"][service]["replicas"]
        container = instance.container(service)
        assert container["image"] == image
        assert container["command"] == ["python", "-m", f"govhall.{service}"]


def test_services_select_their_pods(instance: Instance) -> None:
    deployments = instance.by_component("Deployment")
    for service, svc in instance.by_component("Service").items():
        template = deployments[service]["spec"]["template"]
        selector = svc["spec"]["selector"]
        assert selector.items() <= template["metadata"]["labels"].items()
        assert deployments[service]["spec"]["selector"]["matchLabels"] == selector
        # No other Deployment's pods answer this Service.
        for other, deployment in deployments.items():
            if other != service:
                assert not selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        container_ports = {p["name"]: p["containerPort"] for p in instance.container(service)["ports"]}
        for port in svc["spec"]["ports"]:
            assert container_ports[port["targetPort"]] == port["port"]


def test_ports(instance: Instance) -> None:
    for service in GRPC_SERVICES:
        ports = {p["name"]: p["containerPort"] for p in instance.container(service)["ports"]}
        # crossprovince's partner endpoint has a port of its own (mutual TLS, partners only).
        partner = {"partner": 50059} if service == "crossprovince" else {}
        assert ports == {"grpc": 50051, "metrics": 9464, **partner}
    gateway_ports = {p["name"]: p["containerPort"] for p in instance.container("gateway")["ports"]}
    # Metrics apart from the API the ingress exposes.
    assert gateway_ports == {"http": 8000, "metrics": 9464}


def test_configmaps_carry_the_site_and_back_ends(instance: Instance) -> None:
    site = instance.values["site"]
    for service, configmap in instance.by_component("ConfigMap").items():
        data = configmap["data"]
        assert data["GOVHALL_SITE_CODE"] == site["code"]
        assert data["GOVHALL_SITE_LEVEL"] == site["level"] == instance.level
        for key in ("GOVHALL_NATS_URL", "GOVHALL_ELASTICSEARCH_URL", "GOVHALL_REDIS_URL"):
            assert data[key], f"{instance.level}/{service}: {key} is empty"
        assert all(isinstance(v, str) for v in data.values()), "ConfigMap values must be strings"
        # Credentials never sit in a ConfigMap: the database URL names the role, not its password.
        for key, value in data.items():
            assert not CREDENTIAL_ENV.search(key), f"{service}: {key} belongs in a Secret"
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{service}: {key} carries credentials"
        # The trust files are where the pod mounts them.
        assert data["GOVHALL_TRUST_BUNDLE_FILE"] == f"{TRUST_BUNDLE_DIR}/bundle.json"
        assert data["GOVHALL_TRUST_KEY_FILE"] == f"{TRUST_KEY_DIR}/{service}.key"
        # The Deployment takes its environment from this ConfigMap.
        env_from = instance.container(service)["envFrom"]
        assert {"configMapRef": {"name": configmap["metadata"]["name"]}} in env_from
    for service in GRPC_SERVICES:
        data = instance.by_component("ConfigMap")[service]["data"]
        prefix = f"GOVHALL_{service.upper()}_"
        assert data[prefix + "GRPC_ADDRESS"].endswith(":50051")
        assert data[prefix + "METRICS_PORT"] == "9464"
    gateway = instance.by_component("ConfigMap")["gateway"]["data"]
    assert gateway["GOVHALL_GATEWAY_HOST"] == "0.0.0.0"
    assert gateway["GOVHALL_GATEWAY_PORT"] == "8000"
    assert gateway["GOVHALL_GATEWAY_METRICS_PORT"] == "9464"
    # X-Forwarded-For is believed from the ingress controller's networks only.
    assert gateway["GOVHALL_GATEWAY_TRUSTED_PROXIES"] == "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
    assert not any(
        k.endswith("TRUSTED_PROXIES")
        for c, m in instance.by_component("ConfigMap").items()
        if c != "gateway"
        for k in m["data"]
    )
    assert gateway["GOVHALL_GATEWAY_CATALOGUE_ADDRESS"] == f"{RELEASE}-catalogue:50051"
    assert gateway["GOVHALL_GATEWAY_SEARCH_ADDRESS"] == f"{RELEASE}-search:50051"
    assert gateway["GOVHALL_GATEWAY_IDENTITY_ADDRESS"] == f"{RELEASE}-identity:50051"
    assert gateway["GOVHALL_GATEWAY_CASES_ADDRESS"] == f"{RELEASE}-cases:50051"
    assert gateway["GOVHALL_GATEWAY_CONSULT_ADDRESS"] == f"{RELEASE}-consult:50051"
    assert gateway["GOVHALL_GATEWAY_APPOINTMENTS_ADDRESS"] == f"{RELEASE}-appointments:50051"
    assert gateway["GOVHALL_GATEWAY_LICENCES_ADDRESS"] == f"{RELEASE}-licences:50051"
    # Identity writes revoked sessions under the prefix the gateway reads them from.
    identity = instance.by_component("ConfigMap")["identity"]["data"]
    assert identity["GOVHALL_IDENTITY_KV_NAMESPACE"] == gateway["GOVHALL_GATEWAY_KV_NAMESPACE"] != ""
    assert identity["GOVHALL_REDIS_URL"] == gateway["GOVHALL_REDIS_URL"]
    # Identity asks the catalogue for a site its copy of the site tree has not heard of yet.
    assert identity["GOVHALL_IDENTITY_CATALOGUE_ADDRESS"] == f"{RELEASE}-catalogue:50051"
    # Search counts hot words in the same Redis, and reads the catalogue's export to reindex.
    search = instance.by_component("ConfigMap")["search"]["data"]
    assert search["GOVHALL_SEARCH_KV_NAMESPACE"] == gateway["GOVHALL_GATEWAY_KV_NAMESPACE"]
    assert search["GOVHALL_SEARCH_CATALOGUE_ADDRESS"] == f"{RELEASE}-catalogue:50051"
    # Catalogue and cases check every call's session against the sessions identity revokes.
    catalogue = instance.by_component("ConfigMap")["catalogue"]["data"]
    assert catalogue["GOVHALL_CATALOGUE_KV_NAMESPACE"] == gateway["GOVHALL_GATEWAY_KV_NAMESPACE"]
    assert catalogue["GOVHALL_REDIS_URL"] == gateway["GOVHALL_REDIS_URL"]
    # Cases reads matters from the catalogue and agents from identity, and keeps its files on the
    # volume mounted at FILES_DIR (not under GOVHALL_VAR_DIR, the emptyDir).
    cases = instance.by_component("ConfigMap")["cases"]["data"]
    assert cases["GOVHALL_CASES_CATALOGUE_ADDRESS"] == f"{RELEASE}-catalogue:50051"
    assert cases["GOVHALL_CASES_IDENTITY_ADDRESS"] == f"{RELEASE}-identity:50051"
    assert cases["GOVHALL_CASES_FILES_DIR"] == CASES_FILES
    assert cases["GOVHALL_CASES_KV_NAMESPACE"] == gateway["GOVHALL_GATEWAY_KV_NAMESPACE"]
    # Worker processes per pod (issue 20): as the values say, none where a service states none.
    for service in GRPC_SERVICES:
        data = instance.by_component("ConfigMap")[service]["data"]
        workers = instance.values["services"].get(service, {}).get("workers") or load_values_defaults()[
            "services"
        ][service].get("workers")
        assert data.get(f"GOVHALL_{service.upper()}_WORKERS") == (str(workers) if workers else None)
    assert cases["GOVHALL_CASES_WORKERS"] == ("2" if instance.level == "province" else "1")
    assert cases["GOVHALL_REDIS_URL"] == gateway["GOVHALL_REDIS_URL"]
    # Consult reads matters' names from the catalogue and, to send an SMS, mobiles from identity.
    consult = instance.by_component("ConfigMap")["consult"]["data"]
    assert consult["GOVHALL_CONSULT_CATALOGUE_ADDRESS"] == f"{RELEASE}-catalogue:50051"
    assert consult["GOVHALL_CONSULT_IDENTITY_ADDRESS"] == f"{RELEASE}-identity:50051"
    assert consult["GOVHALL_CONSULT_KV_NAMESPACE"] == gateway["GOVHALL_GATEWAY_KV_NAMESPACE"]
    # Appointments reads matters and sites from the catalogue and contact details from identity.
    appointments = instance.by_component("ConfigMap")["appointments"]["data"]
    assert appointments["GOVHALL_APPOINTMENTS_CATALOGUE_ADDRESS"] == f"{RELEASE}-catalogue:50051"
    assert appointments["GOVHALL_APPOINTMENTS_IDENTITY_ADDRESS"] == f"{RELEASE}-identity:50051"
    assert appointments["GOVHALL_APPOINTMENTS_KV_NAMESPACE"] == gateway["GOVHALL_GATEWAY_KV_NAMESPACE"]
    # Licences reads matters and issuers, holders, and concluded cases.
    licences = instance.by_component("ConfigMap")["licences"]["data"]
    assert licences["GOVHALL_LICENCES_CATALOGUE_ADDRESS"] == f"{RELEASE}-catalogue:50051"
    assert licences["GOVHALL_LICENCES_IDENTITY_ADDRESS"] == f"{RELEASE}-identity:50051"
    assert licences["GOVHALL_LICENCES_CASES_ADDRESS"] == f"{RELEASE}-cases:50051"
    assert licences["GOVHALL_LICENCES_KV_NAMESPACE"] == gateway["GOVHALL_GATEWAY_KV_NAMESPACE"]
    # Consult keeps letter attachments on its own volume, licences drive files on its own; no
    # other service has one.
    assert consult["GOVHALL_CONSULT_FILES_DIR"] == CONSULT_FILES
    assert licences["GOVHALL_LICENCES_FILES_DIR"] == LICENCES_FILES
    for service, configmap in instance.by_component("ConfigMap").items():
        if service not in ("cases", "consult", "licences"):
            assert not any(key.endswith("_FILES_DIR") for key in configmap["data"]), service


def test_secrets_come_from_existing_secrets(instance: Instance) -> None:
    for service in ("identity", "catalogue", "search", "cases", "consult", "appointments", "licences"):
        # Its own role on its own database; the role's password from a Secret.
        data = instance.by_component("ConfigMap")[service]["data"]
        url = data[f"GOVHALL_{service.upper()}_DATABASE_URL"]
        assert url == f"postgresql+asyncpg://govhall_{service}@postgresql:5432/govhall_{service}"
        env = {e["name"]: e for e in instance.container(service)["env"]}
        ref = env[f"GOVHALL_{service.upper()}_DATABASE_PASSWORD"]
        assert "value" not in ref
        assert ref["valueFrom"]["secretKeyRef"] == {"name": f"govhall-{service}-db", "key": "password"}
    for service in ("identity", "cases", "consult", "appointments", "licences"):
        env = {e["name"]: e for e in instance.container(service)["env"]}
        data_key = env[f"GOVHALL_{service.upper()}_DATA_KEY"]
        assert "value" not in data_key
        # Not optional: without the Secret the pod must not start (the service would make up a key).
        assert data_key["valueFrom"]["secretKeyRef"] == {"name": f"govhall-{service}-data-key", "key": "key"}
    gateway = {e["name"]: e for e in instance.container("gateway")["env"]}
    assert not any("DATABASE" in name for name in gateway), "the gateway keeps nothing durable"
    assert not any("DATABASE" in k for k in instance.by_component("ConfigMap")["gateway"]["data"])
    admin = gateway["GOVHALL_GATEWAY_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert admin["optional"] is True, "no admin Secret must mean no admin API, not a pod that won't start"
    # The chart references Secrets; it never creates one.
    assert not instance.of_kind("Secret")


def test_the_partner_port_is_reached_only_through_the_partner_ingress(instance: Instance) -> None:
    service = instance.by_component("Service")["crossprovince"]
    assert {
        "name": "partner",
        "port": 50059,
        "targetPort": "partner",
        "protocol": "TCP",
        "appProtocol": "grpc",
    } in (service["spec"]["ports"])
    [policy] = [
        p
        for p in instance.of_kind("NetworkPolicy")
        if p["metadata"]["name"].endswith("crossprovince-partner")
    ]
    assert policy["spec"]["podSelector"]["matchLabels"] == service["spec"]["selector"]
    rules = policy["spec"]["ingress"]
    partner_rules = [r for r in rules if any(p["port"] == "partner" for p in r["ports"])]
    # One rule opens the partner port, and only to the peers the values name; no rule opens it to all.
    assert len(partner_rules) == 1
    assert (
        partner_rules[0]["from"]
        == load_values_defaults()["services"]["crossprovince"]["partner"]["ingressFrom"]
    )
    assert all(r.get("from") for r in partner_rules)
    # Certificates and the signing key from Secrets the chart does not make; their paths in the ConfigMap.
    volumes = {
        v["name"]: v
        for v in instance.by_component("Deployment")["crossprovince"]["spec"]["template"]["spec"]["volumes"]
    }
    assert volumes["partner-tls"]["secret"]["secretName"] == "govhall-crossprovince-tls"
    assert volumes["partner-client"]["secret"]["secretName"] == "govhall-crossprovince-client-tls"
    assert volumes["partner-signing"]["secret"]["secretName"] == "govhall-crossprovince-signing"
    data = instance.by_component("ConfigMap")["crossprovince"]["data"]
    assert data["GOVHALL_CROSSPROVINCE_PARTNER_PORT"] == "50059"
    assert data["GOVHALL_CROSSPROVINCE_TLS_CERT_FILE"] == "/etc/govhall/partner/tls/tls.crt"
    assert data["GOVHALL_CROSSPROVINCE_SIGNING_KEY_FILE"] == "/etc/govhall/partner/signing/signing.key"


def test_probes(instance: Instance) -> None:
    for service in GRPC_SERVICES:
        container = instance.container(service)
        # Liveness asks the kit's always-SERVING "liveness" entry; readiness the overall status.
        assert container["livenessProbe"]["grpc"] == {"port": 50051, "service": "liveness"}, service
        assert container["readinessProbe"]["grpc"] == {"port": 50051}, service
    gateway = instance.container("gateway")
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    for service in SERVICES:
        container = instance.container(service)
        # Liveness is more patient than readiness: a dependency outage should not restart pods.
        assert (
            container["livenessProbe"]["failureThreshold"] > container["readinessProbe"]["failureThreshold"]
        )


def test_pods_are_hardened(instance: Instance) -> None:
    for service, deployment in instance.by_component("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        container = instance.container(service)
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["runAsNonRoot"] is True
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}
        # The one writable place: /tmp, an emptyDir; and cases', consult's and licences' files volumes. The
        # trust files, and crossprovince's partner certificates, signing key and partners, are read-only.
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]
        trust = {TRUST_BUNDLE_DIR, TRUST_KEY_DIR}
        if service == "crossprovince":
            trust |= {f"/etc/govhall/partner/{d}" for d in ("tls", "client", "signing", "config")}
        files = {"cases": {CASES_FILES}, "consult": {CONSULT_FILES}, "licences": {LICENCES_FILES}}.get(
            service, set()
        )
        assert set(mounts) == {"/tmp"} | files | trust, service
        for mount in container["volumeMounts"]:
            assert mount.get("readOnly", False) is (mount["mountPath"] in trust), f"{service}: {mount}"
        assert len(volumes) == len(mounts), f"{service}: a volume nothing mounts"
        assert container["resources"]["requests"] and container["resources"]["limits"]


def test_service_monitors_select_their_service(instance: Instance) -> None:
    validator = jsonschema.Draft202012Validator(SERVICE_MONITOR_SCHEMA)
    services = instance.of_kind("Service")
    for component, monitor in instance.by_component("ServiceMonitor").items():
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(monitor)]
        assert not errors, f"{monitor['metadata']['name']}: {errors}"
        namespace = monitor["metadata"]["namespace"]
        assert monitor["spec"]["namespaceSelector"]["matchNames"] == [namespace]
        match = monitor["spec"]["selector"]["matchLabels"]
        selected = [
            s for s in services
            if s["metadata"]["namespace"] == namespace and match.items() <= s["metadata"]["labels"].items()
        ]  # fmt: skip
        assert [s["metadata"]["name"] for s in selected] == [f"{RELEASE}-{component}"]
        ports = {p["name"]: p["port"] for p in selected[0]["spec"]["ports"]}
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics"
        assert endpoint["port"] == "metrics" and ports[endpoint["port"]] == 9464


def test_county_is_smaller_than_province(instances: dict[str, Instance]) -> None:
    province, county = instances["province"], instances["county"]
    for service in SERVICES:
        small = county.container(service)["resources"]
        large = province.container(service)["resources"]
        for resource in ("cpu", "memory"):
            assert quantity(small["requests"][resource]) < quantity(large["requests"][resource]), (
                f"{service} {resource} request"
            )
            assert quantity(small["limits"][resource]) <= quantity(large["limits"][resource])
        assert _least_replicas(county, service) < _least_replicas(province, service), service


def _least_replicas(instance: Instance, service: str) -> int:
    """The Deployment's replicas, or its HPA's minReplicas where one owns the count."""
    hpa = instance.by_component("HorizontalPodAutoscaler").get(service)
    count: int = (
        hpa["spec"]["minReplicas"]
        if hpa
        else instance.by_component("Deployment")[service]["spec"]["replicas"]
    )
    return count


def test_requests_fit_within_limits(instance: Instance) -> None:
    for service in SERVICES:
        resources = instance.container(service)["resources"]
        for resource in ("cpu", "memory"):
            assert quantity(resources["requests"][resource]) <= quantity(resources["limits"][resource])


# --- cases' files volume ------------------------------------------------------------------------


def test_cases_files_claim(instance: Instance) -> None:
    files = {
        **load_values_defaults()["services"]["cases"]["files"],
        **instance.values["services"]["cases"].get("files", {}),
    }
    claim = claims(instance)["cases"]
    assert claim["metadata"]["name"] == f"{RELEASE}-cases-files"
    assert claim["metadata"]["labels"]["app.kubernetes.io/component"] == "cases"
    # Citizens' materials and the notices sent to them outlive the release.
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    # Every replica reads and writes the same files.
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"] == files["size"]
    assert "storageClassName" not in claim["spec"], "empty storageClass: the cluster's default"
    # The pods mount it where FILES_DIR points, and roll as usual (the volume is shared).
    volume = instance.volume_at("cases", CASES_FILES)
    assert volume["persistentVolumeClaim"] == {"claimName": claim["metadata"]["name"]}
    assert "strategy" not in instance.by_component("Deployment")["cases"]["spec"]
    assert instance.by_component("ConfigMap")["cases"]["data"]["GOVHALL_CASES_FILES_DIR"] == CASES_FILES


def test_consult_files_claim(instance: Instance) -> None:
    files = {
        **load_values_defaults()["services"]["consult"]["files"],
        **instance.values["services"]["consult"].get("files", {}),
    }
    claim = claims(instance)["consult"]
    assert claim["metadata"]["name"] == f"{RELEASE}-consult-files"
    # Letter attachments outlive the release, and every replica reads and writes the same files.
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"] == files["size"]
    volume = instance.volume_at("consult", CONSULT_FILES)
    assert volume["persistentVolumeClaim"] == {"claimName": claim["metadata"]["name"]}


def test_licences_files_claim(instance: Instance) -> None:
    files = {
        **load_values_defaults()["services"]["licences"]["files"],
        **instance.values["services"]["licences"].get("files", {}),
    }
    claim = claims(instance)["licences"]
    assert claim["metadata"]["name"] == f"{RELEASE}-licences-files"
    # Drive files outlive the release, and every replica reads and writes the same files.
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"] == files["size"]
    volume = instance.volume_at("licences", LICENCES_FILES)
    assert volume["persistentVolumeClaim"] == {"claimName": claim["metadata"]["name"]}
    config = instance.by_component("ConfigMap")["licences"]["data"]
    assert config["GOVHALL_LICENCES_FILES_DIR"] == LICENCES_FILES


def test_cases_files_claim_sizes_follow_the_level(instances: dict[str, Instance]) -> None:
    sizes = {
        level: quantity(claims(instances[level])["cases"]["spec"]["resources"]["requests"]["storage"])
        for level in LEVELS
    }
    assert sizes["county"] <= sizes["city"] <= sizes["province"]


def test_cases_files_on_an_existing_claim(helm: Path, helm_env: dict[str, str]) -> None:
    instance = render(helm, helm_env, "city", "--set", "services.cases.files.existingClaim=govhall-cases-nfs")
    assert "cases" not in claims(instance), "an existing claim: the chart makes none for cases"
    volume = instance.volume_at("cases", CASES_FILES)
    assert volume["persistentVolumeClaim"] == {"claimName": "govhall-cases-nfs"}
    assert instance.by_component("ConfigMap")["cases"]["data"]["GOVHALL_CASES_FILES_DIR"] == CASES_FILES
    errors = validation_errors(instance.objects)
    assert not errors, "\n".join(errors)


def test_cases_files_storage_class_and_mount_path(helm: Path, helm_env: dict[str, str]) -> None:
    instance = render(
        helm, helm_env, "county",
        "--set", "services.cases.files.storageClass=nfs-client",
        "--set", "services.cases.files.mountPath=/srv/cases",
    )  # fmt: skip
    claim = claims(instance)["cases"]
    assert claim["spec"]["storageClassName"] == "nfs-client"
    assert (
        instance.volume_at("cases", "/srv/cases")["persistentVolumeClaim"]["claimName"]
        == claim["metadata"]["name"]
    )
    assert instance.by_component("ConfigMap")["cases"]["data"]["GOVHALL_CASES_FILES_DIR"] == "/srv/cases"
    errors = validation_errors(instance.objects)
    assert not errors, "\n".join(errors)

    # "-": no class at all, for a pre-provisioned volume.
    instance = render(helm, helm_env, "county", "--set", "services.cases.files.storageClass=-")
    claim = claims(instance)["cases"]
    assert claim["spec"]["storageClassName"] == ""


def test_cases_files_on_a_single_node_volume(helm: Path, helm_env: dict[str, str]) -> None:
    """A ReadWriteOnce volume attaches to one node: one replica, replaced rather than rolled."""
    instance = render(helm, helm_env, "county", "--set", "services.cases.files.accessMode=ReadWriteOnce")
    claim = claims(instance)["cases"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert instance.by_component("Deployment")["cases"]["spec"]["strategy"] == {"type": "Recreate"}
    errors = validation_errors(instance.objects)
    assert not errors, "\n".join(errors)


def _leafnodes_conf(instance: Instance) -> str:
    return instance.named("ConfigMap", f"{RELEASE}-nats-leafnodes")["data"]["leafnodes.conf"]


def _remote_urls(conf: str) -> list[str]:
    return re.findall(r'urls: \["([^"]+)"\]', conf)


def test_nats_leaf_nodes_follow_the_region_tree(instances: dict[str, Instance]) -> None:
    province = _leafnodes_conf(instances["province"])
    assert "port: 7422" in province and not _remote_urls(province)

    city = _leafnodes_conf(instances["city"])
    assert "port: 7422" in city, "the city accepts its counties"
    (to_province,) = _remote_urls(city)
    assert to_province.startswith("nats-leaf://") and "govhall-420000" in to_province

    county = _leafnodes_conf(instances["county"])
    assert "port:" not in county
    (to_city,) = _remote_urls(county)
    assert "govhall-420500" in to_city


def _nats_file(instance: Instance, key: str) -> str:
    data: dict[str, str] = instance.named("ConfigMap", f"{RELEASE}-nats-leafnodes")["data"]
    return data[key]


def _domain(instance: Instance) -> str:
    match = re.search(r'^domain: "([^"]+)"$', _nats_file(instance, "jetstream.conf"), re.M)
    assert match, _nats_file(instance, "jetstream.conf")
    return match.group(1)


def _denied(conf: str, direction: str) -> list[list[str]]:
    """Each remote's deny_<direction> list (exports: up the link; imports: down it)."""
    return [re.findall(r'"([^"]+)"', m) for m in re.findall(rf"deny_{direction}: \[([^\]]*)\]", conf)]


SITE_ONLY_SUBJECTS = [
    *("identity.>", "cases.>", "consult.>", "appointments.>", "licences.>", "exchange.>"),
    "deadletter.>",  # parked copies of any of the above
]


def test_each_site_instance_has_its_own_jetstream_domain(instances: dict[str, Instance]) -> None:
    domains = {level: _domain(instance) for level, instance in instances.items()}
    assert domains == {"province": "province-420000", "city": "city-420500", "county": "county-420502"}
    for level, instance in instances.items():
        # Every service addresses its own site's JetStream API (GOVHALL_JETSTREAM_DOMAIN).
        for service, configmap in instance.by_component("ConfigMap").items():
            assert configmap["data"]["GOVHALL_JETSTREAM_DOMAIN"] == domains[level], f"{level}/{service}"


def test_a_hook_applies_the_stream_settings_as_the_nats_admin(
    instances: dict[str, Instance], helm: Path, helm_env: dict[str, str]
) -> None:
    """Streams made before their settings changed get them (kit/streams.py): the services' users
    may not update a stream, so a post-install/upgrade Job does it as the admin, on this site's
    JetStream domain and stream prefix."""
    for level, instance in instances.items():
        job = instance.named("Job", f"{RELEASE}-stream-settings")
        hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
        assert hooks == ["post-install", "post-upgrade"], level
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", "govhall.kit.streams"]
        env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
        assert env["GOVHALL_JETSTREAM_DOMAIN"] == _domain(instance), level
        assert env["GOVHALL_STREAM_PREFIX"] == "GOVHALL"
        for variable, key in (("GOVHALL_NATS_USER", "username"), ("GOVHALL_NATS_PASSWORD", "password")):
            assert env[variable] == {"secretKeyRef": {"name": "govhall-nats-admin", "key": key}}, level
        # The admin's credentials go to this Job only, never to a service's pod.
        for service in SERVICES:
            refs = [
                e.get("valueFrom", {}).get("secretKeyRef", {}) for e in instance.container(service)["env"]
            ]
            assert "govhall-nats-admin" not in [r.get("name") for r in refs], service
    without = render(helm, helm_env, "city", "--set", "nats.admin.existingSecret=")
    assert [j for j in without.of_kind("Job") if j["metadata"]["name"].endswith("stream-settings")] == []


def test_leaf_links_carry_no_application_subject(instances: dict[str, Instance]) -> None:
    for level in ("city", "county"):
        conf = _leafnodes_conf(instances[level])
        (up,) = _denied(conf, "exports")
        (down,) = _denied(conf, "imports")
        # cases, identity, consultations and partner handovers never cross, either way; catalogue
        # events go up by sourcing only (a plain publish let across would be stored twice).
        assert up == down == [*SITE_ONLY_SUBJECTS, "catalogue.>"], level
        # What sourcing needs stays open: the child domain's API, replies, delivery subjects.
        assert not [s for s in up if s.startswith(("$JS", "_INBOX", ">"))], level
    # The province has no parent: no link to deny anything on.
    assert _denied(_leafnodes_conf(instances["province"]), "exports") == []


def test_leaf_denies_follow_the_subject_namespace(helm: Path, helm_env: dict[str, str]) -> None:
    conf = _leafnodes_conf(render(helm, helm_env, "city", "--set", "nats.streamPrefix=E2E"))
    (up,) = _denied(conf, "exports")
    assert up == [f"e2e.{s}" for s in [*SITE_ONLY_SUBJECTS, "catalogue.>"]]


def test_parents_source_their_childrens_catalogue_streams(instances: dict[str, Instance]) -> None:
    """The catalogue.> a parent needs reaches it: its catalogue stream sources each child's."""
    for parent, child in (("province", "city"), ("city", "county")):
        sources = json.loads(_nats_file(instances[parent], "catalogue-sources.json"))
        assert sources == {
            "name": "GOVHALL_CATALOGUE",
            "sources": [
                {
                    "name": "GOVHALL_CATALOGUE",
                    "filter_subject": "catalogue.>",
                    "external": {"api": f"$JS.{_domain(instances[child])}.API"},
                }
            ],
        }, parent
    assert (
        "catalogue-sources.json"
        not in instances["county"].named("ConfigMap", f"{RELEASE}-nats-leafnodes")["data"]
    )


def test_values_files_name_the_hubei_sites() -> None:
    assert load_values("province")["site"] == {"code": "420000", "name": "湖北省", "level": "province"}
    assert load_values("city")["site"] == {"code": "420500", "name": "宜昌市", "level": "city"}
    assert load_values("county")["site"] == {"code": "420502", "name": "西陵区", "level": "county"}


BAD_VALUES = [
    pytest.param(["--set", "services.search.enabled=false"], "'enabled' not allowed", id="switch-off-search"),
    pytest.param(["--set", "services.search=null"], "missing property 'search'", id="drop-search"),
    pytest.param(["--set-string", "site.code=42050"], "/site/code", id="short-code"),
    pytest.param(["--set-string", "site.code=420500"], "/site/code", id="code-not-a-county"),
    pytest.param(["--set", "site.level=town"], "/site/level", id="unknown-level"),
    pytest.param(["--set", "services.catalogue.replicas=0"], "replicas", id="no-replicas"),
    pytest.param(["--set", "services.gateway.upstreams={nosuch}"], "upstreams", id="unknown-upstream"),
    pytest.param(["--set", "services.cases=null"], "missing property 'cases'", id="drop-cases"),
    pytest.param(
        ["--set", "services.cases.files=null"], "missing property 'files'", id="cases-without-files"
    ),
    pytest.param(
        ["--set", "services.cases.files.mountPath=/tmp/files"],
        "/services/cases/files/mountPath",
        id="files-in-the-emptydir",
    ),
    pytest.param(
        ["--set", "services.cases.files.size=null"], "missing property 'size'", id="claim-without-size"
    ),
    pytest.param(
        ["--set", "services.cases.files.accessMode=ReadWriteOnce", "--set", "services.cases.replicas=2"],
        "needs accessMode ReadWriteMany",
        id="single-node-volume-for-two-replicas",
    ),
    pytest.param(
        ["--set", "services.catalogue.files.mountPath=/srv/files"],
        "/services/catalogue/files",
        id="files-on-catalogue",
    ),
    pytest.param(["--set", "services.identity=null"], "missing property 'identity'", id="drop-identity"),
    pytest.param(
        ["--set", "services.identity.secretEnv.DATA_KEY.optional=true"],
        "/services/identity/secretEnv/DATA_KEY/optional",
        id="optional-data-key",
    ),
    pytest.param(
        ["--set", "services.identity.secretEnv=null"], "missing property 'secretEnv'", id="no-data-key"
    ),
    pytest.param(
        ["--set", "services.cases.secretEnv.DATA_KEY.optional=true"],
        "/services/cases/secretEnv/DATA_KEY/optional",
        id="optional-cases-data-key",
    ),
    pytest.param(
        ["--set", "services.consult.secretEnv.DATA_KEY.optional=true"],
        "/services/consult/secretEnv/DATA_KEY/optional",
        id="optional-consult-data-key",
    ),
    pytest.param(["--set-string", "redis.url="], "/redis/url", id="no-redis"),
    pytest.param(["--set", "redis.kvNamespace=a:b"], "/redis/kvNamespace", id="bad-kv-namespace"),
    pytest.param(
        ["--set", "services.gateway.metricsPort=http"], "/services/gateway", id="metrics-on-the-api"
    ),
    pytest.param(["--set", "services.gateway.ports.metrics=null"], "metrics", id="gateway-without-metrics"),
    pytest.param(
        ["--set", "ingress.trustedProxies={ingress.local}"], "/ingress/trustedProxies", id="proxy-by-name"
    ),
    pytest.param(["--set", "ingress=null"], "missing property 'ingress'", id="no-ingress"),
    pytest.param(
        ["--set", "services.gateway.nats.existingSecret=govhall-gateway-nats"],
        "/services/gateway/nats",
        id="nats-user-for-the-gateway",
    ),
    pytest.param(
        ["--set", "services.cases.elasticsearch.existingSecret=govhall-search-es"],
        "/services/cases/elasticsearch",
        id="search-credentials-for-cases",
    ),
    pytest.param(
        ["--set", "services.cases.database.url=postgresql+asyncpg://govhall_cases:pw@pg:5432/govhall_cases"],
        "/services/cases/database/url",
        id="password-in-the-database-url",
    ),
    pytest.param(
        ["--set", "services.cases.env.GOVHALL_NATS_PASSWORD=pw"],
        "invalid propertyName 'GOVHALL_NATS_PASSWORD'",
        id="password-in-env",
    ),
    pytest.param(
        ["--set", "services.gateway.env.GOVHALL_GATEWAY_ADMIN_TOKEN=t"],
        "invalid propertyName 'GOVHALL_GATEWAY_ADMIN_TOKEN'",
        id="admin-token-in-env",
    ),
    pytest.param(
        ["--set", "services.cases.env.GOVHALL_TRUST_KEY_FILE=/tmp/k"],
        "invalid propertyName 'GOVHALL_TRUST_KEY_FILE'",
        id="trust-key-path-in-env",
    ),
    pytest.param(
        ["--set", "services.search.redis.username=services"],
        "/services/search/redis",
        id="redis-secret-and-inline",
    ),
    pytest.param(
        ["--set", "services.search.redis.existingSecret=", "--set", "services.search.redis.password=pw"],
        "/services/search/redis",
        id="inline-password-without-user",
    ),
    pytest.param(
        ["--set", "trust.bundle.existingConfigMap=", "--set", "trust.bundle.value="],
        "trust.bundle: no trust bundle",
        id="no-trust-bundle",
    ),
    pytest.param(["--set", "trust=null"], "missing property 'trust'", id="no-trust-section"),
    pytest.param(
        ["--set", "nats.leafnodes.siteOnly={identity,consult,exchange}"],
        "/nats/leafnodes/siteOnly",
        id="cases-cross-the-links",
    ),
    pytest.param(["--set", "nats.jetstreamDomain=city.420500"], "/nats/jetstreamDomain", id="dotted-domain"),
    pytest.param(
        ["--set", "portal.publicUrl=zwfw.hubei.gov.cn"], "/portal/publicUrl", id="url-without-scheme"
    ),
    pytest.param(
        ["--set", "portal.publicUrl=https://zwfw.hubei.gov.cn/portal"],
        "/portal/publicUrl",
        id="url-with-a-path",
    ),
]


@pytest.mark.parametrize(("extra", "complaint"), BAD_VALUES)
def test_values_schema_rejects(
    helm: Path, helm_env: dict[str, str], extra: list[str], complaint: str
) -> None:
    proc = run_helm(helm, helm_env, *template_args("county", *extra))
    assert proc.returncode != 0, f"helm template accepted {extra}"
    assert complaint in proc.stderr, proc.stderr


# --- credentials (issue 12) ---------------------------------------------------------------------


def _secret_refs(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The container's variables that come from a Secret: name -> secretKeyRef."""
    return {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def _secret_names_in_pod(pod: dict[str, Any]) -> set[str]:
    names = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    for container in pod["containers"]:
        names |= {ref["name"] for ref in _secret_refs(container).values()}
    return names


def test_each_pod_mounts_its_own_trust_key_and_no_other(instance: Instance) -> None:
    for service in SERVICES:
        pod = instance.pod(service)
        key_volume = instance.volume_at(service, TRUST_KEY_DIR)
        # One Secret, one item projected: this service's key and nothing else of that Secret.
        assert key_volume["secret"]["secretName"] == f"govhall-{service}-trust"
        assert key_volume["secret"]["items"] == [{"key": f"{service}.key", "path": f"{service}.key"}]
        assert key_volume["secret"]["defaultMode"] == 0o440, "readable by the pod's group, not the world"
        data = instance.by_component("ConfigMap")[service]["data"]
        assert data["GOVHALL_TRUST_KEY_FILE"] == f"{TRUST_KEY_DIR}/{service}.key"
        # No other principal's key reaches this pod, by volume or by variable.
        for other in SERVICES:
            if other != service:
                assert f"govhall-{other}-trust" not in _secret_names_in_pod(pod), (
                    f"{service} holds {other}'s key"
                )
        # The public bundle is the one ConfigMap every pod shares, mounted whole (no subPath) so
        # the kubelet updates it in place when a key rotates.
        bundle = instance.volume_at(service, TRUST_BUNDLE_DIR)
        assert bundle["configMap"]["name"] == "govhall-trust-bundle"
        assert bundle["configMap"]["items"] == [{"key": "bundle.json", "path": "bundle.json"}]
        assert data["GOVHALL_TRUST_BUNDLE_FILE"] == f"{TRUST_BUNDLE_DIR}/bundle.json"
        for mount in instance.container(service)["volumeMounts"]:
            if mount["mountPath"] in (TRUST_BUNDLE_DIR, TRUST_KEY_DIR):
                assert "subPath" not in mount, f"{service}: a subPath mount never sees a rotated key"


def test_every_credential_comes_from_a_secret_key_ref(instance: Instance) -> None:
    expected_secrets = {
        "GOVHALL_NATS_USER": ("govhall-{service}-nats", "username"),
        "GOVHALL_NATS_PASSWORD": ("govhall-{service}-nats", "password"),
        "GOVHALL_REDIS_USERNAME": ("govhall-redis-{redis}", "username"),
        "GOVHALL_REDIS_PASSWORD": ("govhall-redis-{redis}", "password"),
        "GOVHALL_ELASTICSEARCH_USERNAME": ("govhall-search-es", "username"),
        "GOVHALL_ELASTICSEARCH_PASSWORD": ("govhall-search-es", "password"),
    }
    for service in SERVICES:
        container = instance.container(service)
        refs = _secret_refs(container)
        # Every variable that holds a credential is a secretKeyRef, never a value.
        credentials = {e["name"] for e in container["env"] if CREDENTIAL_ENV.search(e["name"])}
        assert credentials <= set(refs), f"{service}: {credentials - set(refs)} not from a Secret"
        # Only the admin token may be missing: a missing credential Secret must stop the pod.
        for name, ref in refs.items():
            assert ref.get("optional", False) is (name == "GOVHALL_GATEWAY_ADMIN_TOKEN"), f"{service}: {name}"
        platform = {name for name in refs if name in expected_secrets}
        want = {"GOVHALL_REDIS_USERNAME", "GOVHALL_REDIS_PASSWORD"}
        if service != "gateway":  # the gateway uses no NATS
            want |= {"GOVHALL_NATS_USER", "GOVHALL_NATS_PASSWORD"}
        if service == "search":  # the only one using Elasticsearch
            want |= {"GOVHALL_ELASTICSEARCH_USERNAME", "GOVHALL_ELASTICSEARCH_PASSWORD"}
        assert platform == want, service
        for name in platform:
            secret, key = expected_secrets[name]
            assert refs[name] == {
                "name": secret.format(service=service, redis=REDIS_USERS[service]),
                "key": key,
            }


def _render_credentials(helm: Path, helm_env: dict[str, str], *extra: str) -> Instance:
    instance = render(helm, helm_env, "county", *extra)
    errors = validation_errors(instance.objects)
    assert not errors, "\n".join(errors)
    return instance


@pytest.mark.parametrize("service", SERVICES)
def test_render_fails_without_a_trust_key(helm: Path, helm_env: dict[str, str], service: str) -> None:
    for extra in (
        ["--set", f"services.{service}.trustKey=null"],
        ["--set", f"services.{service}.trustKey.existingSecret="],
    ):
        proc = run_helm(helm, helm_env, *template_args("county", *extra))
        assert proc.returncode != 0, f"helm template accepted {extra}"
        assert f"services.{service}.trustKey: no caller-assertion key" in proc.stderr, proc.stderr
    # An inline key is refused outright (secrets only from Secrets made out of band).
    proc = run_helm(helm, helm_env, *template_args("county", "--set", f"services.{service}.trustKey.value=k"))
    assert proc.returncode != 0
    assert f"/services/{service}/trustKey" in proc.stderr and "'value' not allowed" in proc.stderr


INLINE_CREDENTIALS = [
    ("services.cases.trustKey.value=k", "/services/cases/trustKey"),
    ("services.cases.nats.username=cases", "/services/cases/nats"),
    ("services.cases.nats.password=nats-pw", "/services/cases/nats"),
    ("services.gateway.redis.password=pw", "/services/gateway/redis"),
    ("services.search.elasticsearch.username=search", "/services/search/elasticsearch"),
    ("services.cases.database.password.value=pg-pw", "/services/cases/database"),
]


@pytest.mark.parametrize(("setting", "where"), INLINE_CREDENTIALS, ids=[s for s, _ in INLINE_CREDENTIALS])
def test_inline_credentials_are_refused(
    helm: Path, helm_env: dict[str, str], setting: str, where: str
) -> None:
    """Secrets only from Secrets made out of band: an inline credential (even with its
    existingSecret emptied) is refused by the schema, so none passes through helm's history."""
    key = setting.partition("=")[0].rpartition(".")[0]
    for extra in (["--set", setting], ["--set", setting, "--set", f"{key}.existingSecret="]):
        proc = run_helm(helm, helm_env, *template_args("county", *extra))
        assert proc.returncode != 0, f"helm template accepted {extra}"
        assert where in proc.stderr and "not allowed" in proc.stderr, proc.stderr


def test_only_configured_credentials_are_rendered(helm: Path, helm_env: dict[str, str]) -> None:
    instance = _render_credentials(
        helm, helm_env,
        "--set", "services.catalogue.nats=null",
        "--set", "services.cases.database.url=",
        "--set-string", "elasticsearch.url=",
    )  # fmt: skip
    catalogue = _secret_refs(instance.container("catalogue"))
    assert not any(name.startswith("GOVHALL_NATS_") for name in catalogue), "no NATS user configured"
    assert "GOVHALL_REDIS_PASSWORD" in catalogue
    # No database: neither its URL nor a password for it (cases falls back to SQLite).
    cases = _secret_refs(instance.container("cases"))
    assert not any("DATABASE" in name for name in cases)
    assert not any("DATABASE" in key for key in instance.by_component("ConfigMap")["cases"]["data"])
    assert "GOVHALL_NATS_PASSWORD" in cases
    # No Elasticsearch URL (the embedded index): no credentials for it either.
    assert not any("ELASTICSEARCH" in name for name in _secret_refs(instance.container("search")))
    # And no NATS at all: nobody gets NATS credentials.
    instance = _render_credentials(helm, helm_env, "--set-string", "nats.url=")
    for service in SERVICES:
        assert not any("NATS" in name for name in _secret_refs(instance.container(service))), service


def test_refused_callers_raise_an_alert_where_services_are_scraped(
    helm: Path, helm_env: dict[str, str]
) -> None:
    """The metric every service counts refused callers in is watched by a rule of the same
    Prometheus Operator as the ServiceMonitors (and not rendered without it)."""
    assert not render(helm, helm_env, "city", "--set", "serviceMonitor.enabled=false").of_kind(
        "PrometheusRule"
    )
    (rule,) = render(helm, helm_env, "city").of_kind("PrometheusRule")  # city turns them on
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert "govhall_caller_refusals_total" in alerts["GovhallCallerRefused"]["expr"]
    assert alerts["GovhallCallerRefused"]["labels"]["severity"] == "critical"
    assert "{{ $labels.service }}" in alerts["GovhallCallerRefused"]["annotations"]["summary"]
    # Poison messages parked by consumers, and outbox rows parked by the relay.
    assert "govhall_events_dead_lettered_total" in alerts["GovhallEventsDeadLettered"]["expr"]
    assert "govhall_outbox_parked_total" in alerts["GovhallOutboxParked"]["expr"]
    # 跨省通办 messages a partner has not receipted in time: a supervisor's alert.
    unreceipted = alerts["GovhallCrossprovinceUnreceipted"]
    assert "govhall_crossprovince_unreceipted_overdue" in unreceipted["expr"]
    assert unreceipted["labels"]["severity"] == "warning"


# --- ingress, network policies, disruption budgets, autoscaling, migrations, helm test (issue 18)


def test_gateway_behind_an_ingress_with_tls(helm: Path, helm_env: dict[str, str]) -> None:
    assert not render(helm, helm_env, "city").of_kind("Ingress"), "off unless asked for"
    instance = _render_credentials(
        helm, helm_env,
        "--set", "ingress.enabled=true", "--set", "ingress.className=nginx",
        "--set", "ingress.hosts={zwfw.example.gov.cn,www.zwfw.example.gov.cn}",
        "--set", "ingress.tls.secretName=zwfw-tls",
    )  # fmt: skip
    (ingress,) = instance.of_kind("Ingress")
    hosts = ["zwfw.example.gov.cn", "www.zwfw.example.gov.cn"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    # TLS from the Secret made out of band, for every host; the chart makes no Secret.
    assert ingress["spec"]["tls"] == [{"secretName": "zwfw-tls", "hosts": hosts}]
    assert not instance.of_kind("Secret")
    gateway = {"name": f"{RELEASE}-gateway", "port": {"name": "http"}}
    for rule, host in zip(ingress["spec"]["rules"], hosts, strict=True):
        assert rule["host"] == host
        # Everything to the gateway's API port; never its metrics port.
        assert rule["http"]["paths"] == [{"path": "/", "pathType": "Prefix", "backend": {"service": gateway}}]


# The portal's pages each service's QR codes open (issue 21), under portal.publicUrl.
PORTAL_PAGES = {
    "catalogue": ("GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE", "/guide/{site_code}/{code}"),
    "cases": ("GOVHALL_CASES_VERIFY_URL_TEMPLATE", "/verify/notice/{document_id}?code={code}"),
    "licences": ("GOVHALL_LICENCES_VERIFY_URL_TEMPLATE", "/verify/licence?code={code}"),
}


def _qr_templates(instance: Instance) -> dict[str, dict[str, str]]:
    """Every service's *_URL_TEMPLATE settings, by service (the Deployment reads its ConfigMap)."""
    found = {}
    for service, configmap in instance.by_component("ConfigMap").items():
        found[service] = {k: v for k, v in configmap["data"].items() if k.endswith("_URL_TEMPLATE")}
        assert {"configMapRef": {"name": configmap["metadata"]["name"]}} in instance.container(service)[
            "envFrom"
        ]
    return found


def test_the_qr_codes_open_the_portal_at_its_public_url(helm: Path, helm_env: dict[str, str]) -> None:
    public = "https://zwfw.yichang.gov.cn"
    templates = _qr_templates(render(helm, helm_env, "city", "--set", f"portal.publicUrl={public}/"))
    for service, found in templates.items():
        expected = (
            {PORTAL_PAGES[service][0]: public + PORTAL_PAGES[service][1]} if service in PORTAL_PAGES else {}
        )
        assert found == expected, service
    # What the page addresses become: a guide's QR for a real matter.
    guide = templates["catalogue"]["GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE"]
    assert (
        guide.format(site_code="420500", code="420500-SCJG-0001") == f"{public}/guide/420500/420500-SCJG-0001"
    )
    # Unset and no ingress: the services keep their own (loopback) defaults; nothing is rendered.
    assert not any(_qr_templates(render(helm, helm_env, "city")).values())


def test_the_ingress_serves_the_portal_and_names_its_url(helm: Path, helm_env: dict[str, str]) -> None:
    """Without portal.publicUrl the first ingress host that is no wildcard is the portal's; the
    ingress sends / (the portal and its page addresses) as well as /api to the gateway; a
    template set in a service's own env wins over the derived one."""
    own = "https://verify.example.gov.cn/notice/{document_id}?code={code}"
    instance = _render_credentials(
        helm, helm_env,
        "--set", "ingress.enabled=true", "--set", "ingress.hosts={*.yiling.gov.cn,zwfw.yiling.gov.cn}",
        "--set", "ingress.tls.secretName=zwfw-tls",
        "--set", f"services.cases.env.GOVHALL_CASES_VERIFY_URL_TEMPLATE={own}",
    )  # fmt: skip
    (ingress,) = instance.of_kind("Ingress")
    gateway = instance.by_component("Service")["gateway"]
    http_port = next(p for p in gateway["spec"]["ports"] if p["name"] == "http")
    assert http_port["port"] == load_values_defaults()["services"]["gateway"]["ports"]["http"]
    for rule in ingress["spec"]["rules"]:
        (path,) = rule["http"]["paths"]
        assert (path["path"], path["pathType"]) == ("/", "Prefix")
        assert path["backend"]["service"] == {"name": gateway["metadata"]["name"], "port": {"name": "http"}}
    templates = _qr_templates(instance)
    assert templates["catalogue"] == {
        "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE": "https://zwfw.yiling.gov.cn/guide/{site_code}/{code}"
    }
    assert templates["licences"] == {
        "GOVHALL_LICENCES_VERIFY_URL_TEMPLATE": "https://zwfw.yiling.gov.cn/verify/licence?code={code}"
    }
    assert templates["cases"] == {"GOVHALL_CASES_VERIFY_URL_TEMPLATE": own}


@pytest.mark.parametrize(
    "extra",
    [
        ["--set", "ingress.enabled=true", "--set", "ingress.hosts={zwfw.example.gov.cn}"],
        ["--set", "ingress.enabled=true", "--set", "ingress.tls.secretName=zwfw-tls"],
        [
            "--set",
            "ingress.enabled=true",
            "--set",
            "ingress.hosts={Not_A_Host}",
            "--set",
            "ingress.tls.secretName=t",
        ],
    ],
    ids=["without-tls", "without-hosts", "bad-host"],
)
def test_an_ingress_needs_hosts_and_tls(helm: Path, helm_env: dict[str, str], extra: list[str]) -> None:
    proc = run_helm(helm, helm_env, *template_args("county", *extra))
    assert proc.returncode != 0, f"helm template accepted {extra}"
    assert "/ingress" in proc.stderr, proc.stderr


def _policy(instance: Instance, name: str) -> dict[str, Any]:
    return instance.named("NetworkPolicy", f"{RELEASE}-{name}")


def _rules_for(policy: dict[str, Any], port: str | int) -> list[dict[str, Any]]:
    return [r for r in policy["spec"]["ingress"] if any(p["port"] == port for p in r["ports"])]


def _components(peer: dict[str, Any]) -> list[str]:
    """The components of this release a peer admits (it must admit nothing else)."""
    selector = peer["podSelector"]
    assert "namespaceSelector" not in peer, "the release's own namespace only"
    assert selector["matchLabels"] == {
        "app.kubernetes.io/name": "govhall",
        "app.kubernetes.io/instance": RELEASE,
    }
    (expression,) = selector["matchExpressions"]
    assert expression["key"] == "app.kubernetes.io/component" and expression["operator"] == "In"
    values: list[str] = expression["values"]
    return values


def _callers(service: str) -> set[str]:
    upstreams = {n: s["upstreams"] for n, s in load_values_defaults()["services"].items()}
    return {caller for caller, called in upstreams.items() if service in called}


def test_grpc_services_accept_only_their_callers(instance: Instance) -> None:
    values = load_values_defaults()
    for service in GRPC_SERVICES:
        policy = _policy(instance, service)
        assert (
            policy["spec"]["podSelector"]["matchLabels"]
            == instance.by_component("Service")[service]["spec"]["selector"]
        )
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        grpc = _rules_for(policy, "grpc")
        callers = _callers(service)
        if not callers:  # nobody calls it: no rule at all (a rule without `from` admits everyone)
            assert grpc == [], service
            continue
        (rule,) = grpc
        assert [p["port"] for p in rule["ports"]] == ["grpc"]
        (peer,) = rule["from"]
        assert set(_components(peer)) == callers, service
        # Metrics from the monitoring only.
        (metrics,) = _rules_for(policy, "metrics")
        assert metrics["from"] == values["networkPolicy"]["monitoring"]
        assert all(r.get("from") for r in policy["spec"]["ingress"]), f"{service}: a rule open to all"
    # Concretely: search answers the gateway and nobody else; identity exactly who lists it.
    (search,) = _rules_for(_policy(instance, "search"), "grpc")
    assert _components(search["from"][0]) == ["gateway"]
    (identity,) = _rules_for(_policy(instance, "identity"), "grpc")
    assert set(_components(identity["from"][0])) == {
        "appointments",
        "cases",
        "consult",
        "gateway",
        "licences",
    }
    # crossprovince is nobody's upstream: only its partner port (own policy) and metrics are open.
    assert _rules_for(_policy(instance, "crossprovince"), "grpc") == []
    partner = _policy(instance, "crossprovince-partner")
    assert [p["port"] for r in partner["spec"]["ingress"] for p in r["ports"]] == ["partner"]


def test_callers_follow_the_upstreams(helm: Path, helm_env: dict[str, str]) -> None:
    """One source of truth: a new upstream opens exactly that caller's way in."""
    instance = _render_credentials(helm, helm_env, "--set", "services.catalogue.upstreams={search}")
    (rule,) = _rules_for(_policy(instance, "search"), "grpc")
    assert _components(rule["from"][0]) == ["catalogue", "gateway"]


def test_the_gateway_accepts_the_ingress_controller_and_the_test_pod(instance: Instance) -> None:
    values = load_values_defaults()["networkPolicy"]
    policy = _policy(instance, "gateway")
    (http,) = _rules_for(policy, "http")
    *controller, test_pod = http["from"]
    assert controller == values["ingressController"]
    assert _components(test_pod) == ["test"]
    (metrics,) = _rules_for(policy, "metrics")
    assert metrics["from"] == values["monitoring"]
    assert len(policy["spec"]["ingress"]) == 2


def test_backends_accept_only_the_services_using_them(helm: Path, helm_env: dict[str, str]) -> None:
    county = render(helm, helm_env, "county")
    assert not [p for p in county.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("-clients")]
    extra = []
    for backend in ("postgresql", "nats", "redis", "elasticsearch"):
        extra += ["--set", f"networkPolicy.backends.{backend}.enabled=true"]
    leaf = {"ports": [{"port": 7422, "protocol": "TCP"}], "from": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}
    instance = _render_credentials(
        helm, helm_env, *extra, "--set-json", f"networkPolicy.backends.nats.extraIngress=[{json.dumps(leaf)}]"
    )
    with_db = [
        "appointments",
        "cases",
        "catalogue",
        "consult",
        "crossprovince",
        "identity",
        "licences",
        "search",
    ]
    expected = {
        "postgresql": (5432, with_db + [f"{s}-migrate" for s in with_db]),
        "nats": (4222, [*with_db, "stream-settings"]),  # not the gateway
        "redis": (6379, [*with_db, "gateway"]),
        "elasticsearch": (9200, ["search"]),
    }
    for backend, (port, users) in expected.items():
        policy = _policy(instance, f"{backend}-clients")
        assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": backend}}
        rule, *others = policy["spec"]["ingress"]
        assert rule["ports"] == [{"port": port, "protocol": "TCP"}]
        (peer,) = rule["from"]
        assert sorted(_components(peer)) == sorted(users), backend
        assert others == ([leaf] if backend == "nats" else []), backend


def test_disruption_budgets_and_autoscalers(instance: Instance) -> None:
    budgets = instance.by_component("PodDisruptionBudget")
    autoscalers = instance.by_component("HorizontalPodAutoscaler")
    for service in SERVICES:
        deployment = instance.by_component("Deployment")[service]
        budget = budgets[service]["spec"]
        assert budget == {"maxUnavailable": 1, "selector": deployment["spec"]["selector"]}
        scales = instance.level != "county" and service in AUTOSCALED
        assert (service in autoscalers) is scales, service
        # An HPA owns the count: the Deployment states none (an upgrade would reset it otherwise).
        assert ("replicas" in deployment["spec"]) is not scales, service
        if scales:
            hpa = autoscalers[service]["spec"]
            settings = instance.values["services"][service]["autoscaling"]
            assert hpa["scaleTargetRef"] == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"{RELEASE}-{service}",
            }
            assert (hpa["minReplicas"], hpa["maxReplicas"]) == (
                settings["minReplicas"],
                settings["maxReplicas"],
            )
            assert hpa["minReplicas"] == instance.values["services"][service]["replicas"]
            assert hpa["metrics"] == [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ]
            assert autoscalers[service]["apiVersion"] == "autoscaling/v2"


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        (["--set", "services.catalogue.autoscaling.enabled=true"], "/services/catalogue"),
        (
            [
                "--set",
                "services.cases.autoscaling.enabled=true",
                "--set",
                "services.cases.files.accessMode=ReadWriteOnce",
            ],
            "needs accessMode ReadWriteMany",
        ),
        (
            [
                "--set",
                "services.search.autoscaling.enabled=true",
                "--set",
                "services.search.autoscaling.minReplicas=5",
            ],
            "minReplicas 5 above maxReplicas 3",
        ),
    ],
    ids=["catalogue-does-not-scale", "scaling-on-a-single-node-volume", "min-above-max"],
)
def test_autoscaling_refusals(helm: Path, helm_env: dict[str, str], extra: list[str], complaint: str) -> None:
    proc = run_helm(helm, helm_env, *template_args("county", *extra))
    assert proc.returncode != 0, f"helm template accepted {extra}"
    assert complaint in proc.stderr, proc.stderr


def test_migrations_run_once_as_a_hook_before_the_deployments(instance: Instance) -> None:
    jobs = {j["metadata"]["name"]: j for j in instance.of_kind("Job")}
    with_db = [
        s
        for s in GRPC_SERVICES
        if instance.by_component("ConfigMap")[s]["data"].get(f"GOVHALL_{s.upper()}_DATABASE_URL")
    ]
    assert len(with_db) == 8
    for service in with_db:
        job = jobs[f"{RELEASE}-{service}-migrate"]
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(annotations["helm.sh/hook-weight"]) < 0
        pod = job["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"] == ["python", "-m", f"govhall.{service}", "migrate"]
        # Inline settings (the ConfigMaps do not exist yet), the password from its Secret.
        assert "envFrom" not in container
        env = {e["name"]: e for e in container["env"]}
        data = instance.by_component("ConfigMap")[service]["data"]
        url = f"GOVHALL_{service.upper()}_DATABASE_URL"
        assert env[url]["value"] == data[url]
        assert env[f"GOVHALL_{service.upper()}_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": f"govhall-{service}-db",
            "key": "password",
        }
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        # The replicas do not migrate: they check, and wait for the Job.
        assert data["GOVHALL_MIGRATE_ON_START"] == "false"
        assert data["GOVHALL_MIGRATE_WAIT_SECONDS"] == "300"
    assert "GOVHALL_MIGRATE_ON_START" not in instance.by_component("ConfigMap")["gateway"]["data"]


def test_without_migration_jobs_the_replicas_migrate(helm: Path, helm_env: dict[str, str]) -> None:
    instance = _render_credentials(
        helm, helm_env, "--set", "migrations.enabled=false", "--set", "services.cases.database.url="
    )
    assert not [j for j in instance.of_kind("Job") if j["metadata"]["name"].endswith("-migrate")]
    for service in GRPC_SERVICES:
        assert "GOVHALL_MIGRATE_ON_START" not in instance.by_component("ConfigMap")[service]["data"]
    # A service on SQLite in its emptyDir has nothing for a Job to migrate.
    instance = _render_credentials(helm, helm_env, "--set", "services.cases.database.url=")
    assert f"{RELEASE}-cases-migrate" not in {j["metadata"]["name"] for j in instance.of_kind("Job")}
    assert "GOVHALL_MIGRATE_ON_START" not in instance.by_component("ConfigMap")["cases"]["data"]


def test_helm_test_calls_the_gateways_readiness(instance: Instance) -> None:
    (pod,) = instance.of_kind("Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "test"
    spec = pod["spec"]
    (container,) = spec["containers"]
    assert container["image"] == instance.container("gateway")["image"]
    assert container["command"][:2] == ["python", "-c"]
    assert container["command"][-1] == f"http://{RELEASE}-gateway:8000/readyz"
    assert container["securityContext"] == instance.container("gateway")["securityContext"]
    assert spec["securityContext"] == instance.pod("gateway")["securityContext"]
    assert spec["restartPolicy"] == "Never" and spec["automountServiceAccountToken"] is False


def test_resources_say_what_was_measured() -> None:
    """Each service's requests and limits sit under the measurement they come from."""
    text = (CHART / "values.yaml").read_text(encoding="utf-8")
    assert "bench/cases_submissions.py" in text and "bench/search_vs_bare.py" in text
    for service in SERVICES:
        block = text.split(f"\n  {service}:\n", 1)[1]
        before_resources = block.split("\n    resources:\n", 1)[0].splitlines()
        assert before_resources[-1].startswith("    # Measured (see above): idle"), service
        assert re.search(r"peak \d+% CPU, \d+ MiB", before_resources[-1]), service
