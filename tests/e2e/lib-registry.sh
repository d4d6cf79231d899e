# SPDX-License-Identifier: Apache-2.0
# Helpers for the registry tests (t08xx): real registries (Debian's
# docker-registry), a token server and a fault-injecting proxy, all on
# 127.0.0.1, started by the test script (outside test bodies, so the
# variables they set stay) and stopped when it exits.
#
#   registry_start NAME [--tls [--client-certs]] [--htpasswd USER:PASS] [--token TOKEN_PORT]
#                                 sets REG_PORT; NAME's data is $TRASH/NAME/
#   registry_stop NAME
#   token_server_start [ARGS]     sets TOKEN_PORT (users, refresh tokens: see token-server.py)
#   proxy_start MODE UPSTREAM [--times N] [--match S]
#                                 sets PROXY_PORT and PROXY_LOG
#   make_ca DIR                   DIR/ca.crt, DIR/server.crt, DIR/server.key for 127.0.0.1,
#                                 DIR/client.cert, DIR/client.key (a client certificate)
#   fixture_image LAYOUT TAG ARGS...   an OCI layout made by tests/fixtures/oci-image.py
#   skopeo_push LAYOUT TAG HOST:PORT/REPO:TAG   copies into a plain-HTTP registry

FIXTURE_DIR="$TOP/tests/fixtures"
# (not "certs.d": the Makefile includes every *.d under build/)
export UNIKIT_CERTS_D="$TRASH/docker-certs"
mkdir -p "$UNIKIT_CERTS_D"
# A user's Docker config must not leak into the tests.
export DOCKER_CONFIG="$TRASH/docker-config"
unset UNIKIT_REGISTRY_AUTH UNIKIT_INSECURE_REGISTRIES

for tool in docker-registry skopeo openssl python3; do
	command -v "$tool" >/dev/null 2>&1 || test_skip_all "$tool is not installed"
done

# Waits until something accepts connections on 127.0.0.1:PORT.
wait_port() {
	local port=$1 i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$port" >&2
	return 1
}

make_ca() {
	local dir=$1
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=unikit-test-ca \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$dir/ext.cnf"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=unikit-client \
		-keyout "$dir/client.key" -out "$dir/client.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >"$dir/client.cnf"
	openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/client.cnf" -out "$dir/client.cert" 2>/dev/null
}

registry_start() {
	local name=$1 tls=false clientcas=false htpasswd="" token=""
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--tls) tls=true ;;
		--client-certs) clientcas=true ;;
		--htpasswd) htpasswd=$2; shift ;;
		--token) token=$2; shift ;;
		esac
		shift
	done
	local dir="$TRASH/$name"
	mkdir -p "$dir/data"
	REG_PORT=$(free_port)
	{
		echo "version: 0.1"
		echo "log: {level: error, accesslog: {disabled: true}}"
		echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
		echo "http:"
		echo "  addr: 127.0.0.1:$REG_PORT"
		echo "  secret: unikit-test"
		if $tls; then
			make_ca "$dir/tls"
			echo "  tls:"
			echo "    certificate: $dir/tls/server.crt"
			echo "    key: $dir/tls/server.key"
			$clientcas && echo "    clientcas: [$dir/tls/ca.crt]"
		fi
		if [ -n "$htpasswd" ]; then
			htpasswd -Bbn "${htpasswd%%:*}" "${htpasswd#*:}" >"$dir/htpasswd"
			echo "auth: {htpasswd: {realm: unikit-test, path: $dir/htpasswd}}"
		fi
		if [ -n "$token" ]; then
			echo "auth:"
			echo "  token: {realm: 'http://127.0.0.1:$token/token', service: unikit-registry,"
			echo "          issuer: unikit-issuer, rootcertbundle: $TRASH/token/cert.pem}"
		fi
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	test_at_exit "kill $(cat "$dir/pid")"
	wait_port "$REG_PORT"
}

registry_stop() {
	local pid
	pid=$(cat "$TRASH/$1/pid")
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

token_server_start() {
	local dir="$TRASH/token"
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=unikit-token \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
	TOKEN_PORT=$(free_port)
	TOKEN_LOG="$dir/log"
	: >"$TOKEN_LOG"
	python3 "$FIXTURE_DIR/token-server.py" "$TOKEN_PORT" "$dir/key.pem" "$dir/cert.pem" \
		unikit-registry unikit-issuer "$TOKEN_LOG" "$@" >"$dir/out" 2>&1 &
	test_at_exit "kill $!"
	wait_port "$TOKEN_PORT"
}

proxy_start() {
	local mode=$1 upstream=$2
	shift 2
	PROXY_PORT=$(free_port)
	PROXY_LOG="$TRASH/proxy-$PROXY_PORT.log"
	: >"$PROXY_LOG"
	python3 "$FIXTURE_DIR/registry-proxy.py" "$PROXY_PORT" "$upstream" "$PROXY_LOG" \
		--fault "$mode" "$@" >"$TRASH/proxy-$PROXY_PORT.out" 2>&1 &
	echo $! >"$TRASH/proxy-$PROXY_PORT.pid"
	test_at_exit "kill $!"
	wait_port "$PROXY_PORT"
}

proxy_stop() {
	kill "$(cat "$TRASH/proxy-$1.pid")" 2>/dev/null || true
}

fixture_image() {
	local layout=$1 tag=$2
	shift 2
	python3 "$FIXTURE_DIR/oci-image.py" "$layout" "$tag" "$@" >/dev/null
}

skopeo_push() {
	skopeo copy -q --all --dest-tls-verify=false "oci:$1:$2" "docker://$3" >/dev/null
}

# The digest a registry serves for a reference (of the index, for an index).
skopeo_digest() {
	skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | sed 's/ .*//;s/^/sha256:/'
}

# The digest the store names a reference by.
store_digest() {
	jq -r --arg n "$1" \
		'.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' \
		"$UNIKIT_CACHE/index.json"
}

# The digest an OCI layout's index.json names TAG by.
store_digest_in() {
	jq -r --arg n "$2" \
		'.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' "$1"
}

# Fails when any temporary file is left in the store, or a blob that does not
# match its name. (Partial downloads kept in registry-partial/ are not blobs.)
store_is_clean() {
	local left
	left=$(find "$UNIKIT_CACHE" -type f ! -path '*/blobs/sha256/*' ! -name index.json \
		! -name oci-layout ! -path '*/registry-sources/*' ! -path '*/registry-partial/*' \
		! -name '.*lock' | head -n 5)
	if [ -n "$left" ]; then
		echo "left in the store: $left" >&2
		return 1
	fi
	# every blob matches its name
	local f
	for f in "$UNIKIT_CACHE"/blobs/sha256/*; do
		[ -f "$f" ] || continue
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || {
			echo "corrupt blob $f" >&2
			return 1
		}
	done
}

# Uploads an entry of an OCI layout as it is (any media type, Docker's too) to a
# plain-HTTP registry with curl: an implementation independent of unikit's.
#   curl_push LAYOUT TAG HOST:PORT/REPO:TAG
curl_push() {
	local layout=$1 tag=$2 dest=$3
	local hostrepo=${dest%:*} rtag=${dest##*:}
	local top
	top=$(jq -r --arg t "$tag" \
		'.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
		"$layout/index.json")
	_curl_push_manifest "$layout" "${hostrepo%%/*}" "${hostrepo#*/}" "$top" "$rtag"
}

_curl_push_blob() {
	local layout=$1 host=$2 repo=$3 digest=$4 loc sep
	loc=$(curl -fsS -X POST -D - -o /dev/null "http://$host/v2/$repo/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	case "$loc" in http*) ;; *) loc="http://$host$loc" ;; esac
	sep='?'
	case "$loc" in *\?*) sep='&' ;; esac
	curl -fsS -X PUT -H 'Content-Type: application/octet-stream' \
		--data-binary "@$layout/blobs/sha256/${digest#sha256:}" "$loc${sep}digest=$digest" >/dev/null
}

_curl_push_manifest() {
	local layout=$1 host=$2 repo=$3 digest=$4 ref=$5 f mt d
	f="$layout/blobs/sha256/${digest#sha256:}"
	mt=$(jq -r .mediaType "$f")
	case "$mt" in
	*index* | *list*)
		for d in $(jq -r '.manifests[].digest' "$f"); do
			_curl_push_manifest "$layout" "$host" "$repo" "$d" "$d"
		done
		;;
	*)
		for d in $(jq -r '.config.digest, .layers[].digest' "$f"); do
			_curl_push_blob "$layout" "$host" "$repo" "$d"
		done
		;;
	esac
	curl -fsS -X PUT -H "Content-Type: $mt" --data-binary "@$f" \
		"http://$host/v2/$repo/manifests/$ref" >/dev/null
}
