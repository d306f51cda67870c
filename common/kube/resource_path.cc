#include "common/kube/resource_path.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/kube/api_error.h"
#include "common/kube/resources/json_doc.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

void AppendSelectors(const ListOptions& options, std::string& query) {
  if (!options.label_selector.empty()) {
    absl::StrAppend(&query, "&labelSelector=", QueryEscape(options.label_selector));
  }
  if (!options.field_selector.empty()) {
    absl::StrAppend(&query, "&fieldSelector=", QueryEscape(options.field_selector));
  }
}

}  // namespace

ResourcePath::ResourcePath(absl::string_view group_version_path, absl::string_view plural,
                           bool namespaced, std::string ns)
    : base_(group_version_path), plural_(plural), namespaced_(namespaced), ns_(std::move(ns)) {}

std::string ResourcePath::Collection() const {
  if (namespaced_ && !ns_.empty()) {
    return absl::StrCat(base_, "/namespaces/", QueryEscape(ns_), "/", plural_);
  }
  return absl::StrCat(base_, "/", plural_);
}

std::string ResourcePath::Object(absl::string_view name) const {
  return absl::StrCat(Collection(), "/", QueryEscape(name));
}

std::string ResourcePath::Subresource(absl::string_view name, absl::string_view sub) const {
  return absl::StrCat(Object(name), "/", sub);
}

std::string ResourcePath::List(const ListOptions& options, absl::string_view continue_token) const {
  std::string query;
  if (options.page_size > 0) absl::StrAppend(&query, "&limit=", options.page_size);
  if (!continue_token.empty()) absl::StrAppend(&query, "&continue=", QueryEscape(continue_token));
  AppendSelectors(options, query);
  if (query.empty()) return Collection();
  query[0] = '?';
  return absl::StrCat(Collection(), query);
}

std::string ResourcePath::Watch(const ListOptions& options, absl::string_view resource_version,
                                absl::Duration timeout) const {
  std::string target = absl::StrCat(Collection(), "?watch=true&allowWatchBookmarks=true");
  if (!resource_version.empty()) {
    absl::StrAppend(&target, "&resourceVersion=", QueryEscape(resource_version));
  }
  int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(timeout));
  absl::StrAppend(&target, "&timeoutSeconds=", seconds);
  AppendSelectors(options, target);
  return target;
}

absl::Status ResourcePath::CheckObjectName(absl::string_view name) const {
  if (name.empty() || name.size() > 253 || name == "." || name == ".." ||
      name.find('/') != absl::string_view::npos || name.find('%') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid object name \"", name.substr(0, 64), "\""));
  }
  if (namespaced_ && ns_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(plural_, " are namespaced: this client was made without a namespace"));
  }
  return absl::OkStatus();
}

size_t RawList::size() const {
  size_t n = 0;
  for (const rapidjson::Document& page : pages) n += page["items"].Size();
  return n;
}

absl::StatusOr<RawList> ListAll(RestClient& rest, const ResourcePath& path,
                                const ListOptions& options, Cancellation* cancel) {
  ListOptions opts = options;
  RawList list;
  std::string continue_token;
  while (true) {
    absl::StatusOr<Response> response = rest.Get(path.List(opts, continue_token), cancel);
    if (!response.ok() && IsGone(response.status()) && !continue_token.empty()) {
      // The snapshot behind the continue token is gone: start over, unpaged.
      list = RawList();
      continue_token.clear();
      opts.page_size = 0;
      continue;
    }
    if (!response.ok()) return response.status();
    ASSIGN_OR_RETURN(rapidjson::Document page, ParseJson(response->body));
    if (!page.IsObject()) return absl::InvalidArgumentError("list: expected an object");
    auto items = page.FindMember("items");
    if (items == page.MemberEnd() || items->value.IsNull()) {
      page.AddMember("items", rapidjson::Value(rapidjson::kArrayType), page.GetAllocator());
    } else if (!items->value.IsArray()) {
      return absl::InvalidArgumentError("list: items: expected an array");
    }
    std::string next;
    auto meta = page.FindMember("metadata");
    if (meta != page.MemberEnd() && meta->value.IsObject()) {
      auto rv = meta->value.FindMember("resourceVersion");
      if (rv != meta->value.MemberEnd() && rv->value.IsString()) {
        list.resource_version = rv->value.GetString();
      }
      auto cont = meta->value.FindMember("continue");
      if (cont != meta->value.MemberEnd() && cont->value.IsString()) next = cont->value.GetString();
    }
    list.pages.push_back(std::move(page));
    if (next.empty()) break;
    if (next == continue_token)
      return absl::InternalError("list: the server repeated a continue token");
    continue_token = std::move(next);
  }
  if (list.resource_version.empty()) {
    return absl::InvalidArgumentError("list: no metadata.resourceVersion in the answer");
  }
  return list;
}

}  // namespace raven::kube
