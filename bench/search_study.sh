#!/usr/bin/env bash
# The ProxylessNAS targets of issue 4 on Fashion-MNIST, in one results database:
#  - latency control: searches with a tight, a medium and a loose latency target on this CPU;
#    the derived architectures' estimated latency should be ordered like the targets and lie
#    within +-20% of each;
#  - quality: the searched networks, retrained for EPOCHS epochs, against uniform baselines of
#    the same space (all k3e3, all k5e6, all k7e6) and a MobileNetV2-like net trained for the same
#    EPOCHS with the same trainer; `hwnas results pareto` then shows the accuracy-latency front.
# Every run stays in the database. Run on an otherwise idle machine (measured latency).
#   bench/search_study.sh [DB] [EPOCHS] [TARGETS_MS...]
# Defaults: a fresh database in a temporary directory, 4 epochs, targets 0.7 1.0 1.4 ms.
# About 50 minutes on 2 cores with the defaults; REPORT_ONLY=1 only prints the report of DB.
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS=build/cli/hwnas
DB="${1:-$(mktemp -d)/search-study.db}"
EPOCHS="${2:-4}"
shift $(( $# > 2 ? 2 : $# ))
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(0.7 1.0 1.4)
echo "database $DB, $EPOCHS training epochs per network, targets ${TARGETS[*]} ms"

seconds_since() { echo $(( ($(date +%s%N) - $1) / 1000000000 )); }

# REPORT_ONLY=1 skips the runs and reports on an existing database.
if [ -z "${REPORT_ONLY:-}" ]; then
for target in "${TARGETS[@]}"; do
  start=$(date +%s%N)
  $HWNAS --db "$DB" -q search configs/quickstart.yaml "name=search-${target}ms" \
    "proxyless.target_ms=$target" "proxyless.retrain_epochs=$EPOCHS" > /dev/null
  echo "search target $target ms: $(seconds_since "$start") s"
done
for net in fmnist-k3e3 fmnist-k5e6 fmnist-k7e6 mobilenetv2-fmnist; do
  start=$(date +%s%N)
  $HWNAS --db "$DB" -q train configs/train-fmnist.yaml "name=baseline-$net" \
    "net=nets/$net.yaml" "train.epochs=$EPOCHS" > /dev/null
  echo "baseline $net: $(seconds_since "$start") s"
done
fi

# The report. Latency is measured again here, every network one after the other on the quiet
# machine (`latency estimate --measure-network`), so that it does not depend on what else ran
# while a run ended; the runs keep what they measured themselves.
echo
HWNAS="$HWNAS" DB="$DB" /usr/bin/python3 - "${TARGETS[@]}" <<'PY'
import json, os, subprocess, sys

hwnas, db = os.environ["HWNAS"], os.environ["DB"]
def run(*args):
    return subprocess.run([hwnas, "--db", db, "-q", *args], check=True, capture_output=True,
                          text=True).stdout
def measured_ms(*what):
    out = run("latency", "estimate", "--device", "cpu", "--measure-network", *what)
    return float(out.split("measured end to end: ")[1].split()[0])

runs = {r["name"]: r for r in json.loads(run("results", "list", "--format", "json"))}
print("== latency control (estimated latency of the derived network on the cpu table)")
print("%-10s %-36s %9s %8s" % ("target_ms", "derived architecture", "estimate", "error"))
for target in sys.argv[1:]:
    detail = json.loads(run("results", "show", str(runs["search-%sms" % target]["id"]),
                            "--format", "json"))
    final = [a for a in detail["architectures"] if a["role"] == "final"][-1]
    derived = [a for a in detail["architectures"] if a["role"] == "derived"][-1]
    est = final["estimated_latency_ms"]
    print("%-10s %-36s %9.3f %+7.1f%%" % (target, derived["arch"], est,
                                           100 * (est / float(target) - 1)))
print()
print("== quality: test accuracy after the same training, latency measured end to end now")
print("%-28s %-58s %8s %10s %9s" % ("run", "network", "test_acc", "latency_ms", "MMACs"))
rows = []
for name, r in sorted(runs.items()):
    detail = json.loads(run("results", "show", str(r["id"]), "--format", "json"))
    final = [a for a in detail["architectures"] if a["role"] == "final"][-1]
    if name.startswith("baseline-"):
        ms = measured_ms("--netspec", "configs/nets/%s.yaml" % name[len("baseline-"):])
    else:
        derived = [a for a in detail["architectures"] if a["role"] == "derived"][-1]
        ms = measured_ms("--space", "fmnist-mbconv", "--arch", derived["arch"])
    rows.append((ms, name, final["arch"], final["accuracy"], final["flops"] / 1e6))
for ms, name, arch, acc, mmacs in sorted(rows):
    print("%-28s %-58s %7.2f%% %10.3f %9.2f" % (name, arch, 100 * acc, ms, mmacs))
print()
front, best = [], -1.0
for ms, name, arch, acc, mmacs in sorted(rows):
    if acc > best:
        front.append(name)
        best = acc
print("accuracy-latency front (latency measured now):", ", ".join(front))
PY
echo
echo "== hwnas results pareto (latency as each run measured it when it ended)"
$HWNAS --db "$DB" results pareto --x latency_ms --y accuracy
