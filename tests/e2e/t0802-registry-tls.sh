#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# TLS: a registry with a certificate from a CA the test makes is trusted
# through certs.d (UNIKIT_CERTS_D), -cert-file, or not verified when listed
# as insecure; mirrors (-mirror REGISTRY=URL) take the place of a registry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start tls --tls
TLS_PORT=$REG_PORT
CA="$TRASH/tls/tls/ca.crt"
registry_start mtls --tls --client-certs
MTLS_PORT=$REG_PORT
MTLS="$TRASH/mtls/tls"
registry_start plain
PLAIN_PORT=$REG_PORT
fixture_image "$TRASH/lay" img --layers 2
skopeo copy -q --dest-tls-verify=false oci:"$TRASH/lay":img docker://127.0.0.1:$TLS_PORT/secure/img:1
skopeo copy -q --dest-tls-verify=false oci:"$TRASH/lay":img docker://127.0.0.1:$TLS_PORT/mirrored/img:1
skopeo_push "$TRASH/lay" img "127.0.0.1:$PLAIN_PORT/library/plain:1"
mkdir -p "$TRASH/skopeo-certs"
cp "$MTLS/ca.crt" "$MTLS/client.cert" "$MTLS/client.key" "$TRASH/skopeo-certs/"
skopeo copy -q --dest-cert-dir "$TRASH/skopeo-certs" oci:"$TRASH/lay":img docker://127.0.0.1:$MTLS_PORT/mtls/img:1
WANT=$(store_digest_in "$TRASH/lay/index.json" img)

test_expect_success 'an unknown CA is refused, with no fallback to plain HTTP' '
	test_must_fail unikit cache pull -q 127.0.0.1:$TLS_PORT/secure/img:1 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "registry .127.0.0.1:$TLS_PORT.: connect: .*certificate" err &&
	store_is_clean
'

test_expect_success 'the CA in certs.d/HOST:PORT/ca.crt is trusted' '
	mkdir -p "$UNIKIT_CERTS_D/127.0.0.1:$TLS_PORT" &&
	cp "$CA" "$UNIKIT_CERTS_D/127.0.0.1:$TLS_PORT/ca.crt" &&
	unikit cache pull -q 127.0.0.1:$TLS_PORT/secure/img:1 &&
	test "$(store_digest 127.0.0.1:$TLS_PORT/secure/img:1)" = "$WANT" &&
	rm -r "$UNIKIT_CERTS_D/127.0.0.1:$TLS_PORT"
'

test_expect_success '-cert-file adds a CA' '
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache pull -q -cert-file "$CA" 127.0.0.1:$TLS_PORT/secure/img:1 &&
	test "$(store_digest 127.0.0.1:$TLS_PORT/secure/img:1)" = "$WANT"
'

test_expect_success '-cert-file with no certificate in it is an error' '
	echo nothing >bad.crt &&
	test_must_fail unikit cache pull -q -cert-file bad.crt 127.0.0.1:$TLS_PORT/secure/img:1 2>err &&
	grep -q "CA certificate .bad.crt.: no PEM certificate" err
'

test_expect_success '-insecure-registry skips verification' '
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache pull -q -insecure-registry 127.0.0.1:$TLS_PORT 127.0.0.1:$TLS_PORT/secure/img:1 &&
	test "$(store_digest 127.0.0.1:$TLS_PORT/secure/img:1)" = "$WANT"
'

test_expect_success 'UNIKIT_INSECURE_REGISTRIES does the same' '
	rm -rf "$UNIKIT_CACHE" &&
	UNIKIT_INSECURE_REGISTRIES="other:1,127.0.0.1:$TLS_PORT" \
		unikit cache pull -q 127.0.0.1:$TLS_PORT/secure/img:1 &&
	test "$(store_digest 127.0.0.1:$TLS_PORT/secure/img:1)" = "$WANT"
'

test_expect_success 'a registry that wants a client certificate refuses a client without one' '
	mkdir -p "$UNIKIT_CERTS_D/127.0.0.1:$MTLS_PORT" &&
	cp "$MTLS/ca.crt" "$UNIKIT_CERTS_D/127.0.0.1:$MTLS_PORT/ca.crt" &&
	test_must_fail unikit cache pull -q 127.0.0.1:$MTLS_PORT/mtls/img:1 2>err &&
	grep -q "registry .127.0.0.1:$MTLS_PORT." err
'

test_expect_success 'certs.d/HOST:PORT/client.cert and client.key authenticate the client' '
	cp "$MTLS/client.cert" "$MTLS/client.key" "$UNIKIT_CERTS_D/127.0.0.1:$MTLS_PORT/" &&
	unikit cache pull -q 127.0.0.1:$MTLS_PORT/mtls/img:1 &&
	test "$(store_digest 127.0.0.1:$MTLS_PORT/mtls/img:1)" = "$WANT"
'

test_expect_success 'a client certificate without its key is an error' '
	rm "$UNIKIT_CERTS_D/127.0.0.1:$MTLS_PORT/client.key" &&
	test_must_fail unikit cache pull -q 127.0.0.1:$MTLS_PORT/mtls/img:1 2>err &&
	grep -q "client certificate .*client.cert. has no key" err
'

test_expect_success '-mirror docker.io=https://... pulls Docker Hub names from the mirror' '
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache pull -q -cert-file "$CA" -mirror docker.io=https://127.0.0.1:$TLS_PORT mirrored/img:1 &&
	test "$(store_digest docker.io/mirrored/img:1)" = "$WANT"
'

test_expect_success '-mirror URL (every registry) over plain HTTP' '
	unikit cache pull -q -mirror http://127.0.0.1:$PLAIN_PORT plain:1 &&
	test "$(store_digest docker.io/library/plain:1)" = "$WANT"
'

test_expect_success 'an https:// mirror that speaks plain HTTP fails: no silent downgrade' '
	test_must_fail unikit cache pull -q -mirror docker.io=https://127.0.0.1:$PLAIN_PORT plain:1 2>err &&
	grep -q "registry .docker.io. (mirror .https://127.0.0.1:$PLAIN_PORT.): connect:" err
'

test_expect_success 'a mirror URL without a scheme is a usage error' '
	test_must_fail unikit cache pull -q -mirror docker.io=127.0.0.1:1 plain:1 2>err &&
	grep -q "mirror" err
'

test_done
