#include "daemon/nat_relay/ack_window.h"

namespace raven::nat_relay {

std::optional<AckWindow::Evicted> AckWindow::Sent(uint64_t counter, absl::Time at) {
  std::optional<Evicted> evicted;
  if (sent_[next_].counter != 0) evicted = Evicted{sent_[next_].counter, sent_[next_].acked};
  sent_[next_] = {counter, at};
  next_ = (next_ + 1) % kMessages;
  return evicted;
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
