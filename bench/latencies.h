// Write→handler latencies for the informer benchmark: when each change was
// written and when a handler saw it, matched by (kind, name, version).
#ifndef RAVEN_BENCH_LATENCIES_H_
#define RAVEN_BENCH_LATENCIES_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace raven::kube::bench {

// Write start times and handler times, matched by (kind, name, version).
class Latencies {
 public:
  void Wrote(const std::string& key, absl::Time t) {
    absl::MutexLock l(&mu_);
    written_[key] = t;
    first_ = std::min(first_, t);
  }
  void Delivered(const std::string& key, absl::Time t) {
    absl::MutexLock l(&mu_);
    delivered_[key] = t;
    last_ = std::max(last_, t);
    ++events_;
  }
  int64_t events() {
    absl::MutexLock l(&mu_);
    return events_;
  }
  struct Summary {
    double events_per_second = 0;
    absl::Duration p50, p99, max;
    size_t matched = 0;
  };
  absl::Time first_write() {
    absl::MutexLock l(&mu_);
    return first_;
  }
  // Throughput over [first write, done]; `done` defaults to the last delivery.
  Summary Summarize(int64_t changes, absl::Time done = absl::InfinitePast()) {
    absl::MutexLock l(&mu_);
    std::vector<absl::Duration> d;
    for (const auto& [key, t] : written_) {
      auto it = delivered_.find(key);
      if (it != delivered_.end()) d.push_back(it->second - t);
    }
    std::sort(d.begin(), d.end());
    Summary s;
    s.matched = d.size();
    if (!d.empty()) {
      s.p50 = d[d.size() / 2];
      s.p99 = d[std::min(d.size() - 1, d.size() * 99 / 100)];
      s.max = d.back();
    }
    if (done == absl::InfinitePast()) done = last_;
    double secs = absl::ToDoubleSeconds(done - first_);
    s.events_per_second = secs > 0 ? static_cast<double>(changes) / secs : 0;
    return s;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, absl::Time> written_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> delivered_ ABSL_GUARDED_BY(mu_);
  absl::Time first_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t events_ ABSL_GUARDED_BY(mu_) = 0;
};

inline std::string Key(const char* kind, const std::string& name, const std::string& rv) {
  return absl::StrCat(kind, "/", name, "@", rv);
}

}  // namespace raven::kube::bench

#endif  // RAVEN_BENCH_LATENCIES_H_
