"""Generate libs/protos/src/govhall/protos from protos/govhall (`make protos`).

protoc names Python modules after the proto file paths (govhall/catalogue/v1/...), which
would collide with the service packages (govhall.catalogue is the catalogue service).
So the output is moved under govhall.protos and the generated imports are rewritten to
match. The result is committed; tests/test_generated_current.py fails when it is stale.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "protos"
DEFAULT_OUT = ROOT / "libs" / "protos" / "src" / "govhall" / "protos"

# `from govhall.catalogue.v1 import x_pb2` -> `from govhall.protos.catalogue.v1 import x_pb2`,
# and the same for `import govhall.common.v1.common_pb2` in the typed stubs.
_IMPORT = re.compile(r"^(from|import) govhall\.(?!protos\.)", re.MULTILINE)


def generate(out: Path) -> list[Path]:
    protos = sorted(PROTO_ROOT.rglob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files under {PROTO_ROOT}")
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        venv_bin = Path(sys.executable).parent
        cmd = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"--python_out={staging}",
            f"--grpc_python_out={staging}",
            f"--plugin=protoc-gen-mypy={venv_bin / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={venv_bin / 'protoc-gen-mypy_grpc'}",
            f"--mypy_out={staging}",
            f"--mypy_grpc_out={staging}",
            *[str(p.relative_to(PROTO_ROOT)) for p in protos],
        ]
        subprocess.run(cmd, check=True, cwd=PROTO_ROOT)
        generated = staging / "govhall"
        if out.exists():
            for child in out.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                elif child.name != "__init__.py":
                    child.unlink()
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for src in sorted(generated.rglob("*")):
            if src.is_dir():
                continue
            dest = out / src.relative_to(generated)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(_IMPORT.sub(r"\1 govhall.protos.", src.read_text()))
            written.append(dest)
        for package in {p.parent for p in written}:
            while package != out:
                (package / "__init__.py").touch()
                package = package.parent
        (out / "__init__.py").write_text(
            '"""Generated from protos/govhall by `make protos`; do not edit."""\n'
        )
        (out / "py.typed").touch()
        return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    files = generate(args.out)
    print(f"generated {len(files)} files under {args.out}")


if __name__ == "__main__":
    main()
