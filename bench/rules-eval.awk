# bench/rules-eval.awk: replays, on paper, how HAProxy evaluates the rules
# of bench/cfg/rules.cfg for the bench request, from the T/F noted after
# each "acl" line (bench/rules-check.sh checks those notes against what the
# proxies really compute). Run by rules-check.sh:
#
#   awk -f bench/rules-eval.awk bench/cfg/rules.cfg
#
# Order (HAProxy 2.6): the frontend's http-request rules, its use_backend
# rules up to the first that matches (else default_backend), the chosen
# backend's http-request rules; then the backend's http-response rules and
# the frontend's. A condition is an OR of AND terms; a term stops at its
# first false ACL, the condition at its first true term; nothing is cached
# between rules. A deny that matches would end the request (reported).
# Anonymous ACLs ("{ ... }") cannot be looked up here and count as true.
#
# Prints "key value" lines: acls_defined, acls_true, acls_tested,
# acl_tests, untested (names), anon_tests, rewrites_reached,
# rewrites_applied, rules_reached, backend, denied.

function trim_comment(s) {
	sub(/[ \t]+#.*$/, "", s)
	return s
}

# Evaluates the condition in words[from..n]; counts the tests.
function cond(words, from, n,    i, w, term, dead, neg, name, v, res, anon) {
	term = 1; dead = 0
	for (i = from; i <= n; i++) {
		w = words[i]
		if (w == "||" || w == "or") {
			if (term)
				return 1
			term = 1; dead = 0
			continue
		}
		if (w == "{" || w == "!{") {
			neg = (w == "!{")
			while (i <= n && words[i] != "}")
				i++
			if (!dead) {
				anon_tests++
				v = 1
				if (neg) v = !v
				if (!v) { term = 0; dead = 1 }
			}
			continue
		}
		neg = 0
		name = w
		while (substr(name, 1, 1) == "!") { neg = !neg; name = substr(name, 2) }
		if (dead)
			continue
		if (!(name in truth)) {
			printf "error unknown-or-unannotated-acl %s\n", name
			errors++
			v = 0
		} else {
			tested[name]++
			tests++
			v = truth[name]
		}
		if (neg) v = !v
		if (!v) { term = 0; dead = 1 }
	}
	return term
}

# One rule line: returns 1 when its condition holds (or it has none).
function rule(line, final_kind,    words, n, i, res, action, neg) {
	n = split(line, words, /[ \t]+/)
	if (words[1] == "") {
		for (i = 1; i < n; i++) words[i] = words[i + 1]
		n--
	}
	rules_reached++
	res = 1
	for (i = 2; i <= n; i++) {
		if (words[i] == "if" || words[i] == "unless") {
			neg = (words[i] == "unless")
			res = cond(words, i + 1, n)
			if (neg) res = !res
			break
		}
	}
	action = words[2]
	if (words[1] ~ /^http-(request|response)$/ && action ~ /^(set|add|del|replace)-(header|value)$/) {
		rewrites_reached++
		if (res) rewrites_applied++
	}
	if (words[1] ~ /^http-(request|response)$/ && action ~ /^(deny|reject|tarpit|return|redirect)$/ && res) {
		denied++
		printf "denied-by %s\n", line
	}
	return res
}

{ raw = $0 }
/^[ \t]*#/ || /^[ \t]*$/ { next }
$1 == "global" || $1 == "defaults" || $1 == "frontend" || $1 == "backend" || $1 == "listen" {
	kind = $1; name = $2
	if (kind == "frontend" && fe == "") fe = name
	next
}
kind == "frontend" && name == fe && $1 == "acl" {
	acls_defined++
	if (raw ~ /#[ \t]*T[ \t]*$/) truth[$2] = 1
	else if (raw ~ /#[ \t]*F[ \t]*$/) truth[$2] = 0
	else { printf "error acl-without-T/F-note %s\n", $2; errors++ }
	if (truth[$2]) acls_true++
	order[acls_defined] = $2
	next
}
kind == "frontend" && name == fe && $1 == "default_backend" { defbe = $2; next }
(kind == "frontend" && name == fe) || kind == "backend" {
	line = trim_comment(raw)
	key = (kind == "frontend") ? "fe" : "be:" name
	if ($1 == "http-request" || $1 == "http-response" || $1 == "use_backend") {
		nrules[key, $1]++
		rules[key, $1, nrules[key, $1]] = line
	}
}
END {
	for (i = 1; i <= nrules["fe", "http-request"]; i++)
		rule(rules["fe", "http-request", i])
	be = defbe
	for (i = 1; i <= nrules["fe", "use_backend"]; i++) {
		split(rules["fe", "use_backend", i], w, /[ \t]+/)
		target = (w[1] == "") ? w[3] : w[2]
		if (rule(rules["fe", "use_backend", i])) { be = target; break }
	}
	for (i = 1; i <= nrules["be:" be, "http-request"]; i++)
		rule(rules["be:" be, "http-request", i])
	for (i = 1; i <= nrules["be:" be, "http-response"]; i++)
		rule(rules["be:" be, "http-response", i])
	for (i = 1; i <= nrules["fe", "http-response"]; i++)
		rule(rules["fe", "http-response", i])
	untested = ""
	ntested = 0
	for (i = 1; i <= acls_defined; i++) {
		if (tested[order[i]]) ntested++
		else untested = untested " " order[i]
	}
	printf "acls_defined %d\nacls_true %d\nacls_tested %d\nacl_tests %d\nuntested%s\n",
		acls_defined, acls_true, ntested, tests, untested
	printf "anon_tests %d\nrewrites_reached %d\nrewrites_applied %d\nrules_reached %d\n",
		anon_tests, rewrites_reached, rewrites_applied, rules_reached
	printf "backend %s\ndenied %d\n", be, denied
	exit errors ? 1 : 0
}
