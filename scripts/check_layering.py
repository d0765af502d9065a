#!/usr/bin/env python3
"""Checks the dependency direction of the source folders (README, "Layout"): every #include of a
project header must follow an allowed edge below, LibTorch stays out of the torch-free folders,
CLI11 stays in cli/, yaml-cpp in core/, SQLite in results/, and no file in cli/ is longer than
CLI_MAX_LINES (the CLI parses, calls one library function and prints).

  scripts/check_layering.py [--root DIR]   exit 1 and one line per violation
  scripts/check_layering.py --self-test    checks that each rule fails on a planted violation
"""
import argparse
import pathlib
import re
import sys
import tempfile

# The one declaration of the allowed edges: folder -> the folders its files may include (besides
# itself). This encodes ../shared/DESIGN.md's direction, cli -> search -> measure -> supernet ->
# latency -> predictors -> core and cli -> results -> core, with runs/ (the run lifecycle and the
# wiring of store and strategies) between cli and search/results; the CLI reaches strategies
# only through runs/. deploy/ (export to ONNX / TorchScript) sits beside search/ on supernet/,
# and runs/ wires it to stored runs. dist/ (torch.distributed process groups) sits on core/ and
# is used by search/ and runs/; cli/ includes only its torch-free part (world.h, launch/:
# `hwnas launch` runs in the torch-free front).
ALLOWED = {
    "core": set(),
    "predictors": {"core"},
    "latency": {"predictors", "core"},
    "results": {"core"},
    "supernet": {"latency", "predictors", "core"},
    "measure": {"supernet", "latency", "predictors", "core"},
    "dist": {"core"},
    "search": {"dist", "measure", "supernet", "latency", "predictors", "core"},
    "deploy": {"supernet", "latency", "predictors", "core"},
    "runs": {"search", "dist", "deploy", "measure", "supernet", "latency", "predictors",
             "results", "core"},
    "report": {"results", "latency", "predictors", "core"},
    "cli": {"runs", "dist", "report", "measure", "latency", "predictors", "results", "core"},
}
TORCH_FREE = {"core", "results", "predictors", "latency", "report", "cli"}
# External headers (first path component) and the only folders that may include them.
EXTERNAL_ONLY_IN = {
    "torch": set(ALLOWED) - TORCH_FREE,
    "ATen": set(ALLOWED) - TORCH_FREE,
    "c10": set(ALLOWED) - TORCH_FREE,
    "CLI": {"cli"},
    "yaml-cpp": {"core"},
    "sqlite3.h": {"results"},
}
CLI_MAX_LINES = 250
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def violations(root):
    found = []
    for folder in sorted(ALLOWED):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".h", ".cpp"):
                continue
            rel = path.relative_to(root)
            lines = path.read_text(errors="replace").splitlines()
            if folder == "cli" and len(lines) > CLI_MAX_LINES:
                found.append(f"{rel}: {len(lines)} lines (cli/ files stay within {CLI_MAX_LINES})")
            for number, line in enumerate(lines, 1):
                match = INCLUDE.match(line)
                if match:
                    found += check_include(folder, f"{rel}:{number}", match.group(1))
    return found


def check_include(folder, where, header):
    first = header.split("/")[0]
    if first in ALLOWED and "/" in header:
        if first != folder and first not in ALLOWED[folder]:
            allowed = ", ".join(sorted(ALLOWED[folder])) or "none"
            return [f"{where}: {folder}/ includes {header} (a {folder}/ file may include: "
                    f"{allowed})"]
        return []
    if first in EXTERNAL_ONLY_IN and folder not in EXTERNAL_ONLY_IN[first]:
        return [f"{where}: {folder}/ includes <{header}> (only in: "
                f"{', '.join(sorted(EXTERNAL_ONLY_IN[first]))})"]
    return []


def self_test():
    planted = {
        "core/a.h": '#include "search/strategy.h"\n',
        "search/b.cpp": '#include "results/store.h"\n',
        "latency/c.cpp": "#include <torch/torch.h>\n",
        "runs/d.cpp": "#include <CLI/CLI.hpp>\n",
        "results/e.cpp": "#include <yaml-cpp/yaml.h>\n",
        "cli/f.cpp": '#include "search/strategy.h"\n' + "//\n" * CLI_MAX_LINES,
        "measure/g.cpp": '#include "measure/torch_device.h"\n#include "supernet/network.h"\n',
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for name, text in planted.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        found = violations(root)
    expected = ["core/a.h:1", "search/b.cpp:1", "latency/c.cpp:1", "runs/d.cpp:1",
                "results/e.cpp:1", "cli/f.cpp:1", "cli/f.cpp: 251 lines"]
    missing = [e for e in expected if not any(v.startswith(e) for v in found)]
    if missing or len(found) != len(expected):
        print("self-test failed; expected violations at", expected, "got:", *found, sep="\n  ")
        return 1
    print(f"layering self-test: {len(found)} planted violations found, allowed edges pass")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent)
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    found = violations(pathlib.Path(args.root))
    for v in found:
        print(v)
    if found:
        print(f"layering: {len(found)} violation(s); the allowed edges are in {__file__}")
        return 1
    print("layering: every include follows an allowed edge")
    return 0


if __name__ == "__main__":
    sys.exit(main())
