"""Bad input gets a non-zero exit, a clear error, and nothing written."""

from __future__ import annotations

from pathlib import Path

from scaffolded import scaffold


def assert_refused(out: Path, expected: str, *args: str) -> None:
    before = sorted(p.name for p in out.iterdir())
    result = scaffold(*args, "--out", str(out))
    assert result.returncode != 0, result.stdout
    assert expected in result.stderr, result.stderr
    assert sorted(p.name for p in out.iterdir()) == before, "nothing is written"


def test_an_invalid_name(tmp_path: Path) -> None:
    assert_refused(tmp_path, "invalid name", "Orders_API", "--template", "node-express")
    assert_refused(tmp_path, "at most 63", "a" * 64, "--template", "go-http")


def test_an_unknown_template_lists_the_available_ones(tmp_path: Path) -> None:
    assert_refused(tmp_path, "available: go-http, node-express, python-fastapi", "orders", "--template", "rust")


def test_an_existing_directory(tmp_path: Path) -> None:
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "keep.txt").write_text("mine")
    assert_refused(tmp_path, "already exists", "orders", "--template", "python-fastapi")
    assert [p.name for p in (tmp_path / "orders").iterdir()] == ["keep.txt"]


def test_a_port_out_of_range(tmp_path: Path) -> None:
    assert_refused(tmp_path, "invalid port", "orders", "--template", "node-express", "--port", "70000")


def test_a_template_with_a_missing_value(tmp_path: Path) -> None:
    template = tmp_path / "templates" / "broken"
    (template / "skeleton" / "src").mkdir(parents=True)
    (template / "template.yaml").write_text(
        "apiVersion: scaffolder.backstage.io/v1beta3\n"
        "kind: Template\n"
        "metadata: {name: broken}\n"
        "spec:\n"
        "  parameters:\n"
        "    - required: [name]\n"
        "      properties:\n"
        "        name: {type: string}\n"
        "  steps:\n"
        "    - action: fetch:template\n"
        "      input:\n"
        "        url: ./skeleton\n"
        "        values:\n"
        "          name: '${{ parameters.name }}'\n"
    )
    (template / "skeleton" / "README.md").write_text("# ${{ values.name }}\n")
    (template / "skeleton" / "src" / "app.py").write_text("OWNER = '${{ values.owner }}'\n")
    out = tmp_path / "out"
    out.mkdir()
    assert_refused(out, "src/app.py: missing value `values.owner`", "orders", "--template", str(template))


def test_a_user_template_directory_renders(tmp_path: Path) -> None:
    template = tmp_path / "mine"
    (template / "skeleton" / "${{ values.name }}").mkdir(parents=True)
    (template / "template.yaml").write_text(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: mine}\nspec:\n"
        "  parameters: [{required: [name], properties: {name: {type: string}}}]\n"
        "  steps: [{action: 'fetch:template', input: {url: ./skeleton, values: {name: '${{ parameters.name }}'}}}]\n"
    )
    (template / "skeleton" / "${{ values.name }}" / "hello.txt").write_text("hello ${{ values.name | upper }}\n")
    result = scaffold("orders", "--template", str(template), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "orders" / "orders" / "hello.txt").read_text() == "hello ORDERS\n"
