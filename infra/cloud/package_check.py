"""`make package`: build what `chalice deploy` would upload and check it fits.

Runs `chalice package --stage <stage> <out>` (Chalice downloads manylinux wheels
for the stage's lambda_architecture from PyPI), then, for every zip it wrote
(the function zip, and the layer zip when automatic_layer is on), prints the
compressed size and the unzipped size, and fails when:

- a zip is over 50 MiB (`chalice deploy` refuses to upload it),
- everything unzipped is over 250 MiB (Lambda's limit, layers included),
- a requirement of requirements.txt, or anything it needs, is missing from the
  package (Chalice only warns when it finds no wheel for the target platform and
  leaves it out), or
- a compiled extension is not built for the stage's architecture, or for another
  Python than the runtime's (python3.13: docs/DESIGN.md section 2; the runtime
  follows the Python that runs `chalice package`/`chalice deploy`).

CLI: python -m infra.cloud.package_check --stage prod --out dist/package
"""
from __future__ import annotations

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_ZIP_BYTES = 50 * 1024 * 1024  # chalice deploy: "over 50 MB" refuses the upload
MAX_UNZIPPED_BYTES = 262_144_000  # Lambda: 250 MB unzipped, function and layers
ELF_MACHINES = {62: "x86_64", 183: "arm64"}
RUNTIME_PYTHON = "3.13"
# foo.cpython-313-aarch64-linux-gnu.so: the CPython version an extension is built for.
EXTENSION_PYTHON = re.compile(r"\.cpython-(\d)(\d+)[a-z]*-")


@dataclass
class ZipReport:
    name: str
    size: int
    unzipped: int
    files: int


@dataclass
class PackageReport:
    architecture: str
    zips: list[ZipReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def unzipped_total(self) -> int:
        return sum(z.unzipped for z in self.zips)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The requirement specifiers of a requirements file (no -r includes in ours)."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def missing_dependencies(roots: list[str], metadata: dict[str, str],
                         architecture: str, python: str = RUNTIME_PYTHON) -> list[str]:
    """Requirements (with their extras, transitively) that have no distribution in
    the package. `metadata`: normalised distribution name -> its METADATA text.
    Markers are evaluated for the Lambda runtime (Linux, `architecture`)."""
    from email.parser import HeaderParser

    from packaging.requirements import Requirement

    environment = {
        "python_version": python, "python_full_version": f"{python}.0",
        "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
        "platform_machine": "aarch64" if architecture == "arm64" else "x86_64",
        "implementation_name": "cpython", "platform_python_implementation": "CPython",
    }
    missing: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(Requirement(line), "requirements.txt") for line in roots]
    while pending:
        requirement, wanted_by = pending.pop()
        name = normalise(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        if name not in metadata:
            missing.append(f"{requirement.name} (needed by {wanted_by})")
            continue
        headers = HeaderParser().parsestr(metadata[name])
        for line in headers.get_all("Requires-Dist") or []:
            dependency = Requirement(line)
            if dependency.marker is not None and not any(
                dependency.marker.evaluate({**environment, "extra": extra})
                for extra in (sorted(requirement.extras) or [""])
            ):
                continue
            pending.append((dependency, requirement.name))
    return sorted(set(missing))


def stage_architecture(config: dict, stage: str) -> str:
    section = config.get("stages", {}).get(stage, {})
    return str(section.get("lambda_architecture") or config.get("lambda_architecture")
               or "x86_64")


def elf_machine(header: bytes) -> str | None:
    """The architecture of an ELF file from its first 20 bytes; None if not ELF."""
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    endian = "<" if header[5] == 1 else ">"
    (machine,) = struct.unpack(endian + "H", header[18:20])
    return ELF_MACHINES.get(machine, f"machine {machine}")


def extension_python(filename: str) -> str | None:
    """"3.13" for foo.cpython-313-...so; None for abi3 or untagged files."""
    match = EXTENSION_PYTHON.search(filename)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def inspect(out_dir: Path, architecture: str, requirements: list[str],
            python: str = RUNTIME_PYTHON) -> PackageReport:
    report = PackageReport(architecture)
    metadata: dict[str, str] = {}
    layer_pythons: set[str] = set()
    zips = sorted(out_dir.glob("*.zip"))
    if not zips:
        report.problems.append(f"no zip in {out_dir}")
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            report.zips.append(ZipReport(path.name, path.stat().st_size,
                                         sum(info.file_size for info in infos), len(infos)))
            for info in infos:
                # Top level in the function zip, under python/lib/... in the layer.
                parts = info.filename.split("/")
                if len(parts) > 1 and parts[-2].endswith(".dist-info") \
                        and parts[-1] == "METADATA":
                    name = parts[-2][: -len(".dist-info")].rsplit("-", 1)[0]
                    metadata[normalise(name)] = archive.read(info).decode("utf-8", "replace")
                filename = parts[-1]
                if filename.endswith(".so") or ".so." in filename:
                    with archive.open(info) as handle:
                        machine = elf_machine(handle.read(20))
                    if machine is not None and machine != architecture:
                        report.problems.append(
                            f"{path.name}:{info.filename} is built for {machine}, "
                            f"not {architecture}")
                    built_for = extension_python(filename)
                    if built_for is not None and built_for != python:
                        report.problems.append(
                            f"{path.name}:{info.filename} is built for Python {built_for}, "
                            f"not python{python}")
                if len(parts) > 3 and parts[:2] == ["python", "lib"] \
                        and parts[2] != f"python{python}":
                    layer_pythons.add(parts[2])
    for found in sorted(layer_pythons):
        report.problems.append(f"the layer holds {found} packages, not python{python}")
    for item in report.zips:
        if item.size > MAX_ZIP_BYTES:
            report.problems.append(
                f"{item.name} is {item.size / 2**20:.1f} MiB; chalice deploy uploads at "
                f"most {MAX_ZIP_BYTES / 2**20:.0f} MiB")
    if report.unzipped_total > MAX_UNZIPPED_BYTES:
        report.problems.append(
            f"{report.unzipped_total / 2**20:.1f} MiB unzipped; Lambda takes at most "
            f"{MAX_UNZIPPED_BYTES / 2**20:.0f} MiB")
    for missing in missing_dependencies(requirements, metadata, architecture, python):
        report.problems.append(
            f"{missing} is not in the package: no {architecture} wheel for it?")
    return report


def build(stage: str, out_dir: Path, project_dir: Path = ROOT) -> None:
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice) if chalice.exists() else "chalice", "package", "--stage", stage,
               str(out_dir)]
    environment = dict(os.environ)
    # Packaging needs a region but talks to no AWS service.
    environment.setdefault("AWS_DEFAULT_REGION", environment.get("AWS_REGION", "us-east-1"))
    subprocess.run(command, cwd=project_dir, env=environment, check=True)


def describe(report: PackageReport) -> str:
    lines = [f"architecture: {report.architecture}, python{RUNTIME_PYTHON}"]
    for item in report.zips:
        lines.append(f"{item.name}: {item.size / 2**20:.2f} MiB zipped, "
                     f"{item.unzipped / 2**20:.2f} MiB unzipped ({item.files} files)")
    lines.append(f"unzipped total: {report.unzipped_total / 2**20:.2f} MiB "
                 f"(limit {MAX_UNZIPPED_BYTES / 2**20:.0f} MiB); zip limit "
                 f"{MAX_ZIP_BYTES / 2**20:.0f} MiB each")
    lines += [f"PROBLEM: {problem}" for problem in report.problems]
    return "\n".join(lines)


def check(stage: str, out_dir: Path, project_dir: Path = ROOT,
          *, skip_build: bool = False) -> PackageReport:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if not skip_build and running != RUNTIME_PYTHON:
        # Chalice packages for the Python that runs it: another one builds the wrong zips.
        raise SystemExit(f"make package needs Python {RUNTIME_PYTHON} (this is {running}): "
                         "run it through `make package`, which uses .venv")
    if not skip_build:
        if out_dir.exists():
            for old in out_dir.glob("*.zip"):
                old.unlink()
        build(stage, out_dir, project_dir)
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    return inspect(out_dir, stage_architecture(config, stage),
                   requirement_lines(project_dir / "requirements.txt"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=str(ROOT / "dist" / "package"))
    parser.add_argument("--skip-build", action="store_true",
                        help="inspect what is already in --out")
    args = parser.parse_args(argv)
    report = check(args.stage, Path(args.out).resolve(), skip_build=args.skip_build)
    print(describe(report))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
