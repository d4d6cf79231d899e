#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit pkg build / show-tag on a package made here: Debian packages, a file
# and a C program, into a fresh store; checked with skopeo, umoci and bsdtar.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pkg.sh"

command -v apt-get >/dev/null || test_skip_all "no apt-get"
cd "$TRASH" || exit 1

mkdir -p hello/etc
cat >hello/build.yml <<'EOF'
image: hello
org: test
config:
  pid: host
  readonly: true
  capabilities: [CAP_SYS_ADMIN]
  devices:
    - {path: /dev/console, type: c, major: 5, minor: 1, mode: 0666}
debian:
  packages: [hello, busybox-static]
files:
  - {src: etc, dst: /etc}
  - {dst: /bin/sh, symlink: busybox}
  - {dst: /tmp, directory: true, mode: "1777"}
programs:
  - output: /usr/bin/tiny
    cc: [musl-gcc, -static, -Os, tiny.c]
cmd: [/usr/bin/tiny]
EOF
echo "hello from a unikit package" >hello/etc/motd
cat >hello/tiny.c <<'EOF'
#include <stdio.h>
int main(void) { puts("tiny says hi"); return 0; }
EOF

test_expect_success 'show-tag prints ORG/IMAGE:TAG, the same each time' '
	unikit pkg show-tag hello >tag1 &&
	unikit pkg show-tag hello >tag2 &&
	test_cmp tag1 tag2 &&
	test_grep -E "^test/hello:[0-9a-f]{40}$" tag1 &&
	unikit pkg show-tag -org other hello >tag3 &&
	test "$(cut -d: -f2 tag3)" = "$(cut -d: -f2 tag1)" &&
	test_grep "^other/hello:" tag3
'

test_expect_success 'build stores the image under that name' '
	unikit pkg build hello >out 2>err &&
	test_cmp tag1 out &&
	test_grep "build test/hello:" err &&
	test_grep "fetch hello " err &&
	name=docker.io/$(cat tag1) &&
	jq -e --arg n "$name" "[.manifests[].annotations[\"org.opencontainers.image.ref.name\"]] | index(\$n)" \
		"$UNIKIT_CACHE/index.json" &&
	ls "$UNIKIT_DEB_CACHE"/hello_*.deb "$UNIKIT_DEB_CACHE"/busybox-static_*.deb
'

test_expect_success 'the image config holds the label, the platform and the command' '
	name=docker.io/$(cat tag1) &&
	pkg_config "$name" >config.json &&
	jq -e ".architecture == \"amd64\" and .os == \"linux\"" config.json &&
	jq -e ".config.Cmd == [\"/usr/bin/tiny\"]" config.json &&
	jq -e ".rootfs.diff_ids | length == 1" config.json &&
	pkg_label "$name" >label.json &&
	jq -e ".pid == \"host\" and .readonly == true" label.json &&
	jq -e ".capabilities == [\"CAP_SYS_ADMIN\"]" label.json &&
	jq -e ".devices[0].mode == \"0666\" and .devices[0].major == 5" label.json &&
	jq -r ".config.Labels[\"org.unikit.debian.packages\"]" config.json >debs &&
	test_grep -E "(^| )hello=[^ ]+" debs &&
	test_grep -E "(^| )libc6=[^ ]+" debs
'

test_expect_success 'the layer holds the packages, the files and the program' '
	name=docker.io/$(cat tag1) &&
	layer=$(pkg_layer "$name") &&
	pkg_manifest "$name" | jq -e ".layers[0].mediaType == \"application/vnd.oci.image.layer.v1.tar+gzip\"" &&
	bsdtar tvf "$layer" >list &&
	test_grep -E " usr/bin/hello$" list &&
	test_grep -E " bin/busybox$" list &&
	test_grep -E " bin/sh -> busybox$" list &&
	test_grep -E "^drwxrwxrwt .* tmp/?$" list &&
	test_grep -E " usr/share/doc/hello/copyright$" list &&
	! grep -E "usr/share/(man|info|locale)/" list &&
	! grep -E "usr/share/doc/hello/(changelog|NEWS)" list &&
	! grep -E "postinst|DEBIAN" list &&
	bsdtar xOf "$layer" etc/motd >motd &&
	test_cmp hello/etc/motd motd &&
	mkdir root && bsdtar xf "$layer" -C root &&
	root/usr/bin/tiny >tiny.out && test_grep "tiny says hi" tiny.out &&
	test "$(bsdtar tvf "$layer" | awk "{print \$3, \$4}" | sort -u)" = "0 0" &&
	! bsdtar tvf "$layer" | grep -v " 1970 " &&
	umoci unpack --rootless --image "$UNIKIT_CACHE:$name" bundle >/dev/null &&
	test -x bundle/rootfs/usr/bin/hello &&
	test -x bundle/rootfs/lib64/ld-linux-x86-64.so.2 -o -L bundle/rootfs/lib64/ld-linux-x86-64.so.2
'

test_expect_success 'a second build does nothing and says so' '
	cp "$UNIKIT_CACHE/index.json" index.before &&
	ls "$UNIKIT_CACHE/blobs/sha256" >blobs.before &&
	unikit pkg build hello >out 2>err &&
	test_cmp tag1 out &&
	test_grep "is already in the store, nothing to build" err &&
	! grep "fetch " err &&
	test_cmp index.before "$UNIKIT_CACHE/index.json" &&
	ls "$UNIKIT_CACHE/blobs/sha256" >blobs.after &&
	test_cmp blobs.before blobs.after
'

test_expect_success 'a forced rebuild, and a build into another store, give the same bytes' '
	name=docker.io/$(cat tag1) &&
	pkg_manifest "$name" | sha256sum >m1 &&
	unikit pkg build -q -force hello >/dev/null &&
	pkg_manifest "$name" | sha256sum >m2 &&
	test_cmp m1 m2 &&
	unikit pkg build -q -cache other-store hello >/dev/null &&
	skopeo inspect --raw "oci:other-store:$name" | sha256sum >m3 &&
	test_cmp m1 m3
'

test_expect_success 'show-tag changes when a file changes, and comes back with it' '
	echo "one more line" >>hello/etc/motd &&
	unikit pkg show-tag hello >tag4 &&
	! test_cmp tag1 tag4 &&
	echo "hello from a unikit package" >hello/etc/motd &&
	unikit pkg show-tag hello >tag5 &&
	test_cmp tag1 tag5 &&
	chmod +x hello/tiny.c &&
	unikit pkg show-tag hello >tag6 &&
	! test_cmp tag1 tag6 &&
	chmod -x hello/tiny.c
'

test_expect_success 'a Debian package that does not exist is an error naming it' '
	cp -r hello missing &&
	sed -i "s/packages: \[hello, busybox-static\]/packages: [hello, no-such-package-unikit]/" missing/build.yml &&
	ls "$UNIKIT_CACHE/blobs/sha256" >blobs.before &&
	test_must_fail unikit pkg build missing 2>err &&
	test_grep "unikit: error: .*debian package .no-such-package-unikit. not found" err &&
	test_must_fail unikit pkg show-tag missing 2>err &&
	test_grep "no-such-package-unikit" err &&
	ls "$UNIKIT_CACHE/blobs/sha256" >blobs.after &&
	test_cmp blobs.before blobs.after
'

test_expect_success 'a pinned version the archive lacks is an error naming it' '
	cp -r hello pinned &&
	sed -i "s/packages: \[hello, busybox-static\]/packages: [hello=0.0-0]/; s/^debian:/debian:\n  resolve: false/" pinned/build.yml &&
	test_must_fail unikit pkg show-tag pinned 2>err &&
	test_grep "debian package .hello. version .0.0-0. not found" err
'

test_expect_success 'build.yml mistakes are reported where they are' '
	mkdir bad &&
	printf "image: bad\nfiels: []\n" >bad/build.yml &&
	test_must_fail unikit pkg build bad 2>err &&
	test_grep "bad/build.yml:2:1: unknown key .fiels. in build.yml (did you mean .files.?)" err &&
	printf "image: bad\nfiles:\n  - {src: nothere, dst: /x}\n" >bad/build.yml &&
	test_must_fail unikit pkg show-tag bad 2>err &&
	test_grep "bad/build.yml:3:5: .src. .nothere.: No such file or directory" err &&
	test_must_fail unikit pkg build nodir 2>err &&
	test_grep "nodir" err
'

test_expect_success 'a program that does not compile fails the build and stores nothing' '
	cp -r hello broken &&
	echo "this is not C" >>broken/tiny.c &&
	ls "$UNIKIT_CACHE/blobs/sha256" >blobs.before &&
	test_must_fail unikit pkg build broken 2>err &&
	test_grep "broken/build.yml:16:5: build .usr/bin/tiny.: .musl-gcc. exited with status 1" err &&
	ls "$UNIKIT_CACHE/blobs/sha256" >blobs.after &&
	test_cmp blobs.before blobs.after
'

test_expect_success 'a damaged .deb in the cache is fetched again' '
	deb=$(ls "$UNIKIT_DEB_CACHE"/hello_*.deb) &&
	printf "garbage" >"$deb" &&
	unikit pkg build -force hello >/dev/null 2>err &&
	sha256sum "$deb" | cut -d" " -f1 >got &&
	apt-cache show "hello=$(jq -r ".config.Labels[\"org.unikit.debian.packages\"]" config.json |
		tr " " "\n" | sed -n "s/^hello=//p")" | sed -n "s/^SHA256: //p" | head -n 1 >want &&
	test_cmp want got
'

test_done
