#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Images made by other tools: umoci (an OCI layout with a label, and a whiteout from deleting
# a file between two repacks) and skopeo (the same image as a docker-archive) build as expected.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

command -v umoci >/dev/null && command -v skopeo >/dev/null ||
	test_skip_all "umoci and skopeo are needed"

test_expect_success 'make an image with umoci: two layers, a whiteout, a label' '
	umoci init --layout layout &&
	umoci new --image layout:latest &&
	umoci unpack --rootless --image layout:latest bundle &&
	mkdir -p bundle/rootfs/bin bundle/rootfs/etc &&
	printf "#!/bin/sh\necho hi\n" >bundle/rootfs/bin/hello &&
	chmod 755 bundle/rootfs/bin/hello &&
	echo old >bundle/rootfs/etc/old &&
	umoci repack --image layout:latest bundle &&
	rm -rf bundle &&
	umoci unpack --rootless --image layout:latest bundle &&
	rm bundle/rootfs/etc/old &&
	echo new >bundle/rootfs/etc/new &&
	umoci repack --image layout:latest bundle &&
	umoci config --image layout:latest --config.cmd /bin/hello \
		--config.label "org.mobyproject.config={\"capabilities\":[\"CAP_SYS_ADMIN\"],\"readonly\":true}" &&
	unikit cache import -name unikit.test/umoci layout >/dev/null
'

test_expect_success 'and the same image as a docker-archive, with skopeo' '
	skopeo copy --quiet oci:layout:latest docker-archive:docker.tar:unikit.test/docker:1 &&
	unikit cache import docker.tar >/dev/null
'

cat >"$TRASH/i.yml" <<'EOF2'
onboot:
  - name: fromumoci
    image: unikit.test/umoci:latest
services:
  - name: fromdocker
    image: unikit.test/docker:1
EOF2

test_expect_success 'build both into one root' '
	unikit build -format tar i.yml &&
	mkdir r && bsdtar -xf i.tar -C r
'

test_expect_success 'the whiteout umoci wrote hides the deleted file' '
	for c in onboot/000-fromumoci services/fromdocker; do
		test -x r/containers/$c/rootfs/bin/hello &&
		test "$(cat r/containers/$c/rootfs/etc/new)" = new &&
		! test -e r/containers/$c/rootfs/etc/old || exit 1
	done
'

test_expect_success 'the label set with umoci reaches config.json through both routes' '
	for c in onboot/000-fromumoci services/fromdocker; do
		jq -e ".process.capabilities.effective == [\"CAP_SYS_ADMIN\"] and .root.readonly == true and .process.args == [\"/bin/hello\"]" \
			r/containers/$c/config.json || exit 1
	done
'

test_done
