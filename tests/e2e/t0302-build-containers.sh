#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container bundles: config.json as LinuxKit's ConfigToOCI makes it (label merge, defaults,
# capabilities.add, binds.add, uid names), read-only and writable containers, an image shared
# by several containers, runtime.json and init.conf.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'import the fixture images' '
	import_fixtures
'

cat >"$TRASH/c.yml" <<'EOF2'
onboot:
  - name: setup
    image: unikit.test/onboot:1
    readonly: true
    uid: svc
    gid: setup
  - name: again
    image: unikit.test/onboot:1
    readonly: true
onshutdown:
  - name: bye
    image: unikit.test/onboot:1
services:
  - name: svc
    image: unikit.test/service:1
    capabilities.add:
      - CAP_SYS_ADMIN
      - CAP_CHOWN
    binds.add:
      - /var/run:/var/run
      - /etc/svc:/etc/svc:ro
    env:
      - B=2
    rlimits:
      - nofile,1024,unlimited
    runtime:
      cgroups:
        - svc
  - name: plain
    image: unikit.test/onboot:1
    capabilities:
      - all
    annotations:
      org.unikit.restart: "no"
EOF2

test_expect_success 'build the tar of the root' '
	unikit build -format tar c.yml &&
	mkdir r && bsdtar -xf c.tar -C r &&
	svc=r/containers/services/svc
'

test_expect_success 'label merge: YAML beats label beats image config beats defaults' '
	svc=r/containers/services/svc &&
	jq -e ".process.args == [\"/bin/svc\", \"--flag\"]" $svc/config.json &&
	jq -e ".process.env == [\"B=2\"]" $svc/config.json &&
	jq -e ".process.cwd == \"/srv\"" $svc/config.json &&
	jq -e "[.linux.namespaces[].type] == [\"network\", \"pid\", \"mount\", \"cgroup\"]" \
		$svc/config.json &&
	jq -e ".root == {\"path\": \"rootfs\"}" $svc/config.json
'

test_expect_success 'capabilities.add and binds.add add to the label, once each' '
	svc=r/containers/services/svc &&
	jq -e ".process.capabilities.effective == [\"CAP_NET_ADMIN\", \"CAP_SYS_ADMIN\", \"CAP_CHOWN\"]" \
		$svc/config.json &&
	jq -e ".process.capabilities.bounding == [\"CAP_CHOWN\", \"CAP_NET_ADMIN\", \"CAP_SYS_ADMIN\"]" \
		$svc/config.json &&
	jq -e "[.mounts[] | select(.destination == \"/var/run\")] | length == 1" $svc/config.json &&
	jq -e ".mounts[] | select(.destination == \"/etc/svc\") | .options == [\"ro\", \"rbind\"]" \
		$svc/config.json &&
	jq -e ".mounts[] | select(.destination == \"/var/run\") | .options == [\"rw\", \"rbind\", \"rshared\"]" \
		$svc/config.json &&
	jq -e "[.mounts[].destination] == [\"/dev\", \"/dev/pts\", \"/etc/svc\", \"/proc\", \"/sys\", \"/sys/fs/cgroup\", \"/var/run\"]" \
		$svc/config.json &&
	jq -e ".process.rlimits == [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 18446744073709551615, \"soft\": 1024}]" \
		$svc/config.json
'

test_expect_success 'uid and gid names are the ids given to containers in order (100, 101, ...)' '
	jq -e ".process.user == {\"uid\": 103, \"gid\": 100}" \
		r/containers/onboot/000-setup/config.json
'

test_expect_success 'all capabilities, and the defaults of a container without a label' '
	jq -e ".process.capabilities.effective | length == 41" r/containers/services/plain/config.json &&
	jq -e "[.linux.namespaces[].type] == [\"pid\", \"mount\", \"cgroup\"]" \
		r/containers/services/plain/config.json &&
	jq -e ".process.args == [\"/bin/true\"] and .process.cwd == \"/\"" \
		r/containers/services/plain/config.json
'

test_expect_success 'read-only: the image in rootfs/, bound onto itself; the second user binds it' '
	jq -e ".root.readonly == true" r/containers/onboot/000-setup/config.json &&
	test -x r/containers/onboot/000-setup/rootfs/bin/true &&
	jq -e ".mounts[0] == {\"destination\": \"/containers/onboot/000-setup/rootfs\", \"source\": \"/containers/onboot/000-setup/rootfs\", \"options\": [\"bind\"]}" \
		r/containers/onboot/000-setup/runtime.json &&
	test -d r/containers/onboot/001-again/rootfs &&
	test -z "$(ls r/containers/onboot/001-again/rootfs)" &&
	jq -e ".mounts[0].source == \"/containers/onboot/000-setup/rootfs\"" \
		r/containers/onboot/001-again/runtime.json
'

test_expect_success 'writable: the image in lower/ (or shared), tmp/ and rootfs/ empty, an overlay' '
	bye=r/containers/onshutdown/000-bye &&
	test -d $bye/tmp && test -d $bye/rootfs && ! test -e $bye/lower &&
	jq -e "[.mounts[0:3][] | .type] == [\"tmpfs\", null, \"overlay\"]" $bye/runtime.json &&
	jq -e ".mounts[2].options[0] == \"lowerdir=/containers/onboot/000-setup/rootfs\"" \
		$bye/runtime.json &&
	test -x r/containers/services/svc/lower/bin/svc
'

test_expect_success 'runtime.json: label runtime, rootfs mounts first, every field present' '
	svc=r/containers/services/svc &&
	jq -e ".cgroups == [\"svc\"] and .mkdir == [\"/var/lib/svc\"] and .interfaces == []" \
		$svc/runtime.json &&
	jq -e ".bindNS == {\"cgroup\":\"\",\"ipc\":\"\",\"mnt\":\"\",\"net\":\"\",\"pid\":\"\",\"user\":\"\",\"uts\":\"\"}" \
		$svc/runtime.json &&
	jq -e ".mounts[2] == {\"destination\": \"/containers/services/svc/rootfs\", \"type\": \"overlay\", \"source\": \"overlay\", \"options\": [\"lowerdir=/containers/services/svc/lower\", \"upperdir=/containers/services/svc/tmp/upper\", \"workdir=/containers/services/svc/tmp/work\"]}" \
		$svc/runtime.json
'

test_expect_success 'init.conf says the same, with the restart policy of services' '
	svc=r/containers/services/svc &&
	printf "cgroup\tsvc\n" >expect && grep "^cgroup" $svc/init.conf >actual && test_cmp expect actual &&
	test_grep -x "mkdir	/var/lib/svc" $svc/init.conf &&
	test_grep -x "mount	tmpfs	tmpfs	/containers/services/svc/tmp	-" $svc/init.conf &&
	test_grep -x "mount	-	-	/containers/services/svc/tmp	remount,private" $svc/init.conf &&
	test_grep -x "mkdir	/containers/services/svc/tmp/upper" $svc/init.conf &&
	test_grep -x "restart	always" $svc/init.conf &&
	test_grep -x "restart	no" r/containers/services/plain/init.conf &&
	! grep "^restart" r/containers/onboot/000-setup/init.conf
'

test_expect_success 'a bad restart policy is an error with its position' '
	sed "s/\"no\"/sometimes/" c.yml >bad.yml &&
	test_must_fail unikit build -format tar bad.yml 2>err &&
	test_grep "bad.yml:[0-9]*:[0-9]*: .*org.unikit.restart.*sometimes" err
'

test_done
