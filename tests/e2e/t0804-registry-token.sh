#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The bearer token flow: docker-registry in `auth: token` mode trusts JWTs
# from a token server written for the tests (tests/fixtures/token-server.py);
# tokens are fetched per scope and cached; identity tokens take the OAuth2
# refresh-token grant; push mounts across repositories with a two-scope token.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

PASS='t0ken-Pa55'
token_server_start --user "alice:$PASS" --refresh idtok-7788=alice --anonymous-pull public/
registry_start tok --token "$TOKEN_PORT"
R=127.0.0.1:$REG_PORT
fixture_image "$TRASH/lay" img --layers 3
for repo in public/img priv/img; do
	skopeo copy -q --dest-tls-verify=false --dest-creds "alice:$PASS" \
		oci:"$TRASH/lay":img docker://$R/$repo:1
done
WANT=$(store_digest_in "$TRASH/lay/index.json" img)

docker_config() {
	mkdir -p "$DOCKER_CONFIG" && printf '%s\n' "$1" >"$DOCKER_CONFIG/config.json"
}

test_expect_success 'anonymous pull of a public repository with an anonymous token' '
	: >"$TOKEN_LOG" &&
	unikit cache pull -q $R/public/img:1 &&
	test "$(store_digest $R/public/img:1)" = "$WANT" &&
	grep -q "^TOKEN - repository:public/img:pull\$" "$TOKEN_LOG"
'

test_expect_success 'one token for the scope serves the manifest and every blob' '
	test "$(grep -c . "$TOKEN_LOG")" = 1
'

test_expect_success 'a private repository without credentials: HTTP 401 UNAUTHORIZED' '
	test_must_fail unikit cache pull -q $R/priv/img:1 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "registry .$R. repository .priv/img.: get manifest .1.: HTTP 401 UNAUTHORIZED" err
'

test_expect_success 'with credentials the token server grants the pull' '
	rm -rf "$UNIKIT_CACHE" && : >"$TOKEN_LOG" &&
	UNIKIT_REGISTRY_AUTH="$R=alice:$PASS" unikit cache pull $R/priv/img:1 2>>all-err &&
	test "$(store_digest $R/priv/img:1)" = "$WANT" &&
	test "$(grep -c "^TOKEN alice repository:priv/img:pull\$" "$TOKEN_LOG")" = 1
'

test_expect_success 'wrong credentials: the token server refusal, in one line' '
	test_must_fail env UNIKIT_REGISTRY_AUTH="$R=alice:nope-9911" "$UNIKIT" \
		cache pull -q $R/priv/img:1 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "get token from .http://127.0.0.1:$TOKEN_PORT/token.: HTTP 401 UNAUTHORIZED: bad credentials" err &&
	test_must_fail grep -q "nope-9911" err
'

test_expect_success 'an identity token in the docker config takes the refresh-token grant' '
	rm -rf "$UNIKIT_CACHE" && : >"$TOKEN_LOG" &&
	docker_config "{\"auths\": {\"$R\": {\"auth\": \"\", \"identitytoken\": \"idtok-7788\"}}}" &&
	unikit cache pull -q $R/priv/img:1 2>>all-err &&
	test "$(store_digest $R/priv/img:1)" = "$WANT" &&
	grep -q "^TOKEN alice repository:priv/img:pull\$" "$TOKEN_LOG" &&
	rm "$DOCKER_CONFIG/config.json"
'

test_expect_success 'push with a pull,push token; skopeo reads the result' '
	: >"$TOKEN_LOG" &&
	UNIKIT_REGISTRY_AUTH="$R=alice:$PASS" unikit cache push $R/priv/img:1 $R/team/new:1 2>>all-err &&
	grep -q "^TOKEN alice repository:team/new:pull,push\$" "$TOKEN_LOG" &&
	test "$(skopeo inspect --raw --tls-verify=false --creds "alice:$PASS" docker://$R/team/new:1 |
		sha256sum | cut -d" " -f1)" = "${WANT#sha256:}"
'

test_expect_success 'a push to another repository mounts the blobs with a two-scope token' '
	: >"$TOKEN_LOG" &&
	UNIKIT_REGISTRY_AUTH="$R=alice:$PASS" unikit cache push $R/priv/img:1 $R/team/other:1 2>err &&
	cat err >>all-err &&
	test "$(grep -c ": mounted" err)" = 4 &&
	grep -q "^TOKEN alice repository:team/other:pull,push repository:[a-z/]*:pull\$" "$TOKEN_LOG" &&
	skopeo inspect --tls-verify=false --creds "alice:$PASS" docker://$R/team/other:1 >/dev/null
'

test_expect_success 'no secret in any output or in the store' '
	test_must_fail grep -rqF -e "$PASS" -e idtok-7788 all-err err "$UNIKIT_CACHE"
'

test_done
