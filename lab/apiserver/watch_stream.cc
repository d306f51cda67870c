#include "lab/apiserver/watch_stream.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/tables.h"

namespace raven::apiserver {

WatchStream::WatchStream(WatchHub& hub, WatchStart start, WatchStreamOptions options)
    : hub_(hub), start_(std::move(start)), options_(std::move(options)) {}

WatchStream::WatchStream(WatchHub& hub, absl::Status error, WatchStreamOptions options)
    : hub_(hub), error_(std::move(error)), options_(std::move(options)) {}

WatchStream::~WatchStream() {
  if (start_.watcher != nullptr) hub_.Unsubscribe(start_.watcher);
}

std::string WatchStream::Line(const WatchItem& item) {
  if (item.type == "BOOKMARK") return BookmarkLine(item.rv, false);
  std::string object;
  if (!options_.table_api_version.empty()) {
    TableOptions table_options;
    table_options.api_version = options_.table_api_version;
    table_options.no_headers = headers_sent_;
    headers_sent_ = true;
    object = ToJson(
        BuildTable(*options_.resource, {item.object}, item.rv, "", table_options, absl::Now()));
  } else if (StringAt(*item.object, "apiVersion") != options_.resource->api_version()) {
    // Stored through another version of the same resource.
    rapidjson::Document copy = CopyDoc(*item.object);
    SetString(copy, "apiVersion", options_.resource->api_version(), copy.GetAllocator());
    object = ToJson(copy);
  } else {
    object = ToJson(*item.object);
  }
  return absl::StrCat("{\"type\":\"", item.type, "\",\"object\":", object, "}\n");
}

std::string WatchStream::BookmarkLine(int64_t rv, bool initial_events_end) const {
  rapidjson::Document o(rapidjson::kObjectType);
  auto& a = o.GetAllocator();
  SetString(o, "kind", options_.resource->kind, a);
  SetString(o, "apiVersion", options_.resource->api_version(), a);
  rapidjson::Value meta(rapidjson::kObjectType);
  SetString(meta, "resourceVersion", absl::StrCat(rv), a);
  if (initial_events_end) {
    rapidjson::Value annotations(rapidjson::kObjectType);
    SetString(annotations, "k8s.io/initial-events-end", "true", a);
    SetMember(meta, "annotations", std::move(annotations), a);
  }
  SetMember(o, "metadata", std::move(meta), a);
  return absl::StrCat("{\"type\":\"BOOKMARK\",\"object\":", ToJson(o), "}\n");
}

bool WatchStream::Run(const std::function<bool(absl::string_view)>& write) {
  if (!error_.ok()) {
    write(absl::StrCat("{\"type\":\"ERROR\",\"object\":", StatusJson(error_), "}\n"));
    return true;
  }
  int64_t initial_rv = hub_.current_rv();
  for (const WatchItem& item : start_.initial) {
    if (!write(Line(item))) return false;
  }
  if (options_.initial_events_end && !write(BookmarkLine(initial_rv, true))) return false;
  absl::Time next_bookmark = absl::Now() + options_.bookmark_interval;
  while (true) {
    absl::Time wake = options_.deadline;
    if (options_.bookmarks) wake = std::min(wake, next_bookmark);
    std::vector<WatchItem> items;
    Watcher::State state = start_.watcher->Next(wake, items);
    switch (state) {
      case Watcher::State::kOpen:
        break;
      case Watcher::State::kOverflowed:
        return true;  // too slow: the client re-watches from its last version
      case Watcher::State::kDropped:
      case Watcher::State::kShutdown:
        return false;
    }
    for (const WatchItem& item : items) {
      if (!write(Line(item))) return false;
    }
    absl::Time now = absl::Now();
    if (now >= options_.deadline) return true;
    if (options_.bookmarks && now >= next_bookmark) {
      hub_.Bookmark(start_.watcher);
      next_bookmark = now + options_.bookmark_interval;
    }
  }
}

}  // namespace raven::apiserver
