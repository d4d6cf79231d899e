#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HTTP basic authentication (htpasswd): credentials from UNIKIT_REGISTRY_AUTH,
# ~/.docker/config.json auths, credHelpers and credsStore; none of them ever
# shows in an output, an error or the store.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"
command -v htpasswd >/dev/null || test_skip_all "htpasswd (apache2-utils) is not installed"

PASS='s3cret-Pa55word'
registry_start auth --htpasswd "alice:$PASS"
PORT=$REG_PORT
R=127.0.0.1:$PORT
fixture_image "$TRASH/lay" img --layers 2
skopeo copy -q --dest-tls-verify=false --dest-creds "alice:$PASS" oci:"$TRASH/lay":img docker://$R/priv/img:1
WANT=$(store_digest_in "$TRASH/lay/index.json" img)
B64=$(printf 'alice:%s' "$PASS" | base64 -w0)

# A credential helper (docker-credential-unikittest): knows alice for $R only.
mkdir -p "$TRASH/bin"
cat >"$TRASH/bin/docker-credential-unikittest" <<HELPER
#!/bin/sh
read -r host || true
echo "\$1 \$host" >>"$TRASH/helper.log"
if [ "\$1" = get ] && [ "\$host" = "$R" ]; then
	printf '{"ServerURL":"%s","Username":"alice","Secret":"%s"}\n' "\$host" "$PASS"
	exit 0
fi
echo "credentials not found in native keychain"
exit 1
HELPER
chmod +x "$TRASH/bin/docker-credential-unikittest"
export PATH="$TRASH/bin:$PATH"

docker_config() {
	mkdir -p "$DOCKER_CONFIG" && printf '%s\n' "$1" >"$DOCKER_CONFIG/config.json"
}

test_expect_success 'without credentials: HTTP 401 UNAUTHORIZED, and where to put them' '
	test_must_fail unikit cache pull -q $R/priv/img:1 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "registry .$R. repository .priv/img.: get manifest .1.: HTTP 401 UNAUTHORIZED.*no credentials found: see UNIKIT_REGISTRY_AUTH" err
'

test_expect_success 'wrong credentials: refused, the user named, the password not' '
	test_must_fail env UNIKIT_REGISTRY_AUTH="$R=alice:wrong-guess-77" "$UNIKIT" \
		cache pull -q $R/priv/img:1 2>err &&
	grep -q "HTTP 401 UNAUTHORIZED.*credentials of user .alice. refused" err &&
	test_must_fail grep -q "wrong-guess-77" err
'

test_expect_success 'UNIKIT_REGISTRY_AUTH (several entries, escapes) authenticates' '
	UNIKIT_REGISTRY_AUTH="other.example=bob:x\\,y,$R=alice:$PASS" \
		unikit cache pull $R/priv/img:1 2>err &&
	test "$(store_digest $R/priv/img:1)" = "$WANT"
'

test_expect_success 'a malformed UNIKIT_REGISTRY_AUTH names the entry, not its secret' '
	test_must_fail env UNIKIT_REGISTRY_AUTH="$R=alice$PASS" "$UNIKIT" cache pull -q $R/priv/img:1 2>err &&
	grep -q "UNIKIT_REGISTRY_AUTH: entry 1 (.$R.): expected HOST=USER:PASSWORD" err &&
	test_must_fail grep -q "$PASS" err
'

test_expect_success 'docker config auths (base64 auth) authenticates' '
	rm -rf "$UNIKIT_CACHE" &&
	docker_config "{\"auths\": {\"https://$R/v1/\": {\"auth\": \"$B64\"}}}" &&
	unikit cache pull $R/priv/img:1 2>>all-err &&
	test "$(store_digest $R/priv/img:1)" = "$WANT"
'

test_expect_success 'docker config credHelpers runs docker-credential-NAME get with the host' '
	rm -rf "$UNIKIT_CACHE" helper.log &&
	docker_config "{\"credHelpers\": {\"$R\": \"unikittest\"}}" &&
	unikit cache pull $R/priv/img:1 2>>all-err &&
	test "$(store_digest $R/priv/img:1)" = "$WANT" &&
	grep -q "^get $R\$" helper.log
'

test_expect_success 'docker config credsStore is asked for every registry' '
	rm -rf "$UNIKIT_CACHE" &&
	docker_config "{\"auths\": {\"$R\": {}}, \"credsStore\": \"unikittest\"}" &&
	unikit cache pull $R/priv/img:1 2>>all-err &&
	test "$(store_digest $R/priv/img:1)" = "$WANT"
'

test_expect_success 'a helper that does not know the host means no credentials' '
	docker_config "{\"credHelpers\": {\"$R\": \"unikittest\"}}" &&
	test_must_fail env UNIKIT_REGISTRY_AUTH=x=y:z "$UNIKIT" cache pull -q localhost:$PORT/priv/img:1 2>err &&
	grep -q "HTTP 401" err
'

test_expect_success 'a helper that is not installed is an error naming it' '
	docker_config "{\"credHelpers\": {\"$R\": \"missinghelper\"}}" &&
	test_must_fail unikit cache pull -q $R/priv/img:1 2>err &&
	grep -q "docker-credential-missinghelper" err
'

test_expect_success 'a broken docker config is an error with its position' '
	docker_config "{\"auths\": " &&
	test_must_fail unikit cache pull -q $R/priv/img:1 2>err &&
	grep -q "config.json:[0-9]*:[0-9]*:" err
'

test_expect_success 'push with basic auth; skopeo reads it with the same credentials' '
	docker_config "{\"auths\": {\"$R\": {\"auth\": \"$B64\"}}}" &&
	unikit cache push $R/priv/img:1 $R/priv/copy:2 2>>all-err &&
	skopeo inspect --tls-verify=false --creds "alice:$PASS" docker://$R/priv/copy:2 >inspect &&
	test "$(skopeo inspect --raw --tls-verify=false --creds "alice:$PASS" docker://$R/priv/copy:2 |
		sha256sum | cut -d" " -f1)" = "${WANT#sha256:}"
'

test_expect_success 'the password and its base64 appear in no output, error or store file' '
	test -s all-err &&
	test_must_fail grep -rqF -e "$PASS" -e "$B64" all-err err "$UNIKIT_CACHE"
'

test_done
