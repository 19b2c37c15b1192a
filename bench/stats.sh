# Small statistics for the benchmarks, sourced: each figure is a set of
# rounds, summed up by its median and its spread (min-max).

# median V...: the middle value (the mean of the two middle ones)
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) printf "%.6g\n", v[(NR + 1) / 2]
    else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# spread V...: "min-max"
spread() {
  printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END {
    printf "%.6g-%.6g\n", lo, hi }'
}
