// ObjectMeta bookkeeping shared by the store's write paths: uids, names,
// timestamps, the generation rule and change detection.
#ifndef RAVEN_LAB_APISERVER_OBJECT_META_H_
#define RAVEN_LAB_APISERVER_OBJECT_META_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/json_util.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

// RFC 3339 in UTC with second precision, as metav1.Time ("2026-06-15T10:00:00Z").
std::string FormatTimestamp(absl::Time t);

// A random RFC 4122 version-4 UUID.
std::string NewUid(std::mt19937_64& rng);
// The 5 characters kube-apiserver appends to metadata.generateName.
std::string NameSuffix(std::mt19937_64& rng);

// Problems with a name, as causes for a 422 (empty when valid). Namespaces
// must be DNS labels; other names must be usable as a path segment.
std::vector<ErrorCause> ValidateName(absl::string_view name, bool is_namespace);

// True when anything outside metadata and status differs: such a change
// bumps metadata.generation.
bool SpecChanged(const rapidjson::Value& before, const rapidjson::Value& after);

// True when the objects are equal apart from metadata.resourceVersion, i.e.
// an update that would change nothing (and so keeps its version and sends
// no watch event).
bool SameObject(const rapidjson::Value& before, const rapidjson::Value& after);

// Copies metadata fields the server owns (uid, creationTimestamp,
// generation, deletionTimestamp, deletionGracePeriodSeconds, name,
// namespace) from `from` into `to`.
void KeepServerMetadata(const rapidjson::Value& from, rapidjson::Value& to, JsonAlloc& alloc);

// The size of metadata.annotations as apimachinery measures it: the lengths
// of every key and (string) value, summed.
size_t AnnotationsSize(const rapidjson::Value& object);

// metadata.finalizers is a non-empty list.
bool HasFinalizers(const rapidjson::Value& object);

// Parses a resourceVersion string ("" → 0); false when it is not a number.
bool ParseResourceVersion(absl::string_view text, int64_t& rv);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_OBJECT_META_H_
