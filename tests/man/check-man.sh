#!/bin/sh
# check-man.sh - the man pages say what the programs' --help says, and
# render without a warning (groff -ww). Compared: every --option (both
# ways), connector-host's commands (both ways) and exit codes, and every
# environment variable the host reads. Run by make check (tests/man/local.mk).
set -u
: "${TT_SRCDIR:?run through make check}" "${TT_HOST:?}" "${TT_SANDBOX:?}"
GROFF=${GROFF:-groff}
if ! command -v "$GROFF" >/dev/null 2>&1; then
    echo "check-man: $GROFF not found; install groff-base (tools/install-deps does)" >&2
    exit 99   # a hard error, never a silent skip
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
    echo "FAIL: $*"
    fail=1
}

# Options a page defines: the item line after each .TP of its OPTIONS
# section ("\-\-name" in the source; a line may name two: "--help, -h").
man_options() {
    sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | awk '/^\.TP/ { getline; print }' \
        | sed 's/\\f[BIRP]//g' | grep -o '\\-\\-[a-z][a-z0-9\\-]*' | sed 's/\\//g' | sort -u
}

# Options of a help text on stdin.
help_options() {
    grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}

compare() {   # $1 what, $2 file from the page, $3 file from --help
    comm -23 "$2" "$3" >"$tmp/only-man"
    comm -13 "$2" "$3" >"$tmp/only-help"
    [ -s "$tmp/only-man" ] && bad "$1 in the man page but not in --help: $(tr '\n' ' ' <"$tmp/only-man")"
    [ -s "$tmp/only-help" ] && bad "$1 in --help but not in the man page: $(tr '\n' ' ' <"$tmp/only-help")"
    return 0
}

for page in connector-host tiktok-sandbox; do
    f="$TT_SRCDIR/man/$page.1"
    [ -f "$f" ] || { bad "$f is missing"; continue; }
    warn=$(LC_ALL=C.UTF-8 "$GROFF" -ww -man -Tutf8 -z "$f" 2>&1)
    [ -z "$warn" ] || bad "$page.1 renders with warnings: $warn"
    man_options "$f" >"$tmp/$page.man"
done

# connector-host: the overview and every command's help.
"$TT_HOST" --help >"$tmp/help" || bad "connector-host --help failed"
sed -n '/^Commands:/,/^$/p' "$tmp/help" | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | sort -u \
    >"$tmp/cmds.help"
cp "$tmp/help" "$tmp/help.all"
while read -r c; do
    "$TT_HOST" help "$c" >>"$tmp/help.all" || bad "connector-host help $c failed"
done <"$tmp/cmds.help"
help_options <"$tmp/help.all" >"$tmp/connector-host.help"
compare "connector-host options" "$tmp/connector-host.man" "$tmp/connector-host.help"

# Commands: the first word of each item (.TP + .B/.BI line) under COMMANDS.
sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$TT_SRCDIR/man/connector-host.1" \
    | awk '/^\.TP/ { getline; sub(/^\.BI? "?/, ""); split($0, w, /[ "]/); print w[1] }' \
    | sort -u >"$tmp/cmds.man"
compare "connector-host commands" "$tmp/cmds.man" "$tmp/cmds.help"

# Exit codes: "Exit codes: 0 success; 1 ...; 75 retry later." vs EXIT STATUS.
sed -n '/^Exit codes:/,/^$/p' "$tmp/help" | tr ';:' '\n\n' | sed -n 's/^ *\([0-9][0-9]*\) .*/\1/p' \
    | sort -u >"$tmp/codes.help"
sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$TT_SRCDIR/man/connector-host.1" \
    | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p' | sort -u >"$tmp/codes.man"
[ -s "$tmp/codes.help" ] || bad "no exit codes found in connector-host --help"
compare "connector-host exit codes" "$tmp/codes.man" "$tmp/codes.help"

# Environment: every variable the host reads is under ENVIRONMENT.
sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$TT_SRCDIR/man/connector-host.1" >"$tmp/env.man"
for v in $(cat "$TT_SRCDIR"/host/*.c | grep -o '"CONNECTOR_HOST_[A-Z_]*"\|getenv("[A-Z_]*")' \
           | grep -o '[A-Z][A-Z_]*' | sort -u); do
    grep -q "^\.B $v\$" "$tmp/env.man" || bad "the host reads \$$v; connector-host.1 ENVIRONMENT lacks it"
done

# tiktok-sandbox.
"$TT_SANDBOX" --help >"$tmp/sb.help.txt" || bad "tiktok-sandbox --help failed"
help_options <"$tmp/sb.help.txt" >"$tmp/tiktok-sandbox.help"
compare "tiktok-sandbox options" "$tmp/tiktok-sandbox.man" "$tmp/tiktok-sandbox.help"

[ "$fail" -eq 0 ] && echo "check-man: both man pages match --help and render without warnings"
exit "$fail"
