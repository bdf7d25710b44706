#!/bin/bash
# Reproduces the figures in bench/RESULTS.md: every comparison with medians of 3 alternated runs,
# hub and baselines pinned to core 0, the generator to core 1. Writes <name>.txt/.json/.svg here.
# Needs release builds (`cargo build --release --workspace`) and the baselines of bench/README.md.
# Takes about 40 minutes. Run it on a machine doing nothing else.
set -u
cd "$(dirname "$0")/../.."
out=bench/results
B=target/release/usphub-bench
only="${1:-}"

bench() { # name, then the compare arguments
    local name=$1; shift
    [[ -n "$only" && "$name" != $only ]] && return
    echo "== $name: $B compare $* (load: $(cut -d' ' -f1-3 /proc/loadavg))" | tee "$out/$name.txt"
    "$B" compare "$@" --pin --runs 3 --json "$out/$name.json" --chart "$out/$name.svg" >>"$out/$name.txt" 2>&1
    tail -n 1 "$out/$name.txt"
}

bench mqtt-q0-w8     mqtt-p2p --baseline mosquitto --pairs 1000 --qos 0 --window 8
bench mqtt-q1-w8     mqtt-p2p --baseline mosquitto --pairs 1000 --qos 1 --window 8
bench mqtt-q0-rate   mqtt-p2p --baseline mosquitto --pairs 1000 --qos 0 --rate 10
bench mqtt-q1-rate   mqtt-p2p --baseline mosquitto --pairs 1000 --qos 1 --rate 10
bench mqtt-fanin     mqtt-fanin --baseline mosquitto --pairs 1000
bench stomp-w8       stomp-p2p --baseline rabbitmq --pairs 1000 --window 8
bench ws-fwd-w8      ws-p2p --baseline forwarder --pairs 50 --window 8
bench ws-fwd-rate    ws-p2p --baseline forwarder --pairs 1000 --rate 10
bench cross-fwd-w8   cross-mtp --baseline forwarder --pairs 1000 --window 8
bench idle-mqtt      idle-connections --baseline mosquitto --mtp mqtt --steps 1000,5000,10000,19000
bench idle-stomp     idle-connections --baseline rabbitmq --mtp stomp --steps 1000,5000,10000
bench idle-ws        idle-connections --baseline forwarder --mtp ws --steps 1000,5000,10000,19000
bench storm          reconnect-storm --baseline mosquitto --connections 10000 --rounds 3
bench storm-paced    reconnect-storm --baseline mosquitto --connections 10000 --rounds 3 --reconnect-rate 2000

# Same-MTP against cross-MTP on one hub (target: cross-MTP >= 0.8x same-MTP): `run` against a
# pinned hub, the scenarios interleaved, 3 rounds; medians in cross-vs-same.txt.
cross_vs_same() {
    [[ -n "$only" && "cross-vs-same" != $only ]] && return
    local dir=$out/cross-vs-same; mkdir -p "$dir"
    printf '[mqtt]\nconnect_rate_per_ip = 0\nmax_queued = 100000\nmax_inflight = 64\nusp_qos = 0\n' >"$dir/hub.toml"
    taskset -c 0 target/release/usphub --config "$dir/hub.toml" --ws 127.0.0.1:18080 --mqtt 127.0.0.1:11883 \
        --stomp 127.0.0.1:16613 --admin 127.0.0.1:19100 --cwmp off --uds off >"$dir/hub.log" 2>&1 &
    local hub=$!
    for _ in $(seq 50); do curl -sf 127.0.0.1:19100/healthz >/dev/null && break; sleep 0.2; done
    for round in 1 2 3; do
        for s in "ws-p2p|--target 127.0.0.1:18080" \
                 "mqtt-p2p|--target 127.0.0.1:11883" \
                 "stomp-p2p|--target 127.0.0.1:16613" \
                 "ws-mqtt|cross-mtp --target 127.0.0.1:18080 --agent-target 127.0.0.1:11883" \
                 "ws-stomp|cross-mtp --target 127.0.0.1:18080 --agent-target 127.0.0.1:16613 --agent-mtp stomp" \
                 "mqtt-ws|cross-mtp --controller-mtp mqtt --target 127.0.0.1:11883 --agent-target 127.0.0.1:18080 --agent-mtp ws"; do
            local name=${s%%|*} args=${s#*|}
            [[ $args == --* ]] && args="$name $args"
            # shellcheck disable=SC2086
            taskset -c 1 "$B" run $args --pairs 1000 --window 8 --duration 8s --sut-pid $hub \
                --json "$dir/$name-$round.json" >"$dir/$name-$round.txt" 2>&1
        done
    done
    kill $hub; wait $hub 2>/dev/null
    python3 - "$dir" >"$out/cross-vs-same.txt" <<'PY'
import glob, json, statistics, sys, os
d = sys.argv[1]
def rate(f):
    j = json.load(open(f))
    j = j.get("Traffic", j)
    for k in ("records_per_s",):
        if k in j: return float(j[k])
    return float(j["result"]["throughput"]) if "result" in j else float("nan")
med = {}
for name in ["ws-p2p", "mqtt-p2p", "stomp-p2p", "ws-mqtt", "ws-stomp", "mqtt-ws"]:
    runs = [rate(f) for f in sorted(glob.glob(f"{d}/{name}-*.json"))]
    med[name] = statistics.median(runs)
    print(f"{name:10} median {med[name]:>10.0f} Records/s  runs {', '.join(f'{r:.0f}' for r in runs)}")
print(f"ws<->mqtt / mqtt-p2p  = {med['ws-mqtt']/med['mqtt-p2p']:.2f}")
print(f"ws<->mqtt / ws-p2p    = {med['ws-mqtt']/med['ws-p2p']:.2f}")
print(f"ws<->stomp / stomp-p2p = {med['ws-stomp']/med['stomp-p2p']:.2f}")
print(f"mqtt<->ws / mqtt-p2p  = {med['mqtt-ws']/med['mqtt-p2p']:.2f}")
PY
    cat "$out/cross-vs-same.txt"
}
cross_vs_same

# CWMP Inform sessions (no baseline can be installed here): a fresh hub and registry per run.
cwmp() { # name devices, then run arguments
    local name=$1 devices=$2; shift 2
    [[ -n "$only" && "$name" != $only ]] && return
    local dir=$out/cwmp; mkdir -p "$dir"
    : >"$out/$name.txt"
    for round in 1 2 3; do
        rm -f "$dir/registry.db"
        printf '[cwmp]\ndatabase = "%s/registry.db"\n' "$PWD/$dir" >"$dir/hub.toml"
        taskset -c 0 target/release/usphub --config "$dir/hub.toml" --cwmp 127.0.0.1:17547 --ws off --mqtt off \
            --stomp off --admin 127.0.0.1:19101 --uds off >"$dir/hub.log" 2>&1 &
        local hub=$!
        for _ in $(seq 50); do curl -sf 127.0.0.1:19101/healthz >/dev/null && break; sleep 0.2; done
        echo "== $name round $round (load: $(cut -d' ' -f1-3 /proc/loadavg))" >>"$out/$name.txt"
        taskset -c 1 "$B" run cwmp-inform --target 127.0.0.1:17547 --sut-pid $hub --devices "$devices" "$@" \
            --json "$dir/$name-$round.json" >>"$out/$name.txt" 2>&1
        kill $hub; wait $hub 2>/dev/null
        [[ "$devices" -ge 100000 ]] && break   # one run: registering 100k devices takes minutes
    done
    tail -n 20 "$out/$name.txt"
}
cwmp cwmp-10k-c64   10000 --concurrency 64 --duration 10s
cwmp cwmp-10k-r500  10000 --rate 500 --duration 10s
cwmp cwmp-100k-c64 100000 --concurrency 64 --duration 10s
