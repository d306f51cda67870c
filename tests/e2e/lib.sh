# shellcheck shell=bash
# The end-to-end test harness (sourced, not run): the shared topology and agent
# helpers of topology.sh, named for one test run, plus preconditions, an EXIT
# trap that cleans up, and traffic helpers (captures, bulk transfers).
#
# Names carry the test's PID: namespaces rv-<name>-$$, WireGuard devices
# rwg-<node>-$$, everything else under /run/raven-e2e-$$ (the bpffs at
# /run/raven-e2e-$$/bpf, not under /sys, which ip netns exec remounts).
#
# Nothing is routed from the root namespace; everything this creates is
# removed by cleanup (installed as the EXIT trap by e2e_init).

set -e
set -o pipefail
exec 3>&1 # log lines go to fd 3, so $(...) captures command output only (as netns.sh)

ID=$$
RUN_DIR=/run/raven-e2e-$ID
NS_PREFIX=rv- NS_SUFFIX=-$ID
WG_PREFIX=rwg- WG_SUFFIX=-$ID
BPF_ROOT=$RUN_DIR/bpf
GW_FILE=$RUN_DIR/gateways/gateways.json
STATE_ROOT=$RUN_DIR/state
LOG_DIR=$RUN_DIR/logs
AGENT_LOG_LEVEL=debug AGENT_DETACH=0 PID_DIR=
# shellcheck source=../../lab/topology.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/../../lab/topology.sh"

E2E_UTIL=("$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/e2e_util.py")
declare -a BG_PIDS=()
result() { printf 'RESULT %s\n' "$*" >&3; }

# ---------------------------------------------------------------- preconditions
e2e_init() {
  if (( EUID != 0 )); then echo "SKIP: needs root"; exit 77; fi
  local tool
  for tool in ip bpftool wg wireguard-go tcpdump socat python3 ping sha256sum timeout; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
  done
  [[ -x $RAVEN_AGENT ]] || die "RAVEN_AGENT=$RAVEN_AGENT is not an executable"
  RAVEN_AGENT=$(readlink -f "$RAVEN_AGENT")
  trap 'e2e_exit $?' EXIT
  BPF_BEFORE=$(find /sys/fs/bpf -maxdepth 1 2>/dev/null | sort | tr '\n' ' ')
  pp mkdir -p "$BPF_ROOT" "$RUN_DIR/gateways" "$STATE_ROOT" "$LOG_DIR" "$RUN_DIR/data"
  pp mount -t bpf bpf "$BPF_ROOT"
  log "agent: $RAVEN_AGENT; run dir: $RUN_DIR"
}

# ---------------------------------------------------------------- cleanup
e2e_exit() {
  local rc=$1
  trap - EXIT
  set +e
  if (( rc != 0 )); then diagnostics; fi
  cleanup
  if (( rc == 0 )); then log "PASS: $(basename "$0")"; else log "FAIL: $(basename "$0") (exit $rc)"; fi
  exit "$rc"
}

# Ends every process started here (agents through teardown, with their --cleanup),
# deletes namespaces, unmounts the bpffs and removes the run directory.
cleanup() {
  local pid i
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${BG_PIDS[@]}"; do
    for (( i = 0; i < 20; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  teardown
  wait 2>/dev/null
  if [[ -n $E2E_KEEP_LOGS && -d $LOG_DIR ]]; then
    mkdir -p "$E2E_KEEP_LOGS" && cp -a "$LOG_DIR/." "$E2E_KEEP_LOGS/" && log "logs kept in $E2E_KEEP_LOGS"
  fi
  [[ -d $RUN_DIR ]] && rm -rf "$RUN_DIR"
  if [[ $(find /sys/fs/bpf -maxdepth 1 2>/dev/null | sort | tr '\n' ' ') != "$BPF_BEFORE" ]]; then
    log "WARNING: /sys/fs/bpf changed during the test (an agent pinning outside --bpffs-dir, or another user of the machine)"
  fi
}

# ---------------------------------------------------------------- traffic
# capture_start NODE IFACE NAME: tcpdump into $RUN_DIR/data/NAME.pcap, polled until listening.
capture_start() {
  local node=$1 dev=$2 name=$3
  log "[$node] tcpdump -i $dev -nn -U -s 200 -w $name.pcap &"
  ip netns exec "$(ns "$node")" tcpdump -i "$dev" -nn -U -s 200 -Z root \
    -w "$RUN_DIR/data/$name.pcap" 2>"$RUN_DIR/data/$name.tcpdump.log" &
  CAPTURE_PID[$name]=$!
  BG_PIDS+=("$!")
  wait_for 10 "tcpdump on $node/$dev" grep -q 'listening on' "$RUN_DIR/data/$name.tcpdump.log"
}
declare -A CAPTURE_PID=()
capture_stop() {
  local pid=${CAPTURE_PID[$1]}
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  log "capture $1: $(grep -E 'packets (captured|dropped by kernel)' "$RUN_DIR/data/$1.tcpdump.log" | tr '\n' ' ')"
}

# check_underlay_capture NAME MIN_WG_DATA: every packet of the capture is WireGuard on UDP 4500,
# ARP or NDP/MLD; no pod address appears in clear; at least MIN_WG_DATA WireGuard data packets.
check_underlay_capture() {
  local name=$1 min=$2 pcap=$RUN_DIR/data/$1.pcap text=$RUN_DIR/data/$1.txt bad summary
  tcpdump -nn -r "$pcap" >"$text" 2>/dev/null
  log "capture $name: $(wc -l <"$text") packets; first lines:"
  head -n 3 "$text" | sed 's/^/    /' >&3
  bad=$(LC_ALL=C grep -vE '^[0-9:.]+ (IP6? [0-9a-f.:]+\.4500 > [0-9a-f.:]+\.4500: UDP(-encap: ESP\([^)]*\))?, length [0-9]+$|ARP, |IP6 [0-9a-f:]+ > [0-9a-f:]+: (HBH )?ICMP6, (neighbor|router|multicast listener))' "$text" | head -n 10 || true)
  [[ -z $bad ]] || { echo "$bad" >&3; die "capture $name: packets other than UDP 4500 / ARP / NDP on the underlay"; }
  ! LC_ALL=C grep -m 3 -E '100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|fd64:' "$text" >&3 || die "capture $name: a pod address in clear"
  summary=$("${E2E_UTIL[@]}" pcap "$pcap" 4500 100.64.0.0/10 fd64::/16)
  log "capture $name: $summary"
  if ! [[ $summary =~ wg_data=([0-9]+) ]] || (( BASH_REMATCH[1] < min )); then
    die "capture $name: fewer than $min WireGuard data packets"
  fi
  [[ $summary == *" other=0 pod_addr=0"* ]] || die "capture $name: non-WireGuard packets"
  result "$name.wireguard_data_packets=${BASH_REMATCH[1]}"
}

# make_payload MB: $RUN_DIR/data/payload.bin of MB MiB of random bytes; sets PAYLOAD_SHA.
make_payload() {
  pp head -c "$(( $1 * 1024 * 1024 ))" /dev/urandom >"$RUN_DIR/data/payload.bin"
  PAYLOAD_SHA=$(sha256sum "$RUN_DIR/data/payload.bin" | cut -d' ' -f1)
  PAYLOAD_MB=$1
}

listening() { nq "$1" ss -Hltn "sport = :$2" | grep -q LISTEN; }

# bulk_transfer FROM_POD TO_POD ADDR NAME: sends the payload over TCP with socat; checks
# sha256 and prints the throughput.
bulk_transfer() {
  local from=$1 to=$2 addr=$3 name=$4 port=5001 listen=TCP4-LISTEN connect
  local out=$RUN_DIR/data/$name.received start ms srv sha
  connect="TCP4:$addr:$port"
  if [[ $addr == *:* ]]; then listen=TCP6-LISTEN connect="TCP6:[$addr]:$port"; fi
  log "[$to] socat -u $listen:$port OPEN:$name.received &"
  ip netns exec "$(ns "$to")" timeout 120 socat -u "$listen:$port,reuseaddr" "OPEN:$out,creat,trunc" &
  srv=$!
  BG_PIDS+=("$srv")
  wait_for 10 "socat listening in $to" listening "$to" "$port"
  start=$(now_us)
  n "$from" timeout 120 socat -u "OPEN:$RUN_DIR/data/payload.bin" "$connect" || die "$name: socat client failed"
  wait "$srv" || die "$name: socat server failed"
  ms=$(ms_since "$start")
  sha=$(sha256sum "$out" | cut -d' ' -f1)
  log "$name: sent $PAYLOAD_MB MiB, received $(stat -c %s "$out") bytes, sha256 ${sha:0:16}… (sent ${PAYLOAD_SHA:0:16}…)"
  [[ $sha == "$PAYLOAD_SHA" ]] || die "$name: received data differs from sent data"
  (( ms > 0 )) || ms=1
  result "$name.mib=$PAYLOAD_MB $name.ms=$ms $name.mbit_per_s=$(( PAYLOAD_MB * 8 * 1048576 / 1000 / ms ))"
  rm -f "$out"
}
