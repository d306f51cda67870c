// Prometheus metrics: a registry of counters, gauges and histograms, each a
// family with a fixed list of label names, plus collector callbacks run at
// scrape time, rendered in the Prometheus text exposition format 0.0.4.
//
//   metrics::Registry registry;
//   metrics::CounterFamily& writes = registry.AddCounter(
//       "raven_controller_status_writes_total", "Gateway status writes.", {"result"});
//   writes.WithLabels({"ok"}).Inc();
//   metrics::Gauge& leader = registry.AddGauge("raven_controller_is_leader", "1 when leading.")
//                                .Get();  // a family without labels
//   leader.Set(1);
//   metrics::Histogram& latency = registry.AddHistogram(
//       "raven_controller_health_change_to_status_write_seconds", "...", {0.1, 0.5, 1, 2.5})
//       .Get();
//   latency.Observe(0.42);
//   registry.AddCollector([&] {                 // e.g. BPF counters read at scrape time
//     metrics::CollectedFamily f{"raven_agent_peer_bytes_total", "...", metrics::Type::kCounter};
//     f.samples.push_back({{{"peer", "gw-b"}}, 1234});
//     return std::vector<metrics::CollectedFamily>{f};
//   });
//   std::string text = registry.Render();       // what GET /metrics serves
//
// Families and children are created once and live as long as the registry,
// so the references returned stay valid; updates are lock-free (counters,
// gauges) or take a per-histogram mutex. Everything is thread-safe.
//
// Naming mistakes are programming errors, not runtime conditions: an invalid
// metric or label name, a name registered twice, the reserved label "le" on a
// histogram, unsorted or empty buckets, or WithLabels() with the wrong number
// of values abort the process with a message.
#ifndef RAVEN_COMMON_METRICS_REGISTRY_H_
#define RAVEN_COMMON_METRICS_REGISTRY_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace raven::metrics {

inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

enum class Type { kCounter, kGauge, kHistogram };

class Counter {
 public:
  // v must be >= 0 (a negative increment is ignored: counters only go up).
  void Inc(double v = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<double> bounds;        // upper bounds, without +Inf
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> counts_ ABSL_GUARDED_BY(mu_);  // per bucket, not cumulative; last = +Inf
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

// Default histogram buckets for latencies in seconds (5 ms .. 60 s).
std::vector<double> DefaultLatencyBuckets();

// One metric family: a name, help, type and label names; children per label
// value tuple, created on first use.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<T>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The child for these label values (as many as label names, in order).
  T& WithLabels(const std::vector<std::string>& values);
  // The only child of a family without labels.
  T& Get() { return WithLabels({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(values, child) for every child, in label-value order.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// What a collector reports at scrape time (counters and gauges).
struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};
struct CollectedFamily {
  std::string name;
  std::string help;
  Type type = Type::kGauge;  // kCounter or kGauge
  std::vector<Sample> samples;
};
using Collector = std::function<std::vector<CollectedFamily>()>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  // `bounds`: strictly increasing upper bounds; +Inf is implied.
  HistogramFamily& AddHistogram(const std::string& name, const std::string& help,
                                std::vector<double> bounds,
                                std::vector<std::string> label_names = {});
  // Runs on every Render(), on the scraping thread; must be thread-safe. A
  // collected family whose name is invalid or already registered is skipped.
  void AddCollector(Collector collector);

  // The text exposition format 0.0.4: registered families in registration
  // order, then the collectors' families; HELP and TYPE lines for each.
  std::string Render() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  void CheckNew(const std::string& name, const std::vector<std::string>& label_names, Type type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  template <typename T>
  Family<T>& Add(Type type, std::unique_ptr<Family<T>> Entry::*slot,
                 std::unique_ptr<Family<T>> family);

  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::vector<Collector> collectors_ ABSL_GUARDED_BY(mu_);
};

// Exposed for tests and for collectors that render by hand.
bool IsValidMetricName(const std::string& name);
bool IsValidLabelName(const std::string& name);
std::string EscapeLabelValue(const std::string& value);  // \ " and newline
std::string EscapeHelp(const std::string& help);         // \ and newline
std::string FormatValue(double v);                       // shortest round trip; +Inf, -Inf, NaN

// Aborts with a message (programming errors only).
[[noreturn]] void Fatal(const std::string& message);

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    Fatal(name_ + ": wrong number of label values");
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<T>& child = children_[values];
  if (!child) child = make_();
  return *child;
}

template <typename T>
void Family<T>::ForEach(
    const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, child] : children_) fn(values, *child);
}

}  // namespace raven::metrics

#endif  // RAVEN_COMMON_METRICS_REGISTRY_H_
