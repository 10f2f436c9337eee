#!/bin/sh
# gen.sh: makes the test PKI that scenarios and benchmarks use.
#
#   certs/gen.sh [DIR]        (default: certs/out beside this script)
#
# One step, with the openssl command line only: RSA-2048 keys (one P-256
# key), SHA-256 signatures, fixed serials and fixed dates where tests rely
# on them (certs/README.md lists every file, DN, serial and date).
#
# Idempotent and cheap when there is nothing to do: DIR/.stamp holds the
# checksum of this script, written last, once every file is in place. When
# the stamp matches and every file is there, gen.sh exits at once. Else it
# generates everything again, in a private directory inside DIR, and moves
# the files in only when all of them were made, so a failed or interrupted
# run never leaves a mixed set behind. A lock directory (DIR/.lock) keeps
# two concurrent runs on the same DIR from interleaving.
set -e

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/out}

# Every file a complete PKI holds (.stamp aside).
files="ca.crt ca.key ca2.crt ca2.key ca-bundle.crt inter.crt inter.key
server.crt server.key server.pem www.crt www.key www.pem
wild.crt wild.key wild.pem server-ecdsa.crt server-ecdsa.key server-ecdsa.pem
client1.crt client1.key client1.pem client-expired.crt client-expired.key
client-expired.pem client-notyet.crt client-notyet.key client-notyet.pem
client-revoked.crt client-revoked.key client-revoked.pem
client-untrusted.crt client-untrusted.key client-untrusted.pem
crl.pem ca2-crl.pem crl-bundle.pem"

die() {
	echo "gen.sh: $*" >&2
	exit 1
}

command -v openssl >/dev/null 2>&1 ||
	die "the openssl command is missing (Debian: apt-get install openssl)"
stamp=$(cksum <"$here/gen.sh" | cut -d' ' -f1)

# Prints nothing and succeeds when DIR already holds a complete PKI made
# by this very version of gen.sh.
pki_complete() {
	[ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] || return 1
	for f in $files; do
		[ -s "$dir/$f" ] || return 1
	done
	return 0
}

pki_complete && exit 0

mkdir -p "$dir" 2>/dev/null || die "cannot create $dir"
[ -w "$dir" ] || die "$dir is not writable"

# The lock: mkdir is atomic. A run killed with the lock held leaves it;
# it is taken over once older than a minute (a run takes seconds).
lock="$dir/.lock"
tries=0
until mkdir "$lock" 2>/dev/null; do
	if [ -n "$(find "$lock" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then
		rmdir "$lock" 2>/dev/null || true
		continue
	fi
	tries=$((tries + 1))
	[ "$tries" -le 300 ] || die "$lock is held by another gen.sh for 30s (remove it if none runs)"
	sleep 0.1
done
work="$dir/.gen.$$"
trap 'rm -rf "$work"; rmdir "$lock" 2>/dev/null || true' EXIT
trap 'exit 1' HUP INT TERM

# Another run may have finished while we waited for the lock.
pki_complete && exit 0

rm -rf "$work"
mkdir "$work"
cd "$work"
# openssl reads $ENV::CA_DIR from ca.cnf whatever the command.
CA_DIR=$work
export CA_DIR

# run LOG WHAT COMMAND...: runs COMMAND with its output in LOG; on failure
# prints what failed and the log, and stops (the whole script, or the
# background job it runs in, which then fails the wait below).
run() {
	log=$1 what=$2
	shift 2
	if ! "$@" >"$log" 2>&1; then
		echo "gen.sh: $what failed: $*" >&2
		sed 's/^/    /' "$log" >&2
		exit 1
	fi
}

# Steps run as background jobs, a batch at a time: openssl start-up and
# key generation are most of the time, and they need no order inside a
# batch. jobs_wait waits for the batch and stops if any job failed.
pids=""
jobs_wait() {
	jfail=""
	for p in $pids; do
		wait "$p" || jfail=1
	done
	pids=""
	[ -z "$jfail" ] || exit 1
}

dn_base="/C=FR/ST=Ile de France/L=Jouy en Josas/O=haproxy.com"
email="/emailAddress=ba@haproxy.com"

# One configuration serves the three CAs: $ENV::CA_DIR picks the CA's
# database, -extensions picks what the certificate is for.
cat >ca.cnf <<'EOF'
[ca]
default_ca = ca_default

[ca_default]
dir = $ENV::CA_DIR
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = yes
default_crl_days = 36500

[policy_any]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
emailAddress = optional

[req]
distinguished_name = req_dn
prompt = no
string_mask = utf8only

[req_dn]
CN = unused

[v3_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[v3_inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[srv_localhost]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1

[srv_ecdsa]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1

[srv_www]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.test

[srv_wild]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:*.api.example.test

[client]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# Keys. An RSA-2048 key takes 0.1 to 1 s, so only five are made: one per
# CA, one for the RSA server certificates and one for the client
# certificates. Those certificates differ by everything but their key,
# which no test relies on.
for k in ca ca2 inter server client1; do
	run "$k.keylog" "the key of $k" openssl genpkey -algorithm RSA \
		-pkeyopt rsa_keygen_bits:2048 -out "$k.key" &
	pids="$pids $!"
done
run server-ecdsa.keylog "the key of server-ecdsa" openssl genpkey -algorithm EC \
	-pkeyopt ec_paramgen_curve:P-256 -out server-ecdsa.key &
pids="$pids $!"
jobs_wait
cp server.key www.key
cp server.key wild.key
for c in client-expired client-notyet client-revoked client-untrusted; do
	cp client1.key "$c.key"
done

# sign CA NAME SUBJECT EXTENSIONS SERIAL START END [selfsign]
# Makes NAME.crt for NAME.key, signed by CA with openssl ca. Each
# certificate has its own CA database (db-NAME), so signatures can run in
# parallel and the serial is the one given. The DN keeps the order it is
# written in (-preserveDN).
sign() {
	ca=$1 name=$2 subj=$3 ext=$4 serial=$5 start=$6 end=$7
	mkdir "db-$name"
	: >"db-$name/index.txt"
	echo 01 >"db-$name/crlnumber"
	echo "$serial" >"db-$name/serial"
	run "$name.log" "the request of $name" openssl req -new -config ca.cnf \
		-key "$name.key" -subj "$subj" -out "$name.csr"
	if [ "$8" = selfsign ]; then
		set -- -selfsign -keyfile "$ca.key"
	else
		set -- -cert "$ca.crt" -keyfile "$ca.key"
	fi
	CA_DIR="$work/db-$name"
	export CA_DIR
	run "$name.log" "signing $name" openssl ca -batch -config ca.cnf \
		-notext -preserveDN -md sha256 -extensions "$ext" \
		-startdate "$start" -enddate "$end" "$@" -in "$name.csr" -out "$name.crt"
}

# The roots. ca's DN is the seed's issuer DN.
sign ca ca "$dn_base/CN=haproxy.com$email" v3_root 01 \
	20130101000000Z 21130101000000Z selfsign &
pids="$pids $!"
sign ca2 ca2 "$dn_base/CN=Untrusted Test CA$email" v3_root 02 \
	20130101000000Z 21130101000000Z selfsign &
pids="$pids $!"
jobs_wait

# The intermediate and the client certificates, from the roots.
sign ca inter "$dn_base/CN=haproxy.com Intermediate CA$email" v3_inter 10 \
	20130101000000Z 21130101000000Z &
pids="$pids $!"
sign ca client1 "$dn_base/CN=client1$email" client 1001 \
	130613144555Z 380613144555Z &
pids="$pids $!"
sign ca client-expired "$dn_base/CN=client-expired$email" client 1002 \
	130613144555Z 140613144555Z &
pids="$pids $!"
sign ca client-notyet "$dn_base/CN=client-notyet$email" client 1003 \
	20990613144555Z 21000613144555Z &
pids="$pids $!"
sign ca client-revoked "$dn_base/CN=client-revoked$email" client 1004 \
	130613144555Z 380613144555Z &
pids="$pids $!"
sign ca2 client-untrusted "$dn_base/CN=client-untrusted$email" client 1005 \
	130613144555Z 380613144555Z &
pids="$pids $!"
jobs_wait

# The server certificates, from the intermediate; and the CRLs: the
# root's revokes client-revoked (made from the database that signed it),
# ca2's revokes nothing (so a verifier that wants a CRL for every CA of
# ca-bundle.crt has one for each).
for s in "server localhost srv_localhost 2001" "www www.example.test srv_www 2002" \
	"wild *.api.example.test srv_wild 2003" "server-ecdsa localhost srv_ecdsa 2004"; do
	set -f
	# shellcheck disable=SC2086 # split into words on purpose, no globbing
	set -- $s
	set +f
	sign inter "$1" "$dn_base/CN=$2" "$3" "$4" 20130613144555Z 20380613144555Z &
	pids="$pids $!"
done
(
	CA_DIR="$work/db-client-revoked"
	export CA_DIR
	run crl.log "revoking client-revoked" openssl ca -batch -config ca.cnf \
		-cert ca.crt -keyfile ca.key -revoke client-revoked.crt -crl_reason keyCompromise
	run crl.log "the CRL of ca" openssl ca -batch -config ca.cnf -gencrl \
		-cert ca.crt -keyfile ca.key -crldays 36500 -out crl.pem
) &
pids="$pids $!"
(
	CA_DIR="$work/db-ca2"
	export CA_DIR
	run ca2-crl.log "the CRL of ca2" openssl ca -batch -config ca.cnf -gencrl \
		-cert ca2.crt -keyfile ca2.key -crldays 36500 -out ca2-crl.pem
) &
pids="$pids $!"
jobs_wait

# Combined files: HAProxy's crt format is cert, chain, key in one PEM.
for s in server www wild server-ecdsa; do
	cat "$s.crt" inter.crt "$s.key" >"$s.pem"
done
for c in client1 client-expired client-notyet client-revoked client-untrusted; do
	cat "$c.crt" "$c.key" >"$c.pem"
done
cat ca.crt ca2.crt >ca-bundle.crt
cat crl.pem ca2-crl.pem >crl-bundle.pem

# Check what was made before it replaces anything.
run verify.log "checking the server chains" openssl verify -CAfile ca.crt \
	-untrusted inter.crt server.crt www.crt wild.crt server-ecdsa.crt &
pids="$pids $!"
run verify-crl.log "checking client1 against the CRL" openssl verify -CAfile ca.crt \
	-crl_check -CRLfile crl.pem client1.crt &
pids="$pids $!"
jobs_wait
if openssl verify -CAfile ca.crt -crl_check -CRLfile crl.pem client-revoked.crt \
	>revoked.log 2>&1; then
	die "client-revoked.crt is not revoked by crl.pem"
fi

for f in $files; do
	[ -s "$f" ] || die "internal error: $f was not made"
	chmod 644 "$f"
	mv -f "$f" "$dir/$f"
done
echo "$stamp" >"$dir/.stamp"
