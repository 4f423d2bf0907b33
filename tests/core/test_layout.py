"""The floor plan holds (docs/ARCHITECTURE.md): no import cycle, one module writes the
videos table, ledger ids are made only by the ledger, and the behaviour table points
at modules that exist and do what it says."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHALICELIB = ROOT / "chalicelib"


def _modules() -> dict[str, Path]:
    found = {}
    for path in CHALICELIB.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every chalicelib module `path` imports, at module level or inside functions."""
    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("chalicelib"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                deps.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names if a.name.startswith("chalicelib"))
    return {dep for dep in deps if dep in modules and dep != "chalicelib"}


def test_no_import_cycle_in_chalicelib():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    state: dict[str, str] = {}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                cycles.append(trail[trail.index(dep):] + [dep] if dep in trail else [name, dep])
            elif dep not in state:
                visit(dep, trail + [dep])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


# docs/ARCHITECTURE.md "Layers, lowest first": a package imports only from itself or
# the packages before it.
LAYERS = ("core", "http", "ledger", "accounts", "payments", "youtube", "knowledge", "notes",
          "reviews", "search", "videos", "courses", "processing", "api")


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a package from a later layer, as 'importer -> imported'."""
    rank = {name: index for index, name in enumerate(LAYERS)}
    return sorted(f"{name} -> {dep}" for name, deps in graph.items() for dep in deps
                  if rank.get(_package(dep), -1) > rank.get(_package(name), len(LAYERS)))


def test_every_package_has_its_place_in_the_layer_order():
    packages = {_package(name) for name in _modules() if name.count(".") >= 1}
    assert sorted(packages - set(LAYERS)) == []


def test_the_declared_layer_order_holds():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert layer_violations(graph) == []
    # The checker itself sees an upward import.
    assert layer_violations({"chalicelib.videos.video_api": {
        "chalicelib.processing.job_queue"}}) == [
        "chalicelib.videos.video_api -> chalicelib.processing.job_queue"]
    order = (ROOT / "docs" / "ARCHITECTURE.md").read_text().split("Layers, lowest first")[1]
    declared = re.findall(r"`(\w+)` ->", order.split("\n\n")[0])
    assert tuple(declared) == LAYERS


def test_only_the_video_lifecycle_writes_the_videos_table():
    writers = set()
    for name, path in _modules().items():
        source = path.read_text()
        if "videos_table()" in source and re.search(
                r"update_item|put_item|delete_item|\"(Put|Update|Delete)\"", source):
            writers.add(name)
    assert writers == {"chalicelib.videos.lifecycle"}


def test_ledger_ids_are_made_only_by_the_ledger():
    pattern = re.compile(r"f[\"'](signup|reserve|usage|refund|stripe|stripe-refund):")
    makers = {name for name, path in _modules().items() if pattern.search(path.read_text())}
    assert makers == {"chalicelib.ledger.ids"}


def test_every_module_in_the_behaviour_table_exists():
    table = (ROOT / "docs" / "ARCHITECTURE.md").read_text().split("## Where each behaviour")[1]
    paths = set(re.findall(r"`((?:chalicelib|infra)/[\w/]+\.py)`", table))
    assert len(paths) >= 9
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []


def test_one_caption_track_policy_module():
    definers = {name for name, path in _modules().items()
                if re.search(r"^def choose_\w*track\(", path.read_text(), re.M)}
    assert definers == {"chalicelib.youtube.tracks"}


def test_importing_app_loads_only_the_http_plumbing_it_needs():
    """Cold starts pay for what app.py imports: the config, secrets and logging stack
    load on first use (importing them made app.py's import 1.8x a bare app's)."""
    import subprocess
    import sys

    code = ("import sys, app; print(sorted(m for m in sys.modules "
            "if m.startswith('chalicelib')))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    assert set(eval(loaded)) <= {"chalicelib", "chalicelib.http", "chalicelib.http.limits",
                                 "chalicelib.http.replies", "chalicelib.http.threadsafe"}


def test_app_binds_each_deferred_name_to_the_module_it_names():
    """app.py's `name = lazy("pkg.module")` lines and its TYPE_CHECKING imports agree,
    name by name, so no name is bound to another module by position."""
    tree = ast.parse((ROOT / "app.py").read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and getattr(node.test, "id", "") == "TYPE_CHECKING")
    imported = {alias.asname or alias.name: f"{node.module}.{alias.name}"
                for node in block.body if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    deferred = {node.targets[0].id: "chalicelib." + node.value.args[0].value
                for node in block.orelse if isinstance(node, ast.Assign)}
    assert deferred == imported
    assert len(deferred) >= 15


def test_requests_are_read_only_by_the_request_layer():
    """Query strings and JSON bodies are parsed in chalicelib/api (docs/ARCHITECTURE.md):
    no domain module imports the request validators."""
    readers = {name for name, path in _modules().items()
               if "chalicelib.http.validation" in _imports(path, _modules())}
    assert readers and all(name.startswith("chalicelib.api.") for name in readers)
