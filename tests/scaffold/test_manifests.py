"""The project template's Kubernetes manifests against the Kubernetes schemas (issue 21, item 13).

Every manifest ``axiomod new`` renders under ``deploy/kubernetes/`` is validated, for
each variant of the option matrix, with PyPI's ``kubernetes-validate`` (the OpenAPI
schemas of each Kubernetes release, bundled, so it works offline) in strict mode: a
misspelt or misplaced field is an error, as ``kubectl apply --validate=strict`` makes it.
The rendering is ``tests/scaffold/test_project_template.py``'s, imported, not copied.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.scaffold.test_project_template import VARIANTS, projects

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="pip install kubernetes-validate (in the dev extra)"
)

pytestmark = pytest.mark.integration

__all__ = ["projects"]  # a fixture, used by name

#: The Kubernetes release the manifests are checked against: the oldest minor release
#: still under upstream support when this was written (2026-12). Raise it with them.
KUBERNETES_VERSION = "1.33.0"

#: kustomize's own file, not a Kubernetes object (no schema): checked by hand below.
KUSTOMIZATION = "kustomization.yaml"


def manifests(project: Path) -> dict[str, list[dict]]:
    deploy = project / "deploy" / "kubernetes"
    found = {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
        for path in sorted(deploy.glob("*.y*ml"))
    }
    assert found, f"no manifest rendered under {deploy}"
    return found


def validate(document: dict) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_rendered_manifest_is_valid_kubernetes(projects, variant):
    rendered = manifests(projects[variant])
    kustomization = rendered.pop(KUSTOMIZATION)[0]
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == sorted(rendered)
    problems = []
    kinds = []
    for name, documents in rendered.items():
        for document in documents:
            kinds.append(document["kind"])
            try:
                validate(document)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(part) for part in exc.path) or "(top)"
                problems.append(f"{name} {document['kind']} at {where}: {exc.message}")
    assert problems == []
    assert {"Deployment", "Service"} <= set(kinds)


@pytest.mark.parametrize(
    ("where", "typo"),
    [
        # A misspelt field inside a container: the kind of mistake strict mode is for.
        (("spec", "template", "spec", "containers", 0), ("readinesProbe", {})),
        # A field at the wrong level: valid in a container, unknown in the pod spec.
        (("spec", "template", "spec"), ("livenessProbe", {"httpGet": {"path": "/live"}})),
    ],
)
def test_a_broken_manifest_is_caught(projects, where, typo):
    """The check is real: one wrong field in the rendered Deployment fails it."""
    deployment = manifests(projects["defaults"])["deployment.yaml"][0]
    validate(deployment)  # as rendered
    broken = copy.deepcopy(deployment)
    node = broken
    for key in where:
        node = node[key]
    node[typo[0]] = typo[1]
    with pytest.raises(kubernetes_validate.ValidationError) as caught:
        validate(broken)
    assert typo[0] in str(caught.value.message)


def test_a_wrong_type_is_caught(projects):
    deployment = copy.deepcopy(manifests(projects["defaults"])["deployment.yaml"][0])
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
