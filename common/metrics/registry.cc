#include "common/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"

namespace raven::metrics {
namespace {

const char* TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AddAtomic(std::atomic<double>& target, double v) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

// `{a="x",b="y"}` (or "" without labels); `extra` is appended last (le=).
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::pair<std::string, std::string>* extra = nullptr) {
  if (names.empty() && extra == nullptr) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ",";
    absl::StrAppend(&out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (extra != nullptr) {
    if (!names.empty()) out += ",";
    absl::StrAppend(&out, extra->first, "=\"", EscapeLabelValue(extra->second), "\"");
  }
  return out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, Type type) {
  absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(help), "\n");
  absl::StrAppend(&out, "# TYPE ", name, " ", TypeName(type), "\n");
}

template <typename T>
void RenderScalarFamily(std::string& out, const Family<T>& family, Type type) {
  Header(out, family.name(), family.help(), type);
  family.ForEach([&](const std::vector<std::string>& values, const T& child) {
    absl::StrAppend(&out, family.name(), LabelSet(family.label_names(), values), " ",
                    FormatValue(child.value()), "\n");
  });
}

void RenderHistogramFamily(std::string& out, const HistogramFamily& family) {
  Header(out, family.name(), family.help(), Type::kHistogram);
  const std::string& name = family.name();
  family.ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
    Histogram::Snapshot s = h.Read();
    for (size_t i = 0; i <= s.bounds.size(); ++i) {
      std::pair<std::string, std::string> le{
          "le", i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf"};
      absl::StrAppend(&out, name, "_bucket", LabelSet(family.label_names(), values, &le), " ",
                      s.cumulative[i], "\n");
    }
    std::string labels = LabelSet(family.label_names(), values);
    absl::StrAppend(&out, name, "_sum", labels, " ", FormatValue(s.sum), "\n");
    absl::StrAppend(&out, name, "_count", labels, " ", s.count, "\n");
  });
}

}  // namespace

void Fatal(const std::string& message) {
  std::fprintf(stderr, "metrics: %s\n", message.c_str());
  std::abort();
}

bool IsValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsValidLabelName(const std::string& name) {
  if (name.empty() || name.find(':') != std::string::npos) return false;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;  // reserved
  return IsValidMetricName(name);
}

namespace {

// Backslash and newline always; the double quote too inside label values.
std::string Escape(const std::string& text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || (quote && c == '"')) out += '\\';
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) { return Escape(value, /*quote=*/true); }

std::string EscapeHelp(const std::string& help) { return Escape(help, /*quote=*/false); }

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return absl::StrCat(v);
  return std::string(buf, end);
}

void Counter::Inc(double v) {
  if (!(v >= 0)) return;
  AddAtomic(value_, v);
}

void Gauge::Add(double v) { AddAtomic(value_, v); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  // Buckets are upper-inclusive: v lands in the first bound >= v.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  absl::MutexLock lock(&mu_);
  ++counts_[i];
  sum_ += v;
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  absl::MutexLock lock(&mu_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_;
  return s;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 40, 60};
}

void Registry::CheckNew(const std::string& name, const std::vector<std::string>& label_names,
                        Type type) {
  if (!IsValidMetricName(name)) Fatal("invalid metric name \"" + name + "\"");
  std::set<std::string> seen;
  for (const auto& label : label_names) {
    if (!IsValidLabelName(label)) Fatal(name + ": invalid label name \"" + label + "\"");
    if (type == Type::kHistogram && label == "le") Fatal(name + ": label \"le\" is reserved");
    if (!seen.insert(label).second) Fatal(name + ": duplicate label \"" + label + "\"");
  }
  for (const Entry& e : entries_) {
    const std::string& existing = e.counter ? e.counter->name()
                                  : e.gauge ? e.gauge->name()
                                            : e.histogram->name();
    if (existing == name) Fatal("metric \"" + name + "\" registered twice");
  }
}

template <typename T>
Family<T>& Registry::Add(Type type, std::unique_ptr<Family<T>> Entry::*slot,
                         std::unique_ptr<Family<T>> family) {
  absl::MutexLock lock(&mu_);
  CheckNew(family->name(), family->label_names(), type);
  if (family->label_names().empty()) family->Get();  // shown (as 0) before first use
  Entry e{type, nullptr, nullptr, nullptr};
  e.*slot = std::move(family);
  entries_.push_back(std::move(e));
  return *(entries_.back().*slot);
}

CounterFamily& Registry::AddCounter(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
  return Add(Type::kCounter, &Entry::counter,
             std::make_unique<CounterFamily>(name, help, std::move(label_names),
                                             [] { return std::make_unique<Counter>(); }));
}

GaugeFamily& Registry::AddGauge(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names) {
  return Add(Type::kGauge, &Entry::gauge,
             std::make_unique<GaugeFamily>(name, help, std::move(label_names),
                                           [] { return std::make_unique<Gauge>(); }));
}

HistogramFamily& Registry::AddHistogram(const std::string& name, const std::string& help,
                                        std::vector<double> bounds,
                                        std::vector<std::string> label_names) {
  if (bounds.empty()) Fatal(name + ": a histogram needs buckets");
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      Fatal(name + ": bucket bounds must increase strictly");
    }
  }
  if (std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();  // +Inf is implied
  return Add(Type::kHistogram, &Entry::histogram,
             std::make_unique<HistogramFamily>(name, help, std::move(label_names), [bounds] {
               return std::make_unique<Histogram>(bounds);
             }));
}

void Registry::AddCollector(Collector collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  std::string out;
  std::set<std::string> names;
  std::vector<Collector> collectors;
  {
    absl::MutexLock lock(&mu_);
    for (const Entry& e : entries_) {
      switch (e.type) {
        case Type::kCounter:
          RenderScalarFamily(out, *e.counter, Type::kCounter);
          names.insert(e.counter->name());
          break;
        case Type::kGauge:
          RenderScalarFamily(out, *e.gauge, Type::kGauge);
          names.insert(e.gauge->name());
          break;
        case Type::kHistogram:
          RenderHistogramFamily(out, *e.histogram);
          names.insert(e.histogram->name());
          break;
      }
    }
    collectors = collectors_;
  }
  // Collectors run without the registry's lock: they may be slow (BPF map reads).
  for (const Collector& collect : collectors) {
    for (const CollectedFamily& f : collect()) {
      if (!IsValidMetricName(f.name) || f.type == Type::kHistogram ||
          !names.insert(f.name).second) {
        continue;
      }
      Header(out, f.name, f.help, f.type);
      for (const Sample& s : f.samples) {
        std::vector<std::string> label_names, values;
        bool valid = true;
        for (const auto& [k, v] : s.labels) {
          valid = valid && IsValidLabelName(k);
          label_names.push_back(k);
          values.push_back(v);
        }
        if (!valid) continue;
        absl::StrAppend(&out, f.name, LabelSet(label_names, values), " ", FormatValue(s.value),
                        "\n");
      }
    }
  }
  return out;
}

}  // namespace raven::metrics
