// The informer benchmark's alternative client: it re-lists the changed kind
// on every change and diffs the list against what it holds.
#ifndef RAVEN_BENCH_NAIVE_RELISTER_H_
#define RAVEN_BENCH_NAIVE_RELISTER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/latencies.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/node.h"
#include "common/kube/rest_client.h"

namespace raven::kube::bench {

// The alternative: on every change, list the changed kind and diff it
// against what it holds.
class NaiveRelister {
 public:
  NaiveRelister(RestClient* rest, Latencies& lat) : gateways_(rest), nodes_(rest), lat_(lat) {}

  void Notify(const char* kind) {
    absl::MutexLock l(&mu_);
    pending_.push_back(kind);
  }
  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void StopWhenDrained() {
    {
      absl::MutexLock l(&mu_);
      draining_ = true;
    }
    thread_.join();
  }
  int64_t lists() const { return lists_; }
  int64_t objects_decoded() const { return items_; }

 private:
  void Run() {
    while (true) {
      std::string kind;
      {
        absl::MutexLock l(&mu_);
        auto ready = [this]()
                         ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !pending_.empty() || draining_; };
        mu_.Await(absl::Condition(&ready));
        if (pending_.empty()) return;
        kind = pending_.front();
        pending_.pop_front();
      }
      if (kind == "Gateway") {
        Diff("Gateway", gateways_, gateway_cache_);
      } else {
        Diff("Node", nodes_, node_cache_);
      }
    }
  }
  template <typename T>
  void Diff(const char* kind, ResourceClient<T>& client,
            std::map<std::string, std::string>& cache) {
    absl::StatusOr<ObjectList<T>> list = client.List();
    ++lists_;
    if (!list.ok()) return;
    items_ += static_cast<int64_t>(list->items.size());
    absl::Time now = absl::Now();
    std::map<std::string, std::string> fresh;
    for (const T& o : list->items) {
      std::string name = ResourceTraits<T>::Name(o), rv = ResourceTraits<T>::ResourceVersion(o);
      fresh[name] = rv;
      auto it = cache.find(name);
      if (it == cache.end() || it->second != rv) lat_.Delivered(Key(kind, name, rv), now);
    }
    for (const auto& [name, rv] : cache) {
      if (!fresh.count(name)) {
        std::string id = absl::StrCat(kind, "/", name);
        lat_.Delivered(Key(kind, name, absl::StrCat("deleted-", ++deletes_[id])), now);
      }
    }
    cache = std::move(fresh);
  }

  ResourceClient<Gateway> gateways_;
  ResourceClient<Node> nodes_;
  Latencies& lat_;
  std::map<std::string, std::string> gateway_cache_, node_cache_;
  std::map<std::string, int> deletes_;
  std::atomic<int64_t> lists_{0}, items_{0};
  absl::Mutex mu_;
  std::deque<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace raven::kube::bench

#endif  // RAVEN_BENCH_NAIVE_RELISTER_H_
