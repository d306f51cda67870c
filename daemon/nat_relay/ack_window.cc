#include "daemon/nat_relay/ack_window.h"

namespace raven::nat_relay {

std::optional<AckWindow::Outcome> AckWindow::Sent(uint64_t counter, absl::Time at) {
  std::optional<Outcome> evicted;
  const Message& old = sent_[next_];
  if (old.counter != 0 && !old.settled) evicted = Outcome{old.counter, old.acked};
  sent_[next_] = {counter, at};
  next_ = (next_ + 1) % kMessages;
  return evicted;
}

std::vector<AckWindow::Outcome> AckWindow::Settle(absl::Time before) {
  std::vector<Outcome> out;
  for (size_t i = 0; i < kMessages; ++i) {
    Message& m = sent_[(next_ + i) % kMessages];  // oldest first
    if (m.counter == 0 || m.settled || m.at >= before) continue;
    m.settled = true;
    out.push_back({m.counter, m.acked});
  }
  return out;
}

std::optional<absl::Duration> AckWindow::Take(uint64_t counter, absl::Time now) {
  if (counter == 0 || counter <= acked_) return std::nullopt;
  for (Message& m : sent_) {
    if (m.counter != counter) continue;
    m.acked = true;
    acked_ = counter;
    acked_sent_at_ = m.at;
    return now - m.at;
  }
  return std::nullopt;
}

}  // namespace raven::nat_relay
