# bench/rules-req.sh: sourced by bench/run.sh and bench/rules-check.sh.
# Reads bench/cfg/rules.req (the request of the "rules" scenarios) into
#   RULES_TARGET        the request target (path and query)
#   RULES_HEADERS       the request headers, one "Name: value" per element
#   RULES_ORIGIN_ARGS   fakesrv options adding the origin's response headers
# Comment lines (#) and blank lines are skipped. Returns 1 when the file
# has no target.

read_rules_req() {
	local file=$1 line section=request

	RULES_TARGET=
	RULES_HEADERS=()
	RULES_ORIGIN_ARGS=()
	while IFS= read -r line || [[ -n $line ]]; do
		[[ -z $line || $line == \#* ]] && continue
		if [[ $line == "--- origin" ]]; then
			section=origin
		elif [[ $section == origin ]]; then
			RULES_ORIGIN_ARGS+=(-H "$line")
		elif [[ -z $RULES_TARGET ]]; then
			RULES_TARGET=$line
		else
			RULES_HEADERS+=("$line")
		fi
	done <"$file"
	[[ -n $RULES_TARGET ]]
}
