#!/bin/sh
# Fails, listing file:function:lines, when a C function is longer than
# the limit (default 100 lines, from its opening brace to its closing
# one). Functions are found by the layout the tree uses: the opening and
# closing braces of a function body stand alone in column 0.
#   sh t/fnlen.sh [-l LIMIT] FILE...
limit=100
if [ "$1" = "-l" ]; then limit=$2; shift 2; fi
if [ $# -eq 0 ]; then
    echo "usage: sh t/fnlen.sh [-l LIMIT] FILE..." >&2
    exit 2
fi
awk -v limit="$limit" '
FNR == 1 { sig = ""; start = 0 }
start == 0 && /^\{[ \t]*$/ {
    # the name: the last identifier before a "(" in the signature lines
    name = sig
    sub(/\(.*/, "", name)
    n = split(name, w, /[^A-Za-z0-9_]+/)
    name = ""
    for (i = n; i >= 1; i--) if (w[i] != "") { name = w[i]; break }
    if (name == "") name = "?"
    start = FNR
    next
}
start > 0 && /^\}/ {
    len = FNR - start + 1
    if (len > limit) {
        printf "%s:%s:%d\n", FILENAME, name, len
        bad = 1
    }
    start = 0; sig = ""
    next
}
start == 0 {
    # signature lines: from a line that starts in column 0 with an
    # identifier up to the brace; anything ending in ";" or "}" resets
    if ($0 ~ /^[A-Za-z_]/) sig = $0
    else if (sig != "" && $0 ~ /^[ \t]/) sig = sig " " $0
    if ($0 ~ /;[ \t]*$/ || $0 ~ /^#/ || $0 ~ /^$/) sig = ""
}
END {
    if (bad) {
        fflush()
        printf "error: function longer than %d lines (file:function:lines above)\n", limit > "/dev/stderr"
        exit 1
    }
}' "$@"
