#!/bin/sh
# Extracts configuration seeds for the cfg_load target into <outdir>
# (default: build/fuzz/cfg_seeds): examples/*.cfg, and every "proxyd ...
# <<END", "proxyd-config <<END" and "file NAME.cfg <<END" block of
# testkit/scenarios/**/*.pxt, with {{tmp}}/NAME replaced by
# /tmp/pxfuzz-files/NAME when NAME is one of the files the targets write
# there (fuzz_files.h: ACL lists, maps, bodies, errorfiles), any other
# {{tmp}}/{{dir}} by a path that does not exist, and every other {{name}}
# by a port number. The committed corpus/cfg_load/ is this set reduced
# with libFuzzer's -merge=1 (see README.md).
set -eu
cd "$(dirname "$0")/../.."
out=${1:-build/fuzz/cfg_seeds}
mkdir -p "$out"
for f in examples/*.cfg; do
	cp "$f" "$out/example-$(basename "$f" .cfg)"
done
find testkit/scenarios -name '*.pxt' | sort | while read -r pxt; do
	base=$(echo "$pxt" | sed 's|testkit/scenarios/||; s|/|-|g; s|\.pxt$||')
	awk -v out="$out" -v base="$base" '
		function port(name) {
			if (!(name in ports))
				ports[name] = 20000 + (nports++);
			return ports[name];
		}
		!inblk && (/^proxyd( .*)? <<END$/ || /^proxyd-config <<END$/ ||
		           /^file (-crlf )?[^ ]*\.cfg <<END$/) {
			inblk = 1; n++; file = sprintf("%s/%s-%d", out, base, n);
			printf "" > file; next
		}
		inblk && /^END$/ { inblk = 0; close(file); next }
		inblk {
			line = $0
			gsub(/\{\{tmp\}\}\/(words|nets|prefixes|regs|ints)\.lst/, "/tmp/pxfuzz-files/&", line)
			gsub(/\{\{tmp\}\}\/(hosts|paths|nets|re|int|num|empty)\.map/, "/tmp/pxfuzz-files/&", line)
			gsub(/\{\{tmp\}\}\/(body\.txt|lf\.txt|503\.http|403\.http)/, "/tmp/pxfuzz-files/&", line)
			gsub(/\/tmp\/pxfuzz-files\/\{\{tmp\}\}\//, "/tmp/pxfuzz-files/", line)
			gsub(/\{\{(tmp|dir)\}\}/, "/nonexistent-pxfuzz", line)
			while (match(line, /\{\{[a-zA-Z0-9_]+\}\}/)) {
				name = substr(line, RSTART + 2, RLENGTH - 4)
				line = substr(line, 1, RSTART - 1) port(name) substr(line, RSTART + RLENGTH)
			}
			print line >> file
		}' "$pxt"
done
ls "$out" | wc -l
