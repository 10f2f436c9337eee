#!/bin/sh
# A fake command socket for the pxsh scenarios, run by socat for each
# connection (socat UNIX-LISTEN:...,fork EXEC:"sh fakecli.sh REC"). It
# speaks the interactive protocol ("prompt", answers ending with "\n> "),
# appends every line it receives to REC, and answers the proxyd commands
# HAProxy does not have, in proxyd's formats: show names, show rules
# (ID<TAB>HITS<TAB>ORIGIN<TAB>TEXT under a "# frontend NAME (file:line)"
# header), the rule transaction, trace request. A rule text holding BAD is
# refused.
rec=$1
while IFS= read -r line; do
	printf '%s\n' "$line" >> "$rec"
	case $line in
	prompt)
		printf '\n> ' ;;
	"show names servers")
		printf 'app/s1\napp/s2\nweb/w1\n\n> ' ;;
	"show names proxies"|"show names backends")
		printf 'fe\napp\nweb\n\n> ' ;;
	"show names "*)
		printf '\n> ' ;;
	"show rules fe")
		printf '# frontend fe (f.cfg:8)\n1\t0\tf.cfg:9\thttp-request deny if { path /a }\n2\t12\tf.cfg:10\thttp-request set-header X-A 1\n3\t-\truntime\thttp-request return status 200\n\n> ' ;;
	*BAD*)
		printf 'Error: unknown keyword BAD\n\n> ' ;;
	begin|commit|abort|"del rule "*|"add rule "*|"replace rule "*)
		printf '\n> ' ;;
	diff)
		printf '~ 2 http-request set-header X-A 2\n+ http-request set-header X-B a;b\n\n> ' ;;
	"trace request <<")
		while IFS= read -r p; do
			printf '%s\n' "$p" >> "$rec"
			[ -z "$p" ] && break
			printf '+ '
		done
		printf '+ trace: 1 rule matched\n\n> ' ;;
	*)
		printf 'Unknown command.\n\n> ' ;;
	esac
done
