#!/usr/bin/env bash
# Long run of the dashboard (issue 6): the release build against a sped-up demo server on
# loopback, a random fault injected about every 10 s, a key pressed now and then, and the
# dashboard's memory and open descriptors sampled every minute into a CSV.
#
#   tools/soak.sh [SECONDS]        # default 3600
#
# Environment: FLOWDASH_BIN (default target/release/flowdash), SOAK_OUT (default
# target/soak-DATE), SOAK_SAMPLE (seconds between samples, default 60), SOAK_FAULT (mean seconds
# between faults, default 10). Needs tmux and curl. Talks to 127.0.0.1 only. Everything it
# starts (the demo server, a private tmux server with the dashboard) is stopped at the end,
# also on Ctrl-C. Exits 1 when the dashboard or the server died during the run.

set -euo pipefail

duration=${1:-3600}
if ! [[ $duration =~ ^[0-9]+$ ]] || ((duration < 1)); then
    echo "usage: $0 [SECONDS]   (a whole number of seconds, default 3600)" >&2
    exit 2
fi
sample_every=${SOAK_SAMPLE:-60}
fault_every=${SOAK_FAULT:-10}

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FLOWDASH_BIN:-$root/target/release/flowdash}
out=${SOAK_OUT:-$root/target/soak-$(date +%Y%m%d-%H%M%S)}
for tool in tmux curl; do
    command -v "$tool" >/dev/null || {
        echo "soak: $tool is needed" >&2
        exit 2
    }
done
[[ -x $bin ]] || {
    echo "soak: no binary at $bin (cargo build --release --locked, or set FLOWDASH_BIN)" >&2
    exit 2
}
mkdir -p "$out/home"
csv=$out/samples.csv
# A tmux server of our own, so nothing else running in tmux is touched.
tmux_sock=flowdash-soak-$$
tmx() { tmux -L "$tmux_sock" -f /dev/null "$@"; }

server_pid=
dash_pid=
cleanup() {
    trap - EXIT INT TERM
    if [[ -n $dash_pid ]]; then
        tmx capture-pane -p -t soak >"$out/last-screen.txt" 2>/dev/null || true
    fi
    tmx kill-server 2>/dev/null || true
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The demo server: its first line says where it listens.
HOME=$out/home XDG_CONFIG_HOME=$out/home/config XDG_STATE_HOME=$out/home/server-state \
    "$bin" serve-demo --port 0 --pace 20 >"$out/server.out" 2>"$out/server.err" </dev/null &
server_pid=$!
base=
for _ in $(seq 1 100); do
    base=$(sed -n '1s/^listening on //p' "$out/server.out")
    [[ -n $base ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if ! [[ $base =~ ^http://127\.0\.0\.1:[0-9]+/api$ ]]; then
    echo "soak: the demo server did not say where it listens on loopback: '$base'" >&2
    cat "$out/server.err" >&2
    exit 1
fi
fault_url=${base%/api}/_demo/fault

# The dashboard, 120×40, in its own home so its log and config are the run's.
dash_cmd=$(printf 'exec env HOME=%q XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q FLOWDASH_BASE_URL=%q FLOWDASH_API_KEY=demo TERM=xterm-256color %q' \
    "$out/home" "$out/home/config" "$out/home/state" "$base" "$bin")
tmx new-session -d -s soak -x 120 -y 40 "$dash_cmd"
tmx set-option -t soak remain-on-exit on >/dev/null
dash_pid=$(tmx list-panes -t soak -F '#{pane_pid}')
sleep 1
if [[ $(cat "/proc/$dash_pid/comm" 2>/dev/null) != flowdash ]]; then
    echo "soak: the dashboard did not start" >&2
    tmx capture-pane -p -t soak >&2 || true
    exit 1
fi
log=$out/home/state/flowdash/flowdash.log

faults=0
keys=0
kinds=(html502 html500 invalid_json truncated rate_limit redirect reset latency late_answer oversize hostile_names)

echo "elapsed_s,rss_kb,fds,sockets,threads,faults,keys,log_bytes" >"$csv"
sample() {
    local now=$1 status rss threads fds sockets
    status=$(cat "/proc/$dash_pid/status")
    rss=$(awk '/^VmRSS:/ {print $2}' <<<"$status")
    threads=$(awk '/^Threads:/ {print $2}' <<<"$status")
    fds=$(find "/proc/$dash_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    sockets=$(find "/proc/$dash_pid/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' | wc -l)
    echo "$((now - start)),$rss,$fds,$sockets,$threads,$faults,$keys,$(stat -c %s "$log" 2>/dev/null || echo 0)" >>"$csv"
}

inject() {
    local kind=${kinds[RANDOM % ${#kinds[@]}]}
    local count=$((1 + RANDOM % 4))
    local body="{\"kind\":\"$kind\",\"count\":$count,\"ms\":$((500 + RANDOM % 2500))}"
    local code
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "$body" "$fault_url" || echo 000)
    faults=$((faults + 1))
    echo "$(date +%T) $code $body" >>"$out/faults.log"
}

start=$(date +%s)
end=$((start + duration))
next_sample=$start
next_fault=$((start + fault_every))
next_key=$((start + 3))
died=
echo "soak: ${duration}s, dashboard pid $dash_pid against $base; writing $out"
while :; do
    now=$(date +%s)
    if ! kill -0 "$server_pid" 2>/dev/null; then
        server_status=0
        wait "$server_pid" || server_status=$?
        died="the demo server (exit status $server_status)"
        break
    fi
    if [[ $(cat "/proc/$dash_pid/comm" 2>/dev/null) != flowdash ]]; then
        died="the dashboard"
        break
    fi
    ((now >= end)) && break
    if ((now >= next_sample)); then
        sample "$now"
        next_sample=$((next_sample + sample_every))
    fi
    if ((now >= next_fault)); then
        inject
        # About every fault_every seconds: between 0.6 and 1.4 times it.
        next_fault=$((now + fault_every * (6 + RANDOM % 9) / 10))
    fi
    if ((now >= next_key)); then
        key_list=(j j k r x)
        tmx send-keys -t soak "${key_list[RANDOM % ${#key_list[@]}]}"
        keys=$((keys + 1))
        next_key=$((now + 2 + RANDOM % 6))
    fi
    sleep 1
done
if [[ -z $died ]]; then
    sample "$(date +%s)"
fi
tmx capture-pane -p -t soak >"$out/last-screen.txt" 2>/dev/null || true

awk -F, 'NR > 1 {
    n++
    if (n == 1 || $2 < rmin) rmin = $2; if ($2 > rmax) rmax = $2
    if (n == 1 || $3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3
    if (n == 1 || $4 < smin) smin = $4; if ($4 > smax) smax = $4
    if (n == 1) rfirst = $2; rlast = $2
}
END {
    printf "samples %d\n", n
    printf "RSS kB      min %d  max %d  first %d  last %d\n", rmin, rmax, rfirst, rlast
    printf "open fds    min %d  max %d\n", fmin, fmax
    printf "sockets     min %d  max %d\n", smin, smax
}' "$csv"
echo "faults injected $faults, keys pressed $keys; samples in $csv, last screen in $out/last-screen.txt"
if [[ -n $died ]]; then
    echo "soak: $died died after $(($(date +%s) - start)) s" >&2
    exit 1
fi
