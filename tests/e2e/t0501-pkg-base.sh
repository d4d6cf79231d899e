#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The base packages in pkg/: each builds, and holds what its users need.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pkg.sh"

command -v apt-get >/dev/null || test_skip_all "no apt-get"
cd "$TRASH" || exit 1

# The init package takes unikit's init from $UNIKIT_INIT; without a built one,
# a stand-in (this test checks the packaging, not init).
if [ ! -x "$UNIKIT_INIT" ]; then
	pkg_stand_in_init "$TRASH/stand-in-init"
	UNIKIT_INIT=$TRASH/stand-in-init
fi
export UNIKIT_INIT

# layer_of DIR: the layer blob of the package in DIR, as built.
layer_of() {
	pkg_layer "docker.io/$(unikit pkg show-tag "$TOP/pkg/$1")"
}

# needed_libs_present ROOT FILE: every library FILE needs is in ROOT.
needed_libs_present() {
	local lib f found
	for lib in $(readelf -d "$1/$2" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		found=false
		for f in "$1"/lib/*/"$lib" "$1"/usr/lib/*/"$lib"; do
			[ -e "$f" ] && found=true
		done
		if ! $found; then
			echo "$2 needs $lib, which is not in the image" >&2
			return 1
		fi
	done
}

test_expect_success 'the kernel package: a bzImage and kernel.tar with the chosen modules' '
	unikit pkg build -q "$TOP/pkg/kernel" >name &&
	test_grep "^unikit/kernel:" name &&
	layer=$(layer_of kernel) &&
	bsdtar tf "$layer" | sort >list &&
	printf "kernel\nkernel.tar\n" >want &&
	test_cmp want list &&
	bsdtar xf "$layer" &&
	test "$(dd if=kernel bs=1 skip=514 count=4 2>/dev/null)" = HdrS &&
	bsdtar tf kernel.tar >modules &&
	version=$(sed -n "s|^lib/modules/\([^/]*\)/modules.dep$|\1|p" modules) &&
	test -n "$version" &&
	for f in modules.dep modules.dep.bin modules.alias modules.alias.bin modules.builtin \
		modules.builtin.modinfo modules.order modules.symbols; do
		test_grep -x "lib/modules/$version/$f" modules || exit 1
	done &&
	for m in drivers/block/virtio_blk drivers/net/virtio_net drivers/char/virtio_console \
		drivers/char/hw_random/virtio-rng net/vmw_vsock/vmw_vsock_virtio_transport \
		fs/fat/vfat fs/nls/nls_cp437 fs/isofs/isofs fs/squashfs/squashfs fs/erofs/erofs \
		fs/overlayfs/overlay drivers/virtio/virtio_pci; do
		test_grep -x "lib/modules/$version/kernel/$m.ko" modules || exit 1
	done &&
	test "$(grep -c "\.ko$" modules)" -lt 60 &&
	! grep -q "bridge.ko" modules
'

test_expect_success 'kernel.tar: dependencies came along, and depmod indexed them' '
	version=$(sed -n "s|^lib/modules/\([^/]*\)/modules.dep$|\1|p" modules) &&
	mkdir kt && bsdtar xf kernel.tar -C kt &&
	dir=kt/lib/modules/$version &&
	test_grep -x "lib/modules/$version/kernel/fs/fat/fat.ko" modules &&
	test_grep -x "lib/modules/$version/kernel/drivers/net/net_failover.ko" modules &&
	test_grep "^kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko$" $dir/modules.dep &&
	for ko in $(sed "s/:.*//" $dir/modules.dep); do
		for dep in $(modinfo -F depends $dir/$ko | tr , " "); do
			grep -q "/$(echo $dep | tr _ "[-_]")\.ko:" $dir/modules.dep ||
				grep -q "/$dep\.ko:" $dir/modules.dep ||
				{ echo "$ko needs $dep, not in kernel.tar"; exit 1; }
		done
	done &&
	test_grep "^alias virtio:d00000002v\* virtio_blk$" $dir/modules.alias &&
	# nothing is loaded whatever the devices: init, as the kernel modprobe,
	# loads file systems, veth and tun on first use, and makes these nodes
	! bsdtar tf kernel.tar etc/modules-load 2>/dev/null &&
	test_grep "^tun net/tun c10:200$" $dir/modules.devname &&
	test_grep "^loop loop-control c10:237$" $dir/modules.devname &&
	test_grep "^alias fs-overlay overlay$" $dir/modules.alias &&
	test_grep "^alias rtnl-link-veth veth$" $dir/modules.alias &&
	test "$(bsdtar tvf kernel.tar | awk "{print \$3, \$4}" | sort -u)" = "0 0"
'

test_expect_success 'the init package: init, its links, the skeleton' '
	unikit pkg build -q "$TOP/pkg/init" >name &&
	test_grep "^unikit/init:" name &&
	layer=$(layer_of init) &&
	bsdtar tvf "$layer" >list &&
	mkdir init && bsdtar xf "$layer" -C init &&
	cmp "$UNIKIT_INIT" init/sbin/init &&
	test_grep -E "^-rwxr-xr-x .* sbin/init$" list &&
	test_grep -E " init -> sbin/init$" list &&
	for cmd in poweroff reboot halt; do
		test_grep -E " sbin/$cmd -> init$" list || exit 1
	done &&
	test_grep -E " etc/resolv.conf -> /run/resolvconf/resolv.conf$" list &&
	test_grep -E "^drwxrwxrwt .* tmp/?$" list &&
	test_grep -E "^dr-xr-xr-x .* proc/?$" list &&
	test_grep -E "^-rw------- .* etc/shadow$" list &&
	test_grep "^root:x:0:0:" init/etc/passwd &&
	for d in dev sys run var etc/init.d; do test -d init/$d || exit 1; done
'

test_expect_success 'the init package changes tag with init' '
	unikit pkg show-tag "$TOP/pkg/init" >tag1 &&
	cp "$UNIKIT_INIT" other-init && echo >>other-init &&
	UNIKIT_INIT=$TRASH/other-init unikit pkg show-tag "$TOP/pkg/init" >tag2 &&
	! test_cmp tag1 tag2
'

test_expect_success 'the runtime package: crun built from the Debian source, static, with its copyright' '
	unikit pkg build -q "$TOP/pkg/runtime" >/dev/null &&
	mkdir runtime && bsdtar xf "$(layer_of runtime)" -C runtime &&
	(cd runtime && find . -type f | sort) >files &&
	printf "./usr/bin/crun\n./usr/share/doc/crun/copyright\n" >expect &&
	test_cmp expect files &&
	test -x runtime/usr/bin/crun &&
	! readelf -l runtime/usr/bin/crun | grep -q INTERP &&
	! readelf -d runtime/usr/bin/crun | grep -q "(NEEDED)" &&
	runtime/usr/bin/crun --version >version &&
	candidate=$(apt-cache policy crun | sed -n "s/^ *Candidate: \([^-]*\)-.*/\1/p") &&
	test_grep "^crun version $candidate\$" version &&
	test_grep "+CAP +SECCOMP" version &&
	test_grep "^Source: .*crun" runtime/usr/share/doc/crun/copyright
'

test_expect_success 'the service packages build, with their labels' '
	unikit pkg build -q "$TOP"/pkg/{getty,dhcpcd,sysctl,rngd,sshd,format,mount,poweroff,nginx} >names &&
	test "$(wc -l <names)" = 9 &&
	for p in getty dhcpcd sysctl rngd sshd format mount poweroff nginx; do
		test_grep "^unikit/$p:[0-9a-f]\{40\}$" names || exit 1
	done &&
	label() { pkg_label "docker.io/$(grep "^unikit/$1:" names)"; } &&
	label getty | jq -e ".pid == \"host\" and .net == \"host\" and .capabilities == [\"all\"]" &&
	label getty | jq -e ".binds | index(\"/etc:/hostroot/etc\")" &&
	label dhcpcd | jq -e ".net == \"host\" and (.capabilities | index(\"CAP_NET_ADMIN\"))" &&
	label dhcpcd | jq -e ".binds == [\"/run/resolvconf:/etc\"]" &&
	label sysctl | jq -e ".readonly == true and .pid == \"host\"" &&
	label rngd | jq -e ".capabilities == [\"CAP_SYS_ADMIN\"] and .devices[0].path == \"/dev/hwrng\"" &&
	label sshd | jq -e ".binds | index(\"/root/.ssh:/root/.ssh\")" &&
	label format | jq -e ".devices == [{\"path\": \"all\", \"type\": \"b\"}]" &&
	label mount | jq -e ".rootfsPropagation == \"shared\" and (.binds | index(\"/var:/var:rshared,rbind\"))" &&
	label poweroff | jq -e ".capabilities | index(\"CAP_SYS_BOOT\")" &&
	label nginx | jq -e ".capabilities | index(\"CAP_NET_BIND_SERVICE\")"
'

test_expect_success 'the service packages hold their programs' '
	for p in getty dhcpcd sysctl rngd sshd format mount poweroff nginx; do
		mkdir $p && bsdtar xf "$(pkg_layer "docker.io/$(grep "^unikit/$p:" names)")" -C $p || exit 1
	done &&
	for s in getty/usr/bin/rungetty.sh getty/usr/bin/autologin dhcpcd/usr/bin/dhcp \
		dhcpcd/usr/bin/dhcp-event sysctl/usr/bin/sysctl-apply sshd/usr/bin/run-sshd \
		format/usr/bin/format mount/usr/bin/mount-disk poweroff/poweroff.sh; do
		test -x $s && busybox sh -n $s || { echo "$s"; exit 1; }
	done &&
	rngd/sbin/rngd -d /nonexistent >out && test_grep "nothing to do" out &&
	test -x sshd/usr/sbin/dropbear && needed_libs_present sshd usr/sbin/dropbear &&
	test -x format/sbin/mke2fs && needed_libs_present format sbin/mke2fs &&
	test -x nginx/usr/sbin/nginx && needed_libs_present nginx usr/sbin/nginx &&
	test_grep "Hello from nginx on unikit" nginx/usr/share/nginx/html/index.html &&
	test_grep "^daemon off;" nginx/etc/nginx/nginx.conf &&
	test -f sysctl/etc/sysctl.d/00-unikit.conf &&
	pkg_config "docker.io/$(grep "^unikit/poweroff:" names)" |
		jq -e ".config.Entrypoint == [\"/bin/sh\", \"/poweroff.sh\"]"
'

test_done
