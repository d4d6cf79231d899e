#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A build interrupted (SIGINT, SIGTERM) or failing leaves no output file and no scratch files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

export TMPDIR="$TRASH/tmp"
mkdir -p "$TMPDIR"

# An image big enough that the build is still running when the signal comes: 160 MiB of
# incompressible data in one file.
test_expect_success 'make and import a big image' '
	import_fixtures &&
	python3 - big <<-EOF2 &&
	import hashlib, io, json, os, sys, tarfile
	out = sys.argv[1]
	os.makedirs(out + "/blobs/sha256")
	def put(data):
	    d = hashlib.sha256(data).hexdigest()
	    open(out + "/blobs/sha256/" + d, "wb").write(data)
	    return "sha256:" + d, len(data)
	raw = io.BytesIO()
	with tarfile.open(fileobj=raw, mode="w") as tf:
	    ti = tarfile.TarInfo("big.bin"); ti.size = 160 << 20
	    tf.addfile(ti, io.BytesIO(os.urandom(160 << 20)))
	tar = raw.getvalue()
	ld, ls = put(tar)
	cd, cs = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
	    "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode())
	md, ms = put(json.dumps({"schemaVersion": 2,
	    "mediaType": "application/vnd.oci.image.manifest.v1+json",
	    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
	    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode())
	open(out + "/oci-layout", "w").write(json.dumps({"imageLayoutVersion": "1.0.0"}))
	open(out + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
	    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
	     "annotations": {"org.opencontainers.image.ref.name": "unikit.test/big:1"}}]}))
	EOF2
	unikit cache import big >/dev/null &&
	printf "init:\n  - unikit.test/big:1\n  - unikit.test/init:1\n" >big.yml
'

interrupt() {
	local sig=$1 fmt=$2 out
	mkdir -p "out-$sig-$fmt"
	# the binary itself, not the unikit shell function: the signal must reach it
	"$UNIKIT" build -dir "out-$sig-$fmt" -format "$fmt" big.yml &
	local pid=$!
	# wait until the build has made its scratch directory, then signal it
	for _ in $(seq 1 400); do
		if ls -d "$TMPDIR"/unikit-build-* >/dev/null 2>&1; then break; fi
		sleep 0.02
	done
	sleep 0.05
	kill -"$sig" $pid
	local rc=0
	wait $pid || rc=$?
	case $sig in INT) [ $rc = 130 ] ;; TERM) [ $rc = 143 ] ;; esac ||
		{ echo "the build ended with status $rc, not by SIG$sig"; return 1; }
	out=$(ls -A "out-$sig-$fmt")
	[ -z "$out" ] || { echo "left in the output directory: $out"; return 1; }
	out=$(ls -A "$TMPDIR")
	[ -z "$out" ] || { echo "left in TMPDIR: $out"; return 1; }
}

test_expect_success 'SIGINT during a kernel+initrd build leaves nothing' '
	interrupt INT kernel+initrd
'

test_expect_success 'SIGTERM during a tar build leaves nothing' '
	interrupt TERM tar
'

test_expect_success 'an existing output survives a failed build unchanged' '
	mkdir keep && echo old >keep/big.tar &&
	printf "init:\n  - unikit.test/escape-dotdot:1\n" >bad.yml &&
	test_must_fail unikit build -dir keep -name big -format tar bad.yml &&
	test "$(cat keep/big.tar)" = old &&
	test -z "$(ls -A "$TMPDIR")"
'

test_done
