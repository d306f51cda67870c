// A NAT relay's sockets: one UDP socket per relay port of its duty (bound on
// every address, dual-stack where the node has IPv6), and what arrives at
// them handled by the RelayTable: forwarded to the other end of a pair,
// answered with an ack, or dropped and counted. Driven by one thread (the
// NAT relay service's), which waits on the sockets through `epoll`, each
// registered with its port as the event's data; counters() and problems()
// may be read from any thread.
#ifndef RAVEN_DAEMON_NAT_RELAY_RELAY_PORTS_H_
#define RAVEN_DAEMON_NAT_RELAY_RELAY_PORTS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/fd.h"
#include "daemon/model/nat_relay_plan.h"
#include "daemon/nat_relay/relay_table.h"
#include "daemon/wireguard/keys.h"

namespace raven::nat_relay {

struct RelayCounters {
  std::array<uint64_t, kOutcomeCount> datagrams{};  // by Outcome
  uint64_t forwarded_bytes = 0;
  uint64_t send_errors = 0;  // forwards and acks that could not be sent
};

class RelayPorts {
 public:
  RelayPorts(wg::KeyPair keys, uint32_t mark, int epoll)
      : table_(std::move(keys)), mark_(mark), epoll_(epoll) {}

  // Binds the ports of the duty (closing the others) and hands the duty to
  // the table, which keeps the registrations still valid.
  void Configure(const RelayDuty& duty);
  // Binds again the ports that failed (another process held one), at most
  // every retry_interval.
  void RetryFailedBinds(absl::Time now, absl::Duration retry_interval = absl::Seconds(5));
  const RelayDuty& duty() const { return table_.duty(); }
  // Reads what arrived at `port` (a bounded burst) and acts on it.
  void Receive(uint16_t port);

  RelayCounters counters() const;
  // Ports that could not be bound, for /healthz; empty when all are.
  std::vector<std::string> problems() const;

 private:
  struct Socket {
    Fd fd;
    bool v6 = false;
  };
  // Binds the duty's ports that have no socket; logs the failures that are new.
  void BindMissing(const RelayDuty& duty);
  // The socket of a Forward's from_port (kFilterSocket included), or nullptr.
  const Socket* SocketFor(uint16_t from_port) const;
  RelayTable table_;
  const uint32_t mark_;
  const int epoll_;
  std::map<uint16_t, Socket> sockets_;
  Socket filter_;  // while relaying: the acks of filtering probes (kFilterSocket)
  bool binds_failed_ = false;
  absl::Time next_bind_retry_ = absl::InfinitePast();

  mutable absl::Mutex mu_;
  RelayCounters counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_RELAY_PORTS_H_
