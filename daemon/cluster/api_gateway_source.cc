#include "daemon/cluster/api_gateway_source.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/kube/clock.h"

namespace raven {

namespace {

kube::InformerOptions GatewayInformerOptions() {
  kube::InformerOptions options;
  options.name = "gateways";
  // A short watch timeout bounds how long a silently broken connection (a
  // peer that vanished without FIN) can hide changes.
  options.watch_timeout = absl::Minutes(1);
  options.idle_timeout = absl::Seconds(90);
  options.backoff = {absl::Milliseconds(200), absl::Seconds(5), 2.0, 0.5};
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ApiGatewaySource>> ApiGatewaySource::Start(
    kube::RestClient* rest, absl::Duration stale_after) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  std::unique_ptr<ApiGatewaySource> source(new ApiGatewaySource(rest, fd, stale_after));
  source->informer_.Start();
  return source;
}

ApiGatewaySource::ApiGatewaySource(kube::RestClient* rest, int event_fd, absl::Duration stale_after)
    : event_fd_(event_fd),
      stale_after_(stale_after),
      informer_(rest, "", GatewayInformerOptions(),
                kube::InformerHandlers<kube::Gateway>{.on_changed = [event_fd] {
                  uint64_t one = 1;
                  // Only fails when the counter would overflow: already readable.
                  (void)!write(event_fd, &one, sizeof(one));
                }}) {}

ApiGatewaySource::~ApiGatewaySource() {
  informer_.Stop();  // no handler runs after this
  close(event_fd_);
}

bool ApiGatewaySource::Drain() {
  uint64_t count;
  return read(event_fd_, &count, sizeof(count)) == sizeof(count);
}

absl::StatusOr<std::vector<kube::DecodedGateway>> ApiGatewaySource::Read() {
  if (!informer_.HasSynced()) {
    return absl::UnavailableError("the Gateways have not been listed from the API server yet");
  }
  std::vector<kube::DecodedGateway> out;
  for (auto& [name, gateway] : informer_.Snapshot()) out.push_back({name, std::move(gateway)});
  return out;
}

std::string ApiGatewaySource::Staleness() const {
  kube::InformerStats stats = informer_.Stats();
  if (!informer_.HasSynced()) return "Gateways not listed from the API server yet";
  if (!stats.failing_since) return "";
  kube::RealClock clock;
  absl::Duration failing = clock.MonotonicNow() - *stats.failing_since;
  if (failing < stale_after_) return "";
  return absl::StrCat("Gateway watch failing for ",
                      absl::FormatDuration(absl::Trunc(failing, absl::Seconds(1))),
                      "; the dataplane keeps the last Gateways seen");
}

}  // namespace raven
