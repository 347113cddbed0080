"""The pluggable apps stay decoupled: only store_custom glues store to tags and likes."""
import ast
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN_IMPORTS = {
    'store': {'tags', 'likes', 'core', 'store_custom'},
    'tags': {'store', 'likes', 'core', 'store_custom'},
    'likes': {'store', 'tags', 'core', 'store_custom'},
}


def imported_top_level_packages(source):
    """The apps a module reaches: by import, or by name through `apps.get_model('<app>', …)` / `('<app>.<Model>')`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split('.')[0]
        elif (isinstance(node, ast.Call) and getattr(node.func, 'attr', getattr(node.func, 'id', None)) == 'get_model'
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value.split('.')[0]


@pytest.mark.parametrize('app', sorted(FORBIDDEN_IMPORTS))
def test_app_imports_none_of_the_apps_it_must_not_know(app):
    offending = {
        f'{path.relative_to(PROJECT_ROOT)}: {package}'
        for path in (PROJECT_ROOT / app).rglob('*.py')
        for package in imported_top_level_packages(path.read_text())
        if package in FORBIDDEN_IMPORTS[app]
    }
    assert offending == set()


def test_the_check_sees_an_offending_import():
    assert set(imported_top_level_packages('from tags.models import Tag\nimport likes.models\nfrom . import x')) == {
        'tags', 'likes'}


@pytest.mark.parametrize('source', [
    "Tag = apps.get_model('tags', 'Tag')",
    "TaggedItem = django_apps.get_model('tags.TaggedItem')",
    "get_model('tags', model_name='Tag')",
])
def test_the_check_sees_a_model_looked_up_by_name(source):
    assert set(imported_top_level_packages(source)) == {'tags'}


def test_a_model_named_by_a_setting_is_no_reach():
    assert set(imported_top_level_packages('apps.get_model(settings.AUTH_USER_MODEL)')) == set()
