#!/bin/sh
# deps.sh install|check PACKAGE...
#
# Finds which of the Debian packages named are missing. "install" installs
# them with apt-get when run as root, and otherwise prints the one command a
# user must run; "check" only reports. Exit status 0 when nothing is missing
# (or all were installed), 1 otherwise.
mode=$1; shift
missing=""
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$mode" = install ] && [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || exit 1
	apt-get install -y -q --no-install-recommends $missing >/dev/null || exit 1
	exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: run as root:  apt-get install$missing" >&2
[ "$mode" = install ] && [ "$(id -u)" != 0 ] && echo "deps: (or run 'make deps' as root)" >&2
exit 1
