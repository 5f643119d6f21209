"""boto3 against the sim's ECR endpoint, and the same assertions against moto_server, an independent
ECR implementation, so that the sim and moto are seen to agree."""

from __future__ import annotations

import datetime
import json
import re
import uuid

import boto3
import pytest
import requests
from botocore.config import Config


# The lifecycle policy of the wire-format reference (§7.1).
LIFECYCLE_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire untagged after 14 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "Keep last 30 release images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["v*"],
                "countType": "imageCountMoreThan",
                "countNumber": 30,
            },
            "action": {"type": "expire"},
        },
    ]
}


def ecr_client(endpoint_url: str, region: str):
    return boto3.session.Session().client(
        "ecr",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30),
    )


@pytest.fixture(scope="module")
def sim_ecr(sim):
    assert sim.endpoints["ecr_region"] == "us-east-1"
    assert sim.endpoints["ecr_account_id"] == "123456789012"
    return ecr_client(sim.url("ecr"), sim.endpoints["ecr_region"]), sim.endpoints["ecr_account_id"]


@pytest.fixture(scope="module")
def moto_ecr(moto_server):
    # moto's default account is 123456789012, as the sim's.
    return ecr_client(moto_server, "us-east-1"), "123456789012"


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


@pytest.mark.parametrize("backend", ["sim_ecr", "moto_ecr"])
def test_repository_create_describe_and_lifecycle_agree(backend, request):
    ecr, account = request.getfixturevalue(backend)
    region = ecr.meta.region_name
    name = f"thirdparty/svc-{uuid.uuid4().hex[:8]}"

    created = ecr.create_repository(
        repositoryName=name,
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "AES256"},
        tags=[{"Key": "team", "Value": "platform"}],
    )["repository"]
    assert created["repositoryName"] == name
    assert created["registryId"] == account
    assert created["repositoryArn"] == f"arn:aws:ecr:{region}:{account}:repository/{name}"
    assert created["repositoryUri"] == f"{account}.dkr.ecr.{region}.amazonaws.com/{name}"
    assert created["imageTagMutability"] == "IMMUTABLE"
    assert created["imageScanningConfiguration"] == {"scanOnPush": True}
    assert created["encryptionConfiguration"]["encryptionType"] == "AES256"
    assert isinstance(created["createdAt"], datetime.datetime)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - created["createdAt"]).total_seconds()) < 300, created["createdAt"]

    described = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert len(described) == 1
    for key in ("repositoryName", "repositoryArn", "repositoryUri", "registryId", "imageTagMutability",
                "imageScanningConfiguration", "createdAt"):
        assert described[0][key] == created[key], key

    everything = ecr.describe_repositories(maxResults=1000)["repositories"]
    assert name in {r["repositoryName"] for r in everything}

    with pytest.raises(ecr.exceptions.RepositoryAlreadyExistsException) as again:
        ecr.create_repository(repositoryName=name)
    assert error_code(again) == "RepositoryAlreadyExistsException"

    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException) as no_policy:
        ecr.get_lifecycle_policy(repositoryName=name)
    assert error_code(no_policy) == "LifecyclePolicyNotFoundException"

    text = json.dumps(LIFECYCLE_POLICY)
    put = ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=text)
    assert put["repositoryName"] == name and put["registryId"] == account
    assert json.loads(put["lifecyclePolicyText"]) == LIFECYCLE_POLICY

    got = ecr.get_lifecycle_policy(repositoryName=name)
    assert got["repositoryName"] == name and got["registryId"] == account
    assert json.loads(got["lifecyclePolicyText"]) == LIFECYCLE_POLICY
    assert isinstance(got["lastEvaluatedAt"], datetime.datetime)

    missing = f"thirdparty/missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException) as not_found:
        ecr.describe_repositories(repositoryNames=[missing])
    assert error_code(not_found) == "RepositoryNotFoundException"
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.put_lifecycle_policy(repositoryName=missing, lifecyclePolicyText=text)
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.get_lifecycle_policy(repositoryName=missing)


@pytest.mark.parametrize("backend", ["sim_ecr", "moto_ecr"])
def test_default_repository_settings_agree(backend, request):
    ecr, _account = request.getfixturevalue(backend)
    name = f"thirdparty/plain-{uuid.uuid4().hex[:8]}"
    repo = ecr.create_repository(repositoryName=name)["repository"]
    assert repo["imageTagMutability"] == "MUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": False}
    assert repo["encryptionConfiguration"]["encryptionType"] == "AES256"


def test_describe_repositories_paginator_visits_every_repository_once(sim_ecr):
    ecr, _account = sim_ecr
    for _ in range(3):
        ecr.create_repository(repositoryName=f"thirdparty/page-{uuid.uuid4().hex[:8]}")
    expected = {r["repositoryName"] for r in ecr.describe_repositories(maxResults=1000)["repositories"]}
    assert len(expected) >= 3
    pages = list(ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 2, "PageSize 2 over three or more repositories should give several pages"
    names = [r["repositoryName"] for page in pages for r in page["repositories"]]
    assert all(len(page["repositories"]) <= 2 for page in pages)
    assert len(names) == len(set(names)), "a repository appeared on two pages"
    assert set(names) == expected


def seeded_repositories(ecr) -> list:
    repos = ecr.describe_repositories(maxResults=1000)["repositories"]
    with_images = []
    for repo in repos:
        details = ecr.describe_images(repositoryName=repo["repositoryName"])["imageDetails"]
        if details:
            with_images.append((repo, details))
    return with_images


def test_platform_scenario_seeds_service_images(sim_ecr):
    ecr, account = sim_ecr
    seeded = seeded_repositories(ecr)
    assert len(seeded) >= 5, f"expected the images of at least five services, found {[r['repositoryName'] for r, _ in seeded]}"
    repo, details = seeded[0]
    for image in details:
        assert image["registryId"] == account
        assert image["repositoryName"] == repo["repositoryName"]
        assert image["imageDigest"].startswith("sha256:") and len(image["imageDigest"]) == 71
        assert isinstance(image["imagePushedAt"], datetime.datetime)
        assert image["imageSizeInBytes"] > 0
    tags = {t for image in details for t in image.get("imageTags", [])}
    assert "latest" in tags, tags
    assert any(re.fullmatch(r"[0-9a-f]{7,40}", t) for t in tags), f"no git-sha tag among {tags}"

    latest = ecr.describe_images(repositoryName=repo["repositoryName"], imageIds=[{"imageTag": "latest"}])
    assert len(latest["imageDetails"]) == 1 and "latest" in latest["imageDetails"][0]["imageTags"]


def test_describe_images_of_a_missing_repository(sim_ecr):
    ecr, _account = sim_ecr
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.describe_images(repositoryName=f"thirdparty/missing-{uuid.uuid4().hex[:8]}")


def test_unknown_operation_is_an_error_not_a_crash(sim):
    response = requests.post(
        sim.url("ecr") + "/",
        data="{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.NoSuchOperation",
        },
        timeout=10,
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "__type" in response.json()
    assert sim.alive()

