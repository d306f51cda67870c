// JSON merge patch (RFC 7386), and the subset of strategic merge patch that
// kubectl sends for `apply`, `label`, `annotate` and `patch`.
//
// Strategic merge patch is treated as a merge patch whose directives are
// honoured where they are simple: "$patch": "delete" (remove the map) and
// "$patch": "replace" (replace instead of merge) inside maps,
// "$deleteFromPrimitiveList/<field>", and "$retainKeys"/"$setElementOrder/..."
// which are dropped. Lists are replaced, never merged by key: an apply that
// changes one element of a list with a merge key (e.g. a Node's
// status.conditions) sends only that element, which replaces the list.
#ifndef RAVEN_LAB_APISERVER_MERGE_PATCH_H_
#define RAVEN_LAB_APISERVER_MERGE_PATCH_H_

#include "lab/apiserver/json_util.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

// Applies `patch` to `target` in place (allocating from `alloc`, the target's
// document allocator).
void ApplyMergePatch(rapidjson::Value& target, const rapidjson::Value& patch, JsonAlloc& alloc,
                     bool strategic = false);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_MERGE_PATCH_H_
