# shellcheck shell=bash
# bench/tls.sh: sourced by bench/run.sh. What the TLS scenarios (tls-ka,
# tls-full, tls-full12, tls-resume) add to it: the test certificate, the
# TLS parameters every proxy must negotiate, nginx's configuration
# (--with-nginx), and the bench/tlsload runs with their checks. It uses
# run.sh's variables (BUILD_DIR, PROXY_PORT, ORIGIN_PORT, CONNS, OUT) and
# its check function; it starts no process that run.sh does not stop.

TLS_NAME=bench.proxyd.test           # the certificate's CN and SAN, and the SNI sent
TLS_CIPHER12=ECDHE-RSA-AES128-GCM-SHA256 # the one TLS 1.2 cipher configured
TLS_SUITE13=TLS_AES_128_GCM_SHA256   # the one TLS 1.3 suite configured
TLS_DIR=$BUILD_DIR/tls
TLS_PEM=$TLS_DIR/bench.pem           # certificate then key, for "crt"
TLS_CRT=$TLS_DIR/bench.crt           # the certificate alone, for tlsload -x
TLSLOAD=$BUILD_DIR/tlsload
NGINX=${NGINX:-/usr/sbin/nginx}

is_tls_scenario() {
	[[ $1 == tls-* ]]
}

# Scenarios whose load is tlsload (a new connection per request), not wrk.
is_handshake_scenario() {
	[[ $1 == tls-full || $1 == tls-full12 || $1 == tls-resume ]]
}

# Generates the self-signed RSA-2048 certificate and its key with the
# openssl command, unless a certificate valid for two more days is there.
# Returns 1 (after printing openssl's output) when it cannot.
make_tls_cert() {
	local key=$TLS_DIR/bench.key

	mkdir -p "$TLS_DIR" || return 1
	if [[ -s $TLS_PEM && -s $TLS_CRT ]] &&
		openssl x509 -in "$TLS_CRT" -noout -checkend 172800 >/dev/null 2>&1; then
		return 0
	fi
	echo "bench: generating the TLS test certificate in $TLS_DIR"
	if ! (umask 077 && timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
		-subj "/CN=$TLS_NAME" -addext "subjectAltName=DNS:$TLS_NAME" \
		-keyout "$key.tmp" -out "$TLS_CRT.tmp" >"$TLS_DIR/openssl.log" 2>&1 &&
		cat "$TLS_CRT.tmp" "$key.tmp" >"$TLS_PEM.tmp"); then
		cat "$TLS_DIR/openssl.log" >&2
		return 1
	fi
	mv "$key.tmp" "$key" && mv "$TLS_CRT.tmp" "$TLS_CRT" && mv "$TLS_PEM.tmp" "$TLS_PEM"
}

# Builds bench/tlsload.c into bench/build/.
build_tlsload() {
	cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$TLSLOAD" "$BENCH_DIR/tlsload.c" -lssl -lcrypto
}

# "PROTOCOL CIPHER" every handshake of scenario SCEN must negotiate: the
# client offers OpenSSL's defaults, the proxies allow one cipher per
# version, so this checks their configuration too.
tls_expected() {
	case $1 in
	tls-full12) echo "TLSv1.2 $TLS_CIPHER12" ;;
	*) echo "TLSv1.3 $TLS_SUITE13" ;;
	esac
}

# The tlsload options of scenario SCEN, in TLSLOAD_ARGS.
tlsload_args() {
	TLSLOAD_ARGS=(-a "127.0.0.1:$PROXY_PORT" -c "$CONNS" -N "$TLS_NAME" -x "$TLS_CRT")
	case $1 in
	tls-full) TLSLOAD_ARGS+=(-m full -V 1.3) ;;
	tls-full12) TLSLOAD_ARGS+=(-m full -V 1.2) ;;
	tls-resume) TLSLOAD_ARGS+=(-m resume -V 1.3) ;;
	esac
}

# Runs tlsload for scenario SCEN for SECONDS on CPU 1, output in FILE.
# Returns tlsload's exit status (0: a valid run).
tlsload_run() {
	local scen=$1 seconds=$2 file=$3

	tlsload_args "$scen"
	taskset -c 1 timeout $((seconds + 30)) "$TLSLOAD" "${TLSLOAD_ARGS[@]}" -d "$seconds" -g 5 -T 10 \
		</dev/null >"$file" 2>&1
}

# The value of KEY in the "done" line of a tlsload output FILE.
tlsload_field() {
	awk -v key="$2" '/^done / { for (i = 2; i <= NF; i++) if (index($i, key "=") == 1) {
		print substr($i, length(key) + 2); exit } }' "$1"
}

# One connection, one request, before a run of a TLS scenario: the proxy
# must present the bench certificate and negotiate the scenario's protocol
# and cipher. Output in FILE; returns 1 (after a check) when it does not.
tls_probe() {
	local scen=$1 what=$2 file=$3 version=any got

	[[ $scen == tls-full12 ]] && version=1.2
	taskset -c 1 timeout 20 "$TLSLOAD" -a "127.0.0.1:$PROXY_PORT" -m full -V "$version" -c 1 -n 1 \
		-N "$TLS_NAME" -x "$TLS_CRT" -d 10 -T 5 -g 5 </dev/null >"$file" 2>&1
	got="$(tlsload_field "$file" protocol) $(tlsload_field "$file" cipher)"
	if ! grep -qx valid "$file" || [[ $got != "$(tls_expected "$scen")" ]]; then
		check "$what: the TLS probe failed or negotiated '$got'" \
			"(expected '$(tls_expected "$scen")'): $(grep -E '^(invalid|tlsload)' "$file" | head -2 |
				tr '\n' ' ')$(grep -o 'first_error="[^"]*"' "$file") (output: $file)"
		return 1
	fi
}

# Writes nginx's configuration for one run into DIR/nginx.conf.
nginx_conf() {
	local dir=$1

	mkdir -p "$dir" &&
		sed -e "s|@DIR@|$dir|g" -e "s|@PEM@|$TLS_PEM|g" -e "s|@PROXY_PORT@|$PROXY_PORT|g" \
			-e "s|@ORIGIN_PORT@|$ORIGIN_PORT|g" "$BENCH_DIR/cfg/tls-nginx.conf" >"$dir/nginx.conf"
}

# Whether proxyd accepts bench/cfg/tls.cfg (proxyd -c), cached in
# PROXYD_TLS (yes or no); when it does not, one check says why.
proxyd_accepts_tls() {
	local file=$OUT/proxyd-tls-check.txt

	if [[ -z ${PROXYD_TLS-} ]]; then
		if BENCH_PROXY_PORT=$PROXY_PORT BENCH_ORIGIN_PORT=$ORIGIN_PORT BENCH_TLS_PEM=$TLS_PEM \
			timeout 20 "$PROXYD" -c -f "$BENCH_DIR/cfg/tls.cfg" >"$file" 2>&1; then
			PROXYD_TLS=yes
		else
			PROXYD_TLS=no
			check "TLS scenarios: proxyd -c rejects cfg/tls.cfg, so proxyd is not measured in them:" \
				"$(grep -v '^$' "$file" | head -3 | tr '\n' ' ')($file)"
		fi
	fi
	[[ $PROXYD_TLS == yes ]]
}
