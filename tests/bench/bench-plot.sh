#!/bin/sh
# tests/bench/bench-plot.sh - the end-to-end throughput of a `make bench` run
# as a plot: records per second against Ad Accounts (the small runs: 1, 3
# and 10 accounts) and against records (the small and big runs, 3
# accounts). Reads bench-results/e2e.json, writes
# bench-results/throughput.svg with gnuplot (Debian: gnuplot-nox).
#
#   bench-plot.sh RESULTS_DIR
set -eu

dir=${1:?usage: bench-plot.sh RESULTS_DIR}
json="$dir/e2e.json"
out="$dir/throughput.svg"
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "bench-plot: gnuplot is not installed (tools/install-deps installs it); no plot" >&2
    exit 0
fi
if ! command -v jq >/dev/null 2>&1 || [ ! -f "$json" ]; then
    echo "bench-plot: needs jq and $json; no plot" >&2
    exit 0
fi

# "scaling.records_per_s (1M x 3)" -> "3 <value>"; the big run's
# "e2e.records_per_s" is at e2e.wall's size.
jq -r '.rows[] | select(.name | startswith("scaling.records_per_s"))
       | "\(.name | capture("x (?<k>[0-9]+)").k) \(.value)"' "$json" > "$dir/plot-accounts.dat"
small=$(jq -r '.rows[] | select(.name | startswith("scaling.records_per_s")) | .name
               | capture("\\((?<n>[0-9]+)(?<u>[kM]?) x 3\\)") | "\(.n) \(.u)"' "$json" | head -n 1)
big=$(jq -r '.rows[] | select(.name | startswith("e2e.wall (")) | .name
             | capture("\\((?<n>[0-9]+)(?<u>[kM]?) x") | "\(.n) \(.u)"' "$json" | head -n 1)
to_n() {
    set -- $1
    case "${2:-}" in
        M) echo $(( $1 * 1000000 )) ;;
        k) echo $(( $1 * 1000 )) ;;
        *) echo "$1" ;;
    esac
}
: > "$dir/plot-records.dat"
if [ -n "$small" ]; then
    v=$(jq -r '.rows[] | select(.name | test("scaling.records_per_s .* x 3\\)")) | .value' "$json")
    echo "$(to_n "$small") $v" >> "$dir/plot-records.dat"
fi
if [ -n "$big" ]; then
    v=$(jq -r '.rows[] | select(.name == "e2e.records_per_s") | .value' "$json")
    echo "$(to_n "$big") $v" >> "$dir/plot-records.dat"
fi
sort -n -o "$dir/plot-records.dat" "$dir/plot-records.dat"

gnuplot <<EOF
set terminal svg size 900,400 dynamic font "sans,11"
set output "$out"
set multiplot layout 1,2 title "connector-host deliver, records per second (median of the runs)"
set grid
set key off
set ylabel "records/s"
set yrange [0:*]
set xlabel "Ad Accounts (same dataset)"
set xtics (1, 3, 10)
plot "$dir/plot-accounts.dat" using 1:2 with linespoints pointtype 7 pointsize 1.5
set xlabel "records (3 Ad Accounts)"
set logscale x
set xtics auto
set format x "%.0s%c"
plot "$dir/plot-records.dat" using 1:2 with linespoints pointtype 7 pointsize 1.5
unset multiplot
EOF
rm -f "$dir/plot-accounts.dat" "$dir/plot-records.dat"
echo "bench-plot: wrote $out"
