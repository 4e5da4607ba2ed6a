import json

from intake.languages import detect, frameworks_in_manifest, language_of
from tests.support.intake import write_tree


def test_languages_come_from_extensions_weighted_by_size(tmp_path):
    root = write_tree(
        tmp_path, {"main.go": "package main\n" * 500, "tools/run.pl": "print 1;", "README.md": "x"}
    )
    assert detect(root).languages == ["go"]


def test_frameworks_come_from_python_manifests(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "requirements.txt": "Django>=4.2  # web\n-r other.txt\ncelery[redis]==5\n",
            "pyproject.toml": '[project]\nname="x"\ndependencies=["fastapi>=0.1"]\n',
            "app.py": "import django\n",
        },
    )
    result = detect(root)
    assert result.languages == ["python"]
    assert result.frameworks == ["celery", "django", "fastapi"]


def test_frameworks_come_from_javascript_java_go_rust_and_ruby_manifests(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "package.json": json.dumps({"dependencies": {"react": "18", "express": "4"}}),
            "pom.xml": "<project><artifactId>spring-boot-starter</artifactId></project>",
            "go.mod": "module x\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n)\n",
            "Cargo.toml": '[dependencies]\nactix-web = "4"\n',
            "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7'\n",
        },
    )
    result = detect(root)
    assert set(result.languages) >= {"javascript", "java", "go", "rust", "ruby"}
    assert result.frameworks == ["actix", "express", "gin", "rails", "react", "spring"]


def test_a_broken_manifest_is_ignored_not_fatal():
    assert frameworks_in_manifest("package.json", "{not json") == set()
    assert frameworks_in_manifest("Cargo.toml", "[[[") == set()


def test_vendored_dependencies_do_not_count(tmp_path):
    root = write_tree(
        tmp_path, {"node_modules/x/index.js": "a" * 10000, "src/lib.rs": "fn main() {}"}
    )
    assert detect(root).languages == ["rust"]


def test_language_of_a_path():
    assert language_of("a/b/c.tsx") == "typescript"
    assert language_of("Makefile") is None
