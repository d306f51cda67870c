# shellcheck shell=bash
# Degrading the links between the lab's sites while it runs (sourced by
# lab/lab.sh): loss from nftables `numgen random` rules on the internet
# bridge, delay from lab/link_delay.py, a hop put between a site's port and
# the bridge. Sites: cloud (its nodes c1 and c2, or the load balancer with
# --cloud-expose lb) and the edge sites a, b, d (their routers, or CGNATs).
#
#   degrade SITE SITE [--loss PCT] [--delay MS]   between two sites, both ways
#   restore                                        every link as it was

DEGRADE_DIR=$RUN_DIR/degrade
DEGRADE_TABLE=rvlab_degrade
DELAY_SECONDS=86400 # a hop's lifetime; restore and down end it sooner

# site_ports SITE: "PORT ADDRESS" of each of the site's ports on the internet bridge.
site_ports() {
  local node
  case $1 in
    cloud)
      if [[ $CLOUD_EXPOSE == lb ]]; then echo "lb $LB_IP"; return; fi
      for node in c1 c2; do echo "$node ${NODE_IP[$node]}"; done
      ;;
    a|b|d)
      [[ -n ${NAT_KIND[$1]} ]] || return 1
      echo "$([[ ${NAT_KIND[$1]} == double ]] && echo cgn || echo nat)-$1 ${SITE_WAN[$1]}"
      ;;
    *) return 1 ;;
  esac
}

# lab_degrade SITE_A SITE_B [--loss PCT] [--delay MS]
lab_degrade() {
  local a=$1 b=$2 loss=0 delay=0 port addr peers
  shift 2 || die "usage: lab.sh degrade SITE SITE [--loss PCT] [--delay MS]"
  while (( $# )); do
    case $1 in
      --loss) loss=${2:?}; shift ;;
      --delay) delay=${2:?}; shift ;;
      *) die "degrade: unknown option $1" ;;
    esac
    shift
  done
  if [[ ! $loss =~ ^[0-9]+$ ]] || (( loss > 100 )); then die "degrade: --loss $loss: a percentage 0-100"; fi
  if [[ ! $delay =~ ^[0-9]+$ ]] || (( delay > 10000 )); then die "degrade: --delay $delay: milliseconds 0-10000"; fi
  if ! site_ports "$a" >/dev/null || ! site_ports "$b" >/dev/null || [[ $a == "$b" ]]; then
    die "degrade: sites are two of: cloud a b${NAT_KIND[d]:+ d}"
  fi
  mkdir -p "$DEGRADE_DIR"
  local -a from=() to=()
  while read -r port addr; do from+=("$addr"); done < <(site_ports "$a")
  while read -r port addr; do to+=("$addr"); done < <(site_ports "$b")
  if (( loss > 0 )); then
    local set_a set_b chance=
    set_a=$(IFS=,; echo "${from[*]}") set_b=$(IFS=,; echo "${to[*]}")
    (( loss == 100 )) || chance="numgen random mod 100 < $loss"
    nq inet nft -f - <<EOF
table bridge $DEGRADE_TABLE {
  chain forward { type filter hook forward priority 0; policy accept; }
}
add rule bridge $DEGRADE_TABLE forward ip saddr { $set_a } ip daddr { $set_b } $chance counter drop
add rule bridge $DEGRADE_TABLE forward ip saddr { $set_b } ip daddr { $set_a } $chance counter drop
EOF
    log "[inet] nft: $loss% loss between $a and $b"
  fi
  if (( delay > 0 )); then
    peers=$(IFS=,; echo "${to[*]}")
    while read -r port addr; do
      [[ ! -e $DEGRADE_DIR/$port.pid ]] || die "degrade: $a's port $port already has a delay (restore first)"
      ipn inet link set "$port" nomaster
      ipn inet link add "dl-$port" type veth peer name "dh-$port"
      ipn inet link set "dl-$port" master inet0 up
      ipn inet link set "dh-$port" up
      nq inet setsid "$PYTHON" "$LAB_DIR/link_delay.py" "$port" "dh-$port" "$delay" "$DELAY_SECONDS" \
        "$peers" >>"$LOG_DIR/link_delay.log" 2>&1 9>&- &
      echo $! >"$DEGRADE_DIR/$port.pid"
      log "[inet] $delay ms each way between $a ($port) and $b: lab/link_delay.py, pid $!"
    done < <(site_ports "$a")
  fi
  say "degraded $a <-> $b: loss $loss%, delay $delay ms each way"
}

# lab_restore: every port back on the bridge, no delay, no loss.
lab_restore() {
  local pid_file port
  for pid_file in "$DEGRADE_DIR"/*.pid; do
    [[ -e $pid_file ]] || continue
    port=$(basename "$pid_file" .pid)
    kill "$(cat "$pid_file")" 2>/dev/null || true
    # also if setsid forked it under another pid
    pkill -f "link_delay.py $port dh-$port " 2>/dev/null || true
    rm -f "$pid_file"
    ipn inet link del "dl-$port" 2>/dev/null || true
    ipn inet link set "$port" master inet0 up 2>/dev/null || true
  done
  nq inet nft delete table bridge "$DEGRADE_TABLE" 2>/dev/null || true
}
