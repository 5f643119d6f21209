"""A small REST client for the real kube-apiserver of this lane (requests + bearer token).

The lane sets up and seeds the control plane through the API directly rather than through kubectl or the
Python client's discovery: it is fast, it shows every status code, and it keeps the `Warning` headers the
apiserver sends (Kyverno's deprecated `kyverno.io/v1` carries one on every request).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional
from urllib.parse import quote

import requests
import urllib3

# The apiserver's self-signed serving certificate is trusted through the CA it writes beside it once it is
# up; before that (waiting for /readyz) TLS is not verified.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

# One `Warning: 299 - "text"` header value (requests joins repeated headers with ", ").
WARNING = re.compile(r'\d{3} \S+ "((?:[^"\\]|\\.)*)"')

# Kind → (api prefix, plural, namespaced) for everything the lane writes.
RESOURCES: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("api/v1", "namespaces", False),
    "Node": ("api/v1", "nodes", False),
    "Service": ("api/v1", "services", True),
    "Endpoints": ("api/v1", "endpoints", True),
    "ServiceAccount": ("api/v1", "serviceaccounts", True),
    "ConfigMap": ("api/v1", "configmaps", True),
    "Pod": ("api/v1", "pods", True),
    "Deployment": ("apis/apps/v1", "deployments", True),
    "StatefulSet": ("apis/apps/v1", "statefulsets", True),
    "DaemonSet": ("apis/apps/v1", "daemonsets", True),
    "ReplicaSet": ("apis/apps/v1", "replicasets", True),
    "ClusterRole": ("apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "CustomResourceDefinition": ("apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False),
    "Application": ("apis/argoproj.io/v1alpha1", "applications", True),
    "AppProject": ("apis/argoproj.io/v1alpha1", "appprojects", True),
    "ClusterPolicy": ("apis/kyverno.io/v1", "clusterpolicies", False),
    "ValidatingPolicy": ("apis/policies.kyverno.io/v1", "validatingpolicies", False),
    "PolicyReport": ("apis/wgpolicyk8s.io/v1alpha2", "policyreports", True),
    "ClusterPolicyReport": ("apis/wgpolicyk8s.io/v1alpha2", "clusterpolicyreports", False),
}


class ApiError(RuntimeError):
    def __init__(self, method: str, url: str, response: requests.Response):
        self.status = response.status_code
        self.body = response.text
        try:
            self.reason = response.json().get("reason", "")
        except ValueError:
            self.reason = ""
        super().__init__(f"{method} {url}: {response.status_code} {self.body[:500]}")


@dataclass
class Api:
    server: str
    token: str
    ca_file: Optional[str] = None
    timeout: float = 30.0
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        self.session.headers["Accept"] = "application/json"
        # Passed with every request: a session's `verify` loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
        self.verify: Any = self.ca_file or False

    # ------------------------------------------------------------------------------------------- raw

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                params: Optional[dict] = None, ok: Iterable[int] = (200, 201, 202)) -> Any:
        url = f"{self.server}/{path.lstrip('/')}"
        data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        response = self.session.request(method, url, data=data, params=params, timeout=self.timeout,
                                        verify=self.verify,
                                        headers={"Content-Type": content_type} if data is not None else None)
        for warning in WARNING.findall(response.headers.get("Warning", "")):
            text = warning.replace('\\"', '"')
            if text not in self.warnings:
                self.warnings.append(text)
        if response.status_code not in ok:
            raise ApiError(method, url, response)
        return response.json() if response.content else None

    @staticmethod
    def path(kind: str, namespace: Optional[str] = None, name: Optional[str] = None,
             subresource: Optional[str] = None) -> str:
        prefix, plural, namespaced = RESOURCES[kind]
        parts = [prefix]
        if namespaced:
            if not namespace:
                raise ValueError(f"{kind} is namespaced: a namespace is needed")
            parts += ["namespaces", quote(namespace)]
        parts.append(plural)
        if name:
            parts.append(quote(name))
        if subresource:
            parts.append(subresource)
        return "/".join(parts)

    # ------------------------------------------------------------------------------------- objects

    # Writes are validated strictly: a field the real schema (a CRD's above all) does not have is an error,
    # not silently pruned, so nothing seeded can carry a field the real systems would not write.
    STRICT = {"fieldValidation": "Strict"}

    def create(self, obj: dict) -> dict:
        meta = obj["metadata"]
        return self.request("POST", self.path(obj["kind"], meta.get("namespace")), obj, params=self.STRICT)

    def get(self, kind: str, name: str, namespace: Optional[str] = None) -> dict:
        return self.request("GET", self.path(kind, namespace, name))

    def find(self, kind: str, name: str, namespace: Optional[str] = None) -> Optional[dict]:
        try:
            return self.get(kind, name, namespace)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, kind: str, namespace: Optional[str] = None, **params: Any) -> list[dict]:
        prefix, plural, namespaced = RESOURCES[kind]
        path = f"{prefix}/namespaces/{namespace}/{plural}" if (namespaced and namespace) else f"{prefix}/{plural}"
        items: list[dict] = []
        query = dict(params)
        query.setdefault("limit", 500)
        while True:
            page = self.request("GET", path, params=query)
            items += page.get("items", [])
            token = page.get("metadata", {}).get("continue")
            if not token:
                return items
            query["continue"] = token

    def update(self, obj: dict, subresource: Optional[str] = None) -> dict:
        meta = obj["metadata"]
        return self.request("PUT", self.path(obj["kind"], meta.get("namespace"), meta["name"], subresource), obj,
                            params=self.STRICT)

    def merge_patch(self, kind: str, name: str, patch: dict, namespace: Optional[str] = None,
                    subresource: Optional[str] = None) -> dict:
        return self.request("PATCH", self.path(kind, namespace, name, subresource), patch,
                            content_type="application/merge-patch+json")

    def delete(self, kind: str, name: str, namespace: Optional[str] = None) -> None:
        self.request("DELETE", self.path(kind, namespace, name), ok=(200, 202, 404))

    def apply(self, obj: dict) -> dict:
        """Creates the object, or replaces it (keeping its resourceVersion) when it exists."""
        try:
            return self.create(obj)
        except ApiError as exc:
            if exc.status != 409:
                raise
        meta = obj["metadata"]
        current = self.get(obj["kind"], meta["name"], meta.get("namespace"))
        replacement = dict(obj)
        replacement["metadata"] = dict(meta, resourceVersion=current["metadata"]["resourceVersion"])
        return self.update(replacement)

    def ready(self) -> bool:
        try:
            response = self.session.get(f"{self.server}/readyz", timeout=2, verify=self.verify)
        except requests.RequestException:
            return False
        return response.status_code == 200 and response.text.strip() == "ok"


def wait_for(predicate: Callable[[], Any], timeout: float, message: str, interval: float = 0.2) -> Any:
    """Calls `predicate` until it returns something truthy; exceptions count as "not yet"."""
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    last_value: Any = None
    while True:
        try:
            last_value = predicate()
            last_error = None
            if last_value:
                return last_value
        except Exception as exc:  # noqa: BLE001 - reported on timeout
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f"last error: {last_error!r}" if last_error else f"last value: {last_value!r}"
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {message}; {detail}")
        time.sleep(interval)


def condition(obj: dict, kind: str) -> Optional[str]:
    """The status ("True"/"False"/"Unknown") of a condition of an object, or None."""
    for c in obj.get("status", {}).get("conditions") or []:
        if c.get("type") == kind:
            return c.get("status")
    return None
