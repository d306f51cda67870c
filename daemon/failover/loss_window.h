// The loss of a path over its last kSize probes, and a lower confidence
// bound of it (Wilson score interval, one-sided 99%): the loss the path is
// known to have at least. One unlucky loss among a few probes gives a
// small bound, a lossy path a large one within a few probes, so a decision
// on the bound neither flaps on noise nor waits long for real loss.
#ifndef RAVEN_DAEMON_FAILOVER_LOSS_WINDOW_H_
#define RAVEN_DAEMON_FAILOVER_LOSS_WINDOW_H_

#include <bitset>

namespace raven::failover {

class LossWindow {
 public:
  static constexpr int kSize = 30;

  void Add(bool lost);
  void Clear() { *this = LossWindow(); }
  int outcomes() const { return count_; }
  double ratio() const { return count_ == 0 ? 0 : static_cast<double>(lost_count_) / count_; }
  double lower_bound() const;

 private:
  std::bitset<kSize> lost_;
  int next_ = 0;
  int count_ = 0;
  int lost_count_ = 0;
};

}  // namespace raven::failover

#endif  // RAVEN_DAEMON_FAILOVER_LOSS_WINDOW_H_
