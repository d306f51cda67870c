// libFuzzer target: the decoders of Kubernetes JSON the agent and the
// controller read from the API (Node, Lease, Event, Gateway, watch events),
// and the paths annotation the controller reads from Nodes.
// The first byte picks the decoder. What decodes must encode and decode back
// to the same object (a Gateway's undecodable status was dropped: it encodes
// as the empty status it decoded to, and the error is not encoded).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "absl/strings/string_view.h"
#include "common/kube/resources/event.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/gateway_path.h"
#include "common/kube/resources/lease.h"
#include "common/kube/resources/node.h"
#include "common/kube/watch_event.h"

namespace {

template <typename T, typename Decode, typename Encode>
void RoundTrip(absl::string_view json, Decode decode, Encode encode) {
  absl::StatusOr<T> first = decode(json);
  if (!first.ok()) return;
  if constexpr (std::is_same_v<T, raven::kube::Gateway>) first->invalid_status.clear();
  absl::StatusOr<T> second = decode(encode(*first));
  if (!second.ok() || !(*second == *first)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      RoundTrip<raven::kube::Node>(json, raven::kube::DecodeNodeJson, raven::kube::EncodeNodeJson);
      break;
    case 1:
      RoundTrip<raven::kube::Lease>(json, raven::kube::DecodeLeaseJson,
                                    raven::kube::EncodeLeaseJson);
      break;
    case 2:
      RoundTrip<raven::kube::Event>(json, raven::kube::DecodeEventJson,
                                    raven::kube::EncodeEventJson);
      break;
    case 3:
      RoundTrip<raven::kube::Gateway>(json, raven::kube::DecodeGatewayJson,
                                      raven::kube::EncodeGatewayJson);
      break;
    case 4: {
      absl::StatusOr<raven::kube::WatchEvent> ev = raven::kube::ParseWatchEvent(json);
      if (ev.ok() && ev->type != raven::kube::WatchEventType::kBookmark) {
        (void)raven::kube::DecodeNode(ev->object());
        (void)raven::kube::DecodeLease(ev->object());
        (void)raven::kube::DecodeGateway(ev->object());
      }
      break;
    }
    case 5: {
      absl::StatusOr<std::vector<raven::kube::GatewayPath>> paths =
          raven::kube::ParsePathsAnnotation(json);
      if (!paths.ok()) break;
      std::sort(paths->begin(), paths->end(),
                [](const auto& a, const auto& b) { return a.gateway < b.gateway; });
      auto again = raven::kube::ParsePathsAnnotation(raven::kube::FormatPathsAnnotation(*paths));
      if (!again.ok() || *again != *paths) std::abort();
      break;
    }
  }
  return 0;
}
