// The registrations and probes last sent to one relay port, so that an ack
// answering any of them is taken, once, with its own round-trip time: with a
// round trip longer than the retry tick, the ack of the last one never comes
// before the next is sent. A message that leaves the window unacked is lost.
#ifndef RAVEN_DAEMON_NAT_RELAY_ACK_WINDOW_H_
#define RAVEN_DAEMON_NAT_RELAY_ACK_WINDOW_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"

namespace raven::nat_relay {

class AckWindow {
 public:
  struct Outcome {
    uint64_t counter = 0;
    bool acked = false;
  };
  // Counters must grow from one call to the next. The message that this one
  // pushes out of the window, if it was not settled (below) yet.
  std::optional<Outcome> Sent(uint64_t counter, absl::Time at);
  // The messages sent before `before` that are not settled yet, oldest
  // first, with whether each was acked by now; each is settled once (here
  // or when it leaves the window). A later ack still has its round trip.
  std::vector<Outcome> Settle(absl::Time before);

  // The round-trip time of the message acked, or none when the counter was
  // not sent here, fell out of the window, or is not newer than the last taken.
  std::optional<absl::Duration> Take(uint64_t counter, absl::Time now);

  // Whether an ack was taken for a message sent after `since`.
  bool AckedSince(absl::Time since) const { return acked_ != 0 && acked_sent_at_ >= since; }

 private:
  struct Message {
    uint64_t counter = 0;
    absl::Time at;
    bool acked = false;
    bool settled = false;
  };
  static constexpr size_t kMessages = 16;  // at a 100 ms tick: round trips up to 1.6 s
  std::array<Message, kMessages> sent_{};
  size_t next_ = 0;
  uint64_t acked_ = 0;
  absl::Time acked_sent_at_;
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_ACK_WINDOW_H_
