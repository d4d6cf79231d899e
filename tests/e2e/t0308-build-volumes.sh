#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Volumes: blank, filled from an image (unpacked, or as an OCI layout), read-only, and binds
# that name them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'import the fixture images' '
	import_fixtures
'

cat >"$TRASH/v.yml" <<'EOF2'
onboot:
  - name: user
    image: unikit.test/onboot:1
    binds:
      - blank:/blank
      - data:/data:ro
    mounts:
      - type: bind
        source: layout
        destination: /layout
        options: ["rbind", "ro"]
volumes:
  - name: blank
  - name: data
    image: unikit.test/volume:1
    readonly: true
  - name: layout
    image: unikit.test/volume:1
    format: oci
EOF2

test_expect_success 'build' '
	unikit build -format tar v.yml &&
	mkdir r && bsdtar -xf v.tar -C r
'

test_expect_success 'volume directories: lower, tmp, merged' '
	for v in blank data layout; do
		test -d r/containers/volumes/$v/lower &&
		test -d r/containers/volumes/$v/tmp &&
		test -d r/containers/volumes/$v/merged || exit 1
	done &&
	test -z "$(ls r/containers/volumes/blank/lower)"
'

test_expect_success 'an image volume is unpacked in lower/' '
	printf "volume data\n" >expect &&
	test_cmp expect r/containers/volumes/data/lower/data/file
'

test_expect_success 'format oci stores the image as an OCI layout that skopeo reads' '
	jq -e ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"] == \"unikit.test/volume:1\"" \
		r/containers/volumes/layout/lower/index.json &&
	skopeo inspect "oci:r/containers/volumes/layout/lower:unikit.test/volume:1" >inspect &&
	jq -e ".Layers | length == 1" inspect
'

test_expect_success 'binds and bind mounts naming a volume mount its merged directory' '
	c=r/containers/onboot/000-user/config.json &&
	jq -e ".mounts[] | select(.destination == \"/blank\") | .source == \"/containers/volumes/blank/merged\"" $c &&
	jq -e ".mounts[] | select(.destination == \"/data\") | .source == \"/containers/volumes/data/merged\"" $c &&
	jq -e ".mounts[] | select(.destination == \"/layout\") | .source == \"/containers/volumes/layout/merged\"" $c
'

test_expect_success 'init.conf mounts each volume: an overlay, read-only when asked' '
	test_grep -x "mount	overlay	overlay	/containers/volumes/data/merged	lowerdir=/containers/volumes/data/lower,upperdir=/containers/volumes/data/tmp/upper,workdir=/containers/volumes/data/tmp/work,ro" \
		r/containers/volumes/data/init.conf &&
	test_grep -x "mount	tmpfs	tmpfs	/containers/volumes/blank/tmp	-" r/containers/volumes/blank/init.conf
'

test_expect_success 'a read-write bind of a read-only volume is refused' '
	sed "s|data:/data:ro|data:/data|" v.yml >bad.yml &&
	test_must_fail unikit build -format tar bad.yml 2>err &&
	test_grep "bad.yml:[0-9]*:[0-9]*: volume .data. is read-only" err
'

test_done
