// Informer<T>: a local cache of one kind kept current by list + watch
// (InformerLoop), with handlers called on the informer's thread:
//
//   on_add(obj)             a key appeared
//   on_update(old, new)     a key's object changed (new resourceVersion)
//   on_delete(last)         a key went away (its last known state)
//   on_changed()            after each batch of the above (one watch event, or
//                           one re-list); cheap to turn into an eventfd write
//
// Across reconnects and 410 re-lists handlers see neither missed nor
// duplicated changes: a re-list is diffed against the cache, and an event
// whose resourceVersion the cache already holds is dropped. So: no on_add for
// a key already present, no on_update or on_delete for an unknown one.
//
// An object that does not decode (wrong types, bad values, lists over the
// codec's bounds) is logged, counted in Stats().decode_failures and skipped:
// the cache keeps its previous version of that key, if any, and the other
// objects are unaffected. A DELETED event removes its key even when the
// object in it does not decode.
//
// Handlers must not call Stop() or destroy the informer.
#ifndef RAVEN_COMMON_KUBE_INFORMER_H_
#define RAVEN_COMMON_KUBE_INFORMER_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/kube/informer_loop.h"
#include "common/kube/resource_path.h"
#include "common/kube/resources/object_meta.h"
#include "common/kube/resources/resource_traits.h"
#include "common/kube/rest_client.h"
#include "common/logging.h"

namespace raven::kube {

template <typename T>
struct InformerHandlers {
  std::function<void(const T&)> on_add;
  std::function<void(const T& old_object, const T& new_object)> on_update;
  std::function<void(const T& last)> on_delete;
  std::function<void()> on_changed;
};

template <typename T>
class Informer final : private InformerSink {
 public:
  using Traits = ResourceTraits<T>;

  // `ns`: one namespace of a namespaced kind, or "" for all (and for
  // cluster-scoped kinds).
  Informer(RestClient* rest, std::string ns, InformerOptions options,
           InformerHandlers<T> handlers = {})
      : handlers_(std::move(handlers)),
        loop_(rest,
              ResourcePath(Traits::kGroupVersionPath, Traits::kPlural, Traits::kNamespaced,
                           std::move(ns)),
              std::move(options), this) {}
  ~Informer() override { loop_.Stop(); }

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  void Reconnect() { loop_.Reconnect(); }
  bool HasSynced() const { return loop_.HasSynced(); }
  // True once the first list is in the cache (false on timeout or Stop).
  bool WaitForSync(absl::Duration timeout) { return loop_.WaitForSync(timeout); }
  InformerStats Stats() const { return loop_.Stats(); }

  // A copy of the cache, by key ("namespace/name", or "name").
  std::map<std::string, T> Snapshot() const {
    absl::MutexLock lock(&mu_);
    return cache_;
  }
  std::optional<T> Get(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it == cache_.end()) return std::nullopt;
    return it->second;
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return cache_.size();
  }

 private:
  struct Change {
    enum Kind { kAdd, kUpdate, kDelete } kind;
    T old_object;
    T new_object;
  };

  void Replace(const RawList& list) override {
    std::map<std::string, T> fresh;
    std::set<std::string> undecodable;
    list.ForEachItem([&](const rapidjson::Value& item) {
      ObjectIdentity id = PeekIdentity(item);
      std::string key = ObjectKey(id.namespace_, id.name);
      absl::StatusOr<T> obj = Traits::Decode(item);
      if (!obj.ok()) {
        ReportUndecodable(key, id.resource_version, obj.status());
        if (!key.empty()) undecodable.insert(key);
        return;
      }
      fresh.insert_or_assign(KeyOf(*obj), *std::move(obj));
    });
    std::vector<Change> changes;
    {
      absl::MutexLock lock(&mu_);
      for (auto it = cache_.begin(); it != cache_.end();) {
        if (fresh.count(it->first) == 0 && undecodable.count(it->first) == 0) {
          changes.push_back({Change::kDelete, std::move(it->second), T()});
          it = cache_.erase(it);
        } else {
          ++it;
        }
      }
      for (auto& [key, obj] : fresh) {
        auto it = cache_.find(key);
        if (it == cache_.end()) {
          changes.push_back({Change::kAdd, T(), obj});
          cache_.emplace(key, std::move(obj));
        } else if (Traits::ResourceVersion(it->second) != Traits::ResourceVersion(obj)) {
          changes.push_back({Change::kUpdate, it->second, obj});
          it->second = std::move(obj);
        }
      }
    }
    Dispatch(changes);
  }

  void Apply(WatchEventType type, const rapidjson::Value& object) override {
    ObjectIdentity id = PeekIdentity(object);
    std::string key = ObjectKey(id.namespace_, id.name);
    absl::StatusOr<T> obj = Traits::Decode(object);
    std::vector<Change> changes;
    if (type == WatchEventType::kDeleted) {
      if (obj.ok()) key = KeyOf(*obj);
      absl::MutexLock lock(&mu_);
      auto it = cache_.find(key);
      if (it == cache_.end()) return;  // never seen (or never decoded): nothing to undo
      changes.push_back({Change::kDelete, std::move(it->second), T()});
      if (obj.ok()) changes.back().old_object = *std::move(obj);  // the final state
      cache_.erase(it);
    } else {
      if (!obj.ok()) {
        ReportUndecodable(key, id.resource_version, obj.status());
        return;  // the cache keeps the last good version
      }
      key = KeyOf(*obj);
      absl::MutexLock lock(&mu_);
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        changes.push_back({Change::kAdd, T(), *obj});
        cache_.emplace(key, *std::move(obj));
      } else if (Traits::ResourceVersion(it->second) != Traits::ResourceVersion(*obj)) {
        changes.push_back({Change::kUpdate, it->second, *obj});
        it->second = *std::move(obj);
      } else {
        return;  // already have this version: a replay
      }
    }
    Dispatch(changes);
  }

  void ReportUndecodable(const std::string& key, const std::string& rv, const absl::Status& error) {
    RAVEN_LOG(kWarning, loop_.name(), ": skipping undecodable ", Traits::kKind, " \"", key,
              "\" (resourceVersion ", rv, "): ", error.message());
    loop_.CountDecodeFailure();
  }

  void Dispatch(const std::vector<Change>& changes) {
    if (changes.empty()) return;
    for (const Change& c : changes) {
      switch (c.kind) {
        case Change::kAdd:
          if (handlers_.on_add) handlers_.on_add(c.new_object);
          break;
        case Change::kUpdate:
          if (handlers_.on_update) handlers_.on_update(c.old_object, c.new_object);
          break;
        case Change::kDelete:
          if (handlers_.on_delete) handlers_.on_delete(c.old_object);
          break;
      }
    }
    if (handlers_.on_changed) handlers_.on_changed();
  }

  const InformerHandlers<T> handlers_;
  mutable absl::Mutex mu_;
  std::map<std::string, T> cache_ ABSL_GUARDED_BY(mu_);
  InformerLoop loop_;
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_INFORMER_H_
