// The store's read paths: get, list (selectors, limit/continue) and the
// start of a watch.
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/object_meta.h"
#include "lab/apiserver/store.h"

namespace raven::apiserver {
namespace {

bool Selected(const rapidjson::Value& object, const ListOptions& options) {
  return options.labels.Matches(LabelsOf(object)) && options.fields.Matches(object);
}

// "<resourceVersion>\n<last key>", so that a token from before a compaction expires.
std::string EncodeContinue(int64_t rv, const std::string& key) {
  return absl::WebSafeBase64Escape(absl::StrCat(rv, "\n", key));
}

}  // namespace

absl::StatusOr<DocPtr> Store::Get(const ResourceInfo& r, const std::string& ns,
                                  const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto bucket = objects_.find(r.group_resource());
  if (bucket != objects_.end()) {
    auto it = bucket->second.find(ObjectKey(ns, name));
    if (it != bucket->second.end()) return it->second;
  }
  return NotFoundError({r.group, r.plural, name});
}

absl::StatusOr<ListResult> Store::List(const ResourceInfo& r, const std::string& ns,
                                       const ListOptions& options) const {
  std::string after;
  if (!options.continue_token.empty()) {
    std::string raw;
    std::vector<std::string> parts;
    if (absl::WebSafeBase64Unescape(options.continue_token, &raw)) {
      parts = absl::StrSplit(raw, absl::MaxSplits('\n', 1));
    }
    int64_t token_rv = 0;
    if (parts.size() != 2 || !ParseResourceVersion(parts[0], token_rv)) {
      return BadRequestError("continue key is not valid");
    }
    if (token_rv < hub_.compacted_rv()) {
      return ExpiredError(
          "The provided continue parameter is too old to display a consistent list result. "
          "You can start a new list without the continue parameter.");
    }
    after = parts[1];
  }
  absl::MutexLock lock(&mu_);
  ListResult result;
  result.rv = rv_;
  auto bucket = objects_.find(r.group_resource());
  if (bucket == objects_.end()) return result;
  std::string prefix = ns.empty() ? "" : ObjectKey(ns, "");
  auto it = after.empty() ? bucket->second.lower_bound(prefix) : bucket->second.upper_bound(after);
  for (; it != bucket->second.end(); ++it) {
    if (!prefix.empty() && !absl::StartsWith(it->first, prefix)) break;
    if (!Selected(*it->second, options)) continue;
    if (options.limit > 0 && static_cast<int64_t>(result.items.size()) == options.limit) {
      if (result.continue_token.empty()) {
        result.continue_token =
            EncodeContinue(rv_, MetaString(*result.items.back(), "namespace") + "/" +
                                    MetaString(*result.items.back(), "name"));
      }
      ++result.remaining;
      continue;
    }
    result.items.push_back(it->second);
  }
  return result;
}

absl::StatusOr<WatchStart> Store::Watch(const ResourceInfo& r, WatchFilter filter,
                                        absl::string_view rv, bool send_initial_state) {
  int64_t from = 0;
  if (!ParseResourceVersion(rv, from)) {
    return BadRequestError(absl::StrCat("invalid resource version \"", rv, "\""));
  }
  WatchStart start;
  if (from != 0) {
    ASSIGN_OR_RETURN(start.watcher, hub_.Subscribe(std::move(filter), from));
    return start;
  }
  absl::MutexLock lock(&mu_);
  if (send_initial_state) {
    auto bucket = objects_.find(r.group_resource());
    if (bucket != objects_.end()) {
      for (const auto& [key, doc] : bucket->second) {
        if (!filter.ns.empty() && MetaString(*doc, "namespace") != filter.ns) continue;
        if (!filter.labels.Matches(LabelsOf(*doc)) || !filter.fields.Matches(*doc)) continue;
        start.initial.push_back({"ADDED", doc, rv_});
      }
    }
  }
  ASSIGN_OR_RETURN(start.watcher, hub_.Subscribe(std::move(filter), rv_));
  return start;
}

}  // namespace raven::apiserver
