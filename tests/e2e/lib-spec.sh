# SPDX-License-Identifier: Apache-2.0
# Helpers for the spec tests: an independent YAML reader (PyYAML) to check
# what `unikit build -dry-run` prints.

# Prints FILE (YAML, '-' for stdin) as canonical JSON (sorted keys).
yaml2json() {
	python3 -c '
import json, sys, yaml
f = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1])
json.dump(yaml.safe_load(f) or {}, sys.stdout, sort_keys=True)
print()' "$1"
}

# Prints a LinuxKit spec as JSON the way unikit normalises it: the kernel's
# binary and tar defaults filled in.
spec_expected_json() {
	python3 -c '
import json, sys, yaml
d = yaml.safe_load(open(sys.argv[1])) or {}
k = d.get("kernel")
if k is not None:
    k.setdefault("binary", "kernel")
    k.setdefault("tar", "kernel.tar")
json.dump(d, sys.stdout, sort_keys=True)
print()' "$1"
}

have_pyyaml() {
	python3 -c 'import yaml' 2>/dev/null
}
