# shellcheck shell=bash
# The NAT behaviours of the lab's edge-site routers (RFC 4787 terms), one
# generator for the lab (lab_plan.sh, nat_router) and for the test that checks
# them (tests/e2e/nat_kinds.sh). Sourced; defines functions only.
#
#   kind      mapping                      filtering                       unsolicited inbound
#   forward   EIM (masquerade to ports     APDF (conntrack replies)        udp WAN:4500 -> host 1:4500,
#             20000-59999), the default                                    WAN:4501 -> host 2:4500
#   eim       EIM (masquerade)             EIF ("full cone"): any host and  dropped
#                                          port may send to a mapped port
#   eim-apdf  EIM (masquerade)             APDF ("port-restricted cone")    dropped
#   edm       EDM (masquerade fully-random:  APDF ("symmetric")             dropped
#             a random port per 5-tuple)
#   double    eim-apdf at the site router, then eim-apdf again at the carrier's NAT (CGNAT,
#             its own namespace): EIM + APDF as a whole, the CGNAT's address outside
#
# Mapping. Linux SNAT keeps the internal port when it is free and, for a new
# destination, reuses the mapping of an existing conntrack entry of the same
# internal address:port (nf_nat's "bysource" lookup): endpoint-independent as
# long as one entry of the socket lives (UDP: 30 s unanswered, 120 s once
# answered; every packet refreshes it). `persistent` would only pin the
# external address out of several, moot with one. `fully-random`
# (NF_NAT_RANGE_PROTO_RANDOM_FULLY) skips that lookup: every new 5-tuple gets a
# random external port, endpoint-dependent mapping.
# Filtering. Conntrack lets in only the replies of an entry's 5-tuple: APDF.
# eim adds endpoint-independent filtering: every SNATed UDP packet records
# "external port -> internal address . port" in the map @cone (its entries
# live as long as the mapping is used, 120 s after the last packet out), and
# inbound UDP to a port in @cone is DNATed to that socket, from whoever sends.
# Unsolicited inbound packets are dropped in the input and forward chains,
# before conntrack confirms their entry: a confirmed entry would take the
# tuple, and the internal host's later packet to that sender would get another
# port (a hole punch between two NATs would fail). No hairpinning, TCP and
# ICMP follow the same mapping (without @cone).

# forward maps outgoing flows to ports away from the forwarded ones, as a
# port-forwarding router must: a flow that took WAN:4500 (host 2's, sent from
# its port 4500 while it was the active gateway) would hold that tuple in
# conntrack, and the forward to host 1 would reach host 2 until the flow's
# entry expired, which the peer's packets never let happen.
FORWARD_MASQ_PORTS=20000-59999

# nat_rules KIND WAN_IF WAN_IP LAN_CIDR [TO_4500 TO_4501]: the nftables ruleset
# (table ip rvlab_nat) of a NAT router of KIND (forward, eim, eim-apdf, edm;
# double is two eim-apdf routers) that masquerades LAN_CIDR on WAN_IF;
# forward also forwards udp WAN_IP:4500 and :4501 to port 4500 of TO_4500 and TO_4501.
nat_rules() {
  local kind=$1 wan_if=$2 wan=$3 lan=$4 to=$5 to2=$6
  case $kind in
    forward)
      cat <<EOF
table ip rvlab_nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$wan_if" ip daddr $wan udp dport 4500 dnat to $to:4500
    iifname "$wan_if" ip daddr $wan udp dport 4501 dnat to $to2:4500
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$wan_if" ip saddr $lan meta l4proto { tcp, udp } masquerade to :$FORWARD_MASQ_PORTS
    oifname "$wan_if" ip saddr $lan masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "$wan_if" ct state established,related accept
    iifname "$wan_if" ct status dnat accept
    iifname "$wan_if" drop
  }
}
EOF
      return
      ;;
    eim|eim-apdf|edm) ;;
    *) echo "nat_rules: no NAT kind '$kind'" >&2; return 2 ;;
  esac
  local masq=masquerade cone_in="" cone_learn="" cone_map="" dnat_ok=""
  [[ $kind != edm ]] || masq="masquerade fully-random"
  if [[ $kind == eim ]]; then
    cone_map="  map cone {
    type inet_service : ipv4_addr . inet_service
    flags dynamic, timeout
    timeout 120s
  }"
    cone_in="    iifname \"$wan_if\" ip daddr $wan meta l4proto udp dnat ip to udp dport map @cone"
    # priority srcnat + 10: after the NAT chain, the packet carries its external port
    cone_learn="  chain cone_learn {
    type filter hook postrouting priority srcnat + 10; policy accept;
    oifname \"$wan_if\" meta l4proto udp ct direction original ct status snat update @cone { udp sport : ct original ip saddr . ct original proto-src }
  }"
    dnat_ok="    iifname \"$wan_if\" ct status dnat accept"
  fi
  cat <<EOF
table ip rvlab_nat {
${cone_map}
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
${cone_in}
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$wan_if" ip saddr $lan $masq
  }
${cone_learn}
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "$wan_if" ct state established,related accept
${dnat_ok}
    iifname "$wan_if" drop
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$wan_if" ct state established,related accept
    iifname "$wan_if" drop
  }
}
EOF
}

# nat_kind_ok KIND: KIND is one of the lab's NAT kinds.
nat_kind_ok() { [[ $1 == @(forward|eim|eim-apdf|edm|double) ]]; }

# The layers of a kind: the site router's rules, and the CGNAT's (double only).
nat_site_kind() { if [[ $1 == double ]]; then echo eim-apdf; else echo "$1"; fi; }
# shellcheck disable=SC2034 # read by the sourcing scripts
NAT_CGN_KIND=eim-apdf
