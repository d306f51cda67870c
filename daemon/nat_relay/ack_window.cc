#include "daemon/nat_relay/ack_window.h"

namespace raven::nat_relay {

void AckWindow::Sent(uint64_t counter, absl::Time at) {
  sent_[next_] = {counter, at};
  next_ = (next_ + 1) % kMessages;
}

std::optional<absl::Duration> AckWindow::Take(uint64_t counter, absl::Time now) {
  if (counter == 0 || counter <= acked_) return std::nullopt;
  for (const Message& m : sent_) {
    if (m.counter != counter) continue;
    acked_ = counter;
    acked_sent_at_ = m.at;
    return now - m.at;
  }
  return std::nullopt;
}

}  // namespace raven::nat_relay
